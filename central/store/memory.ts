/**
 * @module central/store/memory
 * The in-memory view and its indexes; `LowdbCaseStore` adds persistence around it.
 * Every index is kept current per change (O(1) or O(log n) per case), so ingest and transitions
 * never touch all cases: by id, by evidence name, the list indexes (`CaseListIndex`: per state, unit, grid, ...), open cases by
 * place and camera zone (duplicate search), and the newest-first list (new cases are appended to
 * a pending list and merged on the next `allCases()` read, not spliced in per insert).
 */
import type { CaseRecord, IdempotencyRecord, IncidentRecord } from '../cases/model.js';
import type { CaseFilter, Page } from './contract/index.js';
import type { CaseStore, ChangeSet } from './index.js';
import { CaseListIndex } from './indexes.js';
import { addTo, OpenCaseIndex } from './open-index.js';

const newestFirst = (a: CaseRecord, b: CaseRecord) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export class MemoryCaseStore implements CaseStore {
  protected readonly cases = new Map<string, CaseRecord>();
  protected readonly incidents = new Map<string, IncidentRecord>();
  protected readonly idem = new Map<string, IdempotencyRecord>();
  readonly #byEvidence = new Map<string, Set<string>>();
  readonly #lists = new CaseListIndex();
  readonly #open = new OpenCaseIndex();
  #sorted: CaseRecord[] | undefined;
  /** ids of cases added since `#sorted` was last merged */
  #unsorted: string[] = [];
  readonly #listeners = new Set<(ch: ChangeSet) => void>();
  #revision = 0;

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  getCase(id: string): CaseRecord | undefined {
    return this.cases.get(id);
  }
  allCases(): CaseRecord[] {
    // ULID ids sort by creation time
    if (!this.#sorted) {
      this.#sorted = [...this.cases.values()].sort(newestFirst);
      this.#unsorted = [];
    } else if (this.#unsorted.length) {
      const add = this.#unsorted.map((id) => this.cases.get(id)!).sort(newestFirst);
      this.#unsorted = [];
      const old = this.#sorted;
      // new cases are nearly always newer than every stored one: then this is a concat
      if (old.length === 0 || add.at(-1)!.id > old[0].id) this.#sorted = [...add, ...old];
      else {
        const out: CaseRecord[] = new Array(old.length + add.length);
        let i = 0;
        let j = 0;
        for (let k = 0; k < out.length; k++)
          out[k] = j >= add.length || (i < old.length && old[i].id > add[j].id) ? old[i++] : add[j++];
        this.#sorted = out;
      }
    }
    return this.#sorted;
  }

  #findSorted(id: string): number {
    const s = this.#sorted!;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid].id > id) lo = mid + 1;
      else hi = mid;
    }
    return s[lo]?.id === id ? lo : -1;
  }

  getIncident(id: string): IncidentRecord | undefined {
    return this.incidents.get(id);
  }
  getIdempotency(key: string): IdempotencyRecord | undefined {
    return this.idem.get(key);
  }
  casesByEvidence(name: string): string[] {
    return [...(this.#byEvidence.get(name) ?? [])];
  }
  countByState(): Map<string, number> {
    return this.#lists.countByState();
  }
  casesInState(state: string): CaseRecord[] {
    return this.#lists.inState(state).map((id) => this.cases.get(id)!);
  }
  listCases(filter: CaseFilter, page: Page): { total: number; items: CaseRecord[] } {
    return this.#lists.list(filter, page, (id) => this.cases.get(id)!);
  }
  duplicateCandidates(c: CaseRecord, maxMetres: number): CaseRecord[] {
    return [...this.#open.candidates(c, maxMetres)].map((id) => this.cases.get(id)!).sort(newestFirst);
  }

  /** Apply to memory and keep indexes current. Subclasses persist. */
  get revision(): number {
    return this.#revision;
  }

  protected apply(ch: ChangeSet): void {
    this.#revision++;
    for (const c of ch.cases ?? []) {
      const prev = this.cases.get(c.id);
      this.cases.set(c.id, c);
      if (!prev) {
        if (this.#sorted) this.#unsorted.push(c.id);
      } else if (this.#sorted) {
        // a case still in #unsorted is read from the map when merged
        const i = this.#findSorted(c.id);
        if (i >= 0) this.#sorted[i] = c;
      }
      this.#lists.set(prev, c);
      this.#open.set(c);
      for (const e of [...c.evidence, ...c.verificationEvidence]) addTo(this.#byEvidence, e.name, c.id);
    }
    for (const i of ch.incidents ?? []) this.incidents.set(i.id, i);
    for (const k of ch.idempotency ?? []) this.idem.set(k.key, k);
  }

  async durable(): Promise<void> {}

  async commit(ch: ChangeSet): Promise<void> {
    this.apply(ch);
    this.committed(ch);
  }

  onCommit(listener: (ch: ChangeSet) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tell listeners a change set is durable; a throwing listener never fails the commit. */
  protected committed(ch: ChangeSet): void {
    for (const l of this.#listeners) {
      try {
        l(ch);
      } catch {
        // listeners are best effort (a closed SSE stream)
      }
    }
  }
}
