/**
 * @module central/cases/records
 * Building blocks shared by every way a case changes: a fresh case, history entries,
 * evidence. Pure functions over records; the service persists.
 */
import { newId } from '../../protocol/index.js';
import type { City } from '../city/index.js';
import type { Actor, CaseRecord, CaseSource, EvidenceItem, HistoryEntry } from './model.js';

export interface NewCase {
  source: CaseSource;
  reporter: CaseRecord['reporter'];
  refs?: Partial<CaseRecord['refs']>;
  category: string;
  description: string;
  location: CaseRecord['location'];
  evidence?: EvidenceItem[];
}

export function newCase(city: City, n: NewCase, actor: Actor, at: Date, note?: string): CaseRecord {
  const iso = at.toISOString();
  const grid = n.location.gridCode ? city.grids.get(n.location.gridCode) : undefined;
  const c: CaseRecord = {
    id: newId(at.getTime()),
    createdAt: iso,
    updatedAt: iso,
    source: n.source,
    reporter: n.reporter,
    refs: { incidentIds: [], ...n.refs },
    state: 'reported',
    category: n.category,
    description: n.description,
    location: { ...n.location, streetId: grid?.streetId, areaId: grid?.areaId },
    proposedUnitId: city.route(n.category, n.location.gridCode),
    deadlineSpec: city.deadlineOf(n.category),
    counts: { dispatches: 0, returns: 0, reworks: 0, extensions: 0 },
    evidence: n.evidence ?? [],
    verificationEvidence: [],
    duplicateCandidates: [],
    mergedFrom: [],
    history: [],
    version: 1,
  };
  addHistory(c, { action: 'report', to: 'reported', actor, at: iso, note });
  return c;
}

/** Records stored before versions existed count as version 0. */
export function versionOf(c: { version?: number }): number {
  return c.version ?? 0;
}

/** Once per change of a case (the If-Match / 409 contract). */
export function bumpVersion(c: CaseRecord): void {
  c.version = versionOf(c) + 1;
}

export function addHistory(c: CaseRecord, e: Omit<HistoryEntry, 'seq'>): void {
  c.history.push({ seq: c.history.length + 1, ...e });
  c.updatedAt = e.at;
}

/** Add evidence not already on the list (by name). */
export function addEvidence(list: EvidenceItem[], items: EvidenceItem[]): number {
  const have = new Set(list.map((e) => e.name));
  let n = 0;
  for (const e of items)
    if (!have.has(e.name)) {
      list.push(e);
      have.add(e.name);
      n++;
    }
  return n;
}
