/**
 * @module central/store/contract/fixtures
 * Case records for the contract suite and the store benchmark, built directly (no city, no
 * service) so each test states exactly what it stores. `advance` makes the next version of a
 * case the way the service does: a copy with a new state and one more history entry.
 * `scanDuplicates` is the duplicate search by a scan, what an index's answer is checked against.
 */

import { ulid } from 'ulidx';
import { duplicateQuery } from '../../cases/context.js';
import type { CaseRecord, HistoryEntry } from '../../cases/model.js';
import type { CaseState } from '../../cases/workflow.js';
import { isDuplicateCandidate } from './derive.js';

export interface FixtureInput {
  at: string;
  category?: string;
  state?: CaseState;
  source?: CaseRecord['source'];
  unitId?: string;
  proposedUnitId?: string;
  gridCode?: string;
  lat?: number;
  lon?: number;
  reporterId?: string;
  collectorId?: string;
  deviceId?: string;
  zoneId?: string;
  deadline?: string;
  evidence?: string[];
}

export function fixtureCase(o: FixtureInput): CaseRecord {
  return {
    // time-ordered by `at` whatever order the fixtures are made in (newId is monotonic per process)
    id: ulid(Date.parse(o.at)),
    createdAt: o.at,
    updatedAt: o.at,
    source: o.source ?? 'citizen',
    reporter: { id: o.reporterId ?? 'u-op', role: 'operator', collectorId: o.collectorId },
    refs: { incidentIds: [], deviceId: o.deviceId, zoneId: o.zoneId },
    state: o.state ?? 'reported',
    category: o.category ?? '01.04',
    description: '人行道有垃圾 litter on the sidewalk',
    location: { lat: o.lat, lon: o.lon, gridCode: o.gridCode },
    proposedUnitId: o.proposedUnitId,
    unitId: o.unitId,
    deadlineSpec: { value: 2, unit: 'workDays' },
    deadline: o.deadline,
    counts: { dispatches: 0, returns: 0, reworks: 0, extensions: 0 },
    evidence: (o.evidence ?? []).map((name) => ({
      name,
      contentType: 'image/jpeg',
      role: 'photo',
      origin: 'upload' as const,
      addedAt: o.at,
    })),
    verificationEvidence: [],
    duplicateCandidates: [],
    mergedFrom: [],
    version: 1,
    history: [
      {
        seq: 1,
        at: o.at,
        action: 'report',
        to: 'reported',
        actor: { id: o.reporterId ?? 'u-op', role: 'operator' },
      },
    ],
  };
}

/** The next version of `c`: a copy in state `to` with one more history entry. */
export function advance(
  c: CaseRecord,
  action: HistoryEntry['action'],
  to: CaseState,
  at: string,
  patch: Partial<CaseRecord> = {},
  actorId = 'u-op',
): CaseRecord {
  const n: CaseRecord = {
    ...structuredClone(c),
    ...patch,
    state: to,
    updatedAt: at,
    version: (c.version ?? 0) + 1,
  };
  n.history.push({
    seq: n.history.length + 1,
    at,
    action,
    from: c.state,
    to,
    actor: { id: actorId, role: 'operator' },
  });
  return n;
}

/** Ids of the cases in `all` (newest first) that the duplicate search for `c` finds, by the store's exact test. */
export function scanDuplicates(all: CaseRecord[], c: CaseRecord, metres: number): string[] {
  const q = duplicateQuery(c, metres);
  return all
    .filter((o) => isDuplicateCandidate(o, q))
    .slice(0, q.limit)
    .map((o) => o.id);
}
