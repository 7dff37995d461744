/**
 * @module central/store
 * The storage contract for cases, incidents and idempotency records. `commit` applies a change
 * set to the in-memory view at once (so a second request sees it) and resolves when it is
 * durable; routes answer 2xx only after that. Implementations: `MemoryCaseStore` (tests) and
 * `LowdbCaseStore` (journal + month partitions). A shared database can implement the same
 * interface when several central instances run side by side.
 */
import type { CaseRecord, IdempotencyRecord, IncidentRecord } from '../cases/model.js';

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
  getIncident(id: string): IncidentRecord | undefined;
  getIdempotency(key: string): IdempotencyRecord | undefined;
  /** case ids whose evidence names this object */
  casesByEvidence(name: string): string[];
  commit(changes: ChangeSet): Promise<void>;
  /** call `listener` after each change set is durable (live console, caches); returns unsubscribe */
  onCommit(listener: (changes: ChangeSet) => void): () => void;
  close(): Promise<void>;
}

export { MemoryCaseStore } from './memory.js';
