/**
 * @module central/store/memory
 * The in-memory view and its indexes; `LowdbCaseStore` adds persistence around it.
 */
import type { CaseRecord, IdempotencyRecord, IncidentRecord } from '../cases/model.js';
import type { CaseStore, ChangeSet } from './index.js';

export class MemoryCaseStore implements CaseStore {
  protected readonly cases = new Map<string, CaseRecord>();
  protected readonly incidents = new Map<string, IncidentRecord>();
  protected readonly idem = new Map<string, IdempotencyRecord>();
  readonly #byEvidence = new Map<string, Set<string>>();
  #sorted: CaseRecord[] | undefined;
  readonly #listeners = new Set<(ch: ChangeSet) => void>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  getCase(id: string): CaseRecord | undefined {
    return this.cases.get(id);
  }
  allCases(): CaseRecord[] {
    // ULID ids sort by creation time; kept sorted incrementally (new cases are nearly always newest)
    this.#sorted ??= [...this.cases.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
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

  #insertSorted(c: CaseRecord): void {
    const s = this.#sorted;
    if (!s) return;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid].id > c.id) lo = mid + 1;
      else hi = mid;
    }
    s.splice(lo, 0, c);
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

  /** Apply to memory and keep indexes current. Subclasses persist. */
  protected apply(ch: ChangeSet): void {
    for (const c of ch.cases ?? []) {
      const prev = this.cases.get(c.id);
      this.cases.set(c.id, c);
      if (!prev) this.#insertSorted(c);
      else if (this.#sorted) {
        const i = this.#findSorted(c.id);
        if (i >= 0) this.#sorted[i] = c;
      }
      for (const e of [...c.evidence, ...c.verificationEvidence]) {
        let s = this.#byEvidence.get(e.name);
        if (!s) {
          s = new Set();
          this.#byEvidence.set(e.name, s);
        }
        s.add(c.id);
      }
    }
    for (const i of ch.incidents ?? []) this.incidents.set(i.id, i);
    for (const k of ch.idempotency ?? []) this.idem.set(k.key, k);
  }

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
