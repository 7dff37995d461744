/**
 * @module central/store
 * The storage contract for cases, incidents and idempotency records. `commit` applies a change
 * set to the in-memory view at once (so a second request sees it) and resolves when it is
 * durable; routes answer 2xx only after that. Implementations: `MemoryCaseStore` (tests) and
 * `LowdbCaseStore` (journal + month partitions). A shared database can implement the same
 * interface when several central instances run side by side.
 */
import type { CaseRecord, IdempotencyRecord, IncidentRecord } from '../cases/model.js';
import type { CaseFilter, Page } from './contract/index.js';

export interface ChangeSet {
  cases?: CaseRecord[];
  incidents?: IncidentRecord[];
  idempotency?: IdempotencyRecord[];
}

export interface CaseStore {
  open(): Promise<void>;
  getCase(id: string): CaseRecord | undefined;
  /** every case, newest first */
  allCases(): CaseRecord[];
  /** the cases matching `filter`, newest first: how many, and the page asked for */
  listCases(filter: CaseFilter, page: Page): { total: number; items: CaseRecord[] };
  /** changes with every change set applied (a list answered at one revision holds until the next) */
  readonly revision: number;
  getIncident(id: string): IncidentRecord | undefined;
  getIdempotency(key: string): IdempotencyRecord | undefined;
  /** case ids whose evidence names this object */
  casesByEvidence(name: string): string[];
  /** cases per state, kept current per change (metrics without a scan) */
  countByState(): Map<string, number>;
  /** the cases now in this state, in no particular order */
  casesInState(state: string): CaseRecord[];
  /**
   * Open cases of c's category that may be duplicates of c (same camera zone, or possibly within
   * `maxMetres`), newest first: a superset from an index, which `isDuplicateCandidate` (contract/derive.ts) narrows.
   */
  duplicateCandidates(c: CaseRecord, maxMetres: number): CaseRecord[];
  commit(changes: ChangeSet): Promise<void>;
  /**
   * Resolves when everything applied to memory so far is durable (rejects while it cannot be
   * written): what answers a re-delivered message whose first commit failed.
   */
  durable(): Promise<void>;
  /** call `listener` after each change set is durable (live console, caches); returns unsubscribe */
  onCommit(listener: (changes: ChangeSet) => void): () => void;
  close(): Promise<void>;
}

export { MemoryCaseStore } from './memory.js';
