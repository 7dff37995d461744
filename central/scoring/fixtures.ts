/**
 * @module central/scoring/fixtures
 * Test and benchmark fixtures: a small organisation tree and a builder that writes a case's
 * life (its history entries, counts, evaluation) the way central's workflow records it, and a
 * scoring service on them (`smallScoring`).
 */
import type { CaseRecord, CaseSource, HistoryEntry } from '../cases/model.js';
import { type CaseAction, type CaseState, TRANSITIONS } from '../cases/workflow.js';
import { LowdbAdapter } from '../store/contract/lowdb-adapter.js';
import { MemoryCaseStore } from '../store/memory.js';
import type { DeviceMonthFacts } from './events.js';
import type { OrgInput } from './org.js';
import { loadRules, type Rules } from './rules.js';
import { ScoringService } from './service.js';
import { ScoringStore } from './store.js';

export const G1 = '430406001001001';
export const G2 = '430406001002001';

/** bureau → (centre), zfzd, hwc (10%), dc (20%) → dc-zf, dc-s001 → two communities. */
export const SMALL_ORG: OrgInput = {
  units: [
    { id: 'bureau', name: '市城市管理局', kind: 'bureau' },
    { id: 'centre', name: '监督指挥中心', kind: 'centre', parentId: 'bureau' },
    { id: 'zfzd', name: '市城管执法支队', kind: 'bureau_unit', parentId: 'bureau', weight: 0.1 },
    { id: 'hwc', name: '市环卫处', kind: 'bureau_unit', parentId: 'bureau', weight: 0.1 },
    { id: 'dc', name: '雁峰区', kind: 'district', parentId: 'bureau', weight: 0.2 },
    { id: 'dc-zf', name: '雁峰区城管执法局', kind: 'district_bureau', parentId: 'dc' },
    { id: 'dc-s001', name: '雁峰区第01街道', kind: 'street', parentId: 'dc' },
    { id: 'dc-s001-c001', name: '第01社区', kind: 'community', parentId: 'dc-s001' },
    { id: 'dc-s001-c002', name: '第02社区', kind: 'community', parentId: 'dc-s001' },
  ],
  grids: [
    { code: G1, communityId: 'dc-s001-c001', streetId: 'dc-s001', areaId: 'dc' },
    { code: G2, communityId: 'dc-s001-c002', streetId: 'dc-s001', areaId: 'dc' },
  ],
  collectors: [
    { id: 'col-1', name: '采集员一', gridCodes: [G1] },
    { id: 'col-2', name: '采集员二', gridCodes: [G2] },
  ],
};

/** [action, ISO time, unit: dispatch target or the acting unit handler's unit] */
export type Step = [CaseAction, string, string?];

export interface CaseSpec {
  id: string;
  source: CaseSource;
  category: string;
  createdAt: string;
  steps: Step[];
  grid?: string;
  collectorId?: string;
  /** ISO deadline (set by dispatch in central) */
  deadline?: string;
  /** on close: was the feedback before the deadline */
  onTime?: boolean;
  rejectReason?: 'false_positive' | 'invalid' | 'duplicate' | 'out_of_scope';
}

export function mkCase(s: CaseSpec): CaseRecord {
  const actorOf = (a: CaseAction, unit?: string) =>
    TRANSITIONS[a].ownUnit
      ? { id: `h-${unit}`, role: 'unit_handler' as const, unitId: unit }
      : { id: 'u-op', role: 'operator' as const };
  const c: CaseRecord = {
    id: s.id,
    createdAt: s.createdAt,
    updatedAt: s.createdAt,
    source: s.source,
    reporter: {
      id: s.collectorId ?? 'ext',
      role: s.collectorId ? 'collector' : 'system',
      collectorId: s.collectorId,
    },
    refs: { incidentIds: [], deviceId: s.source === 'ai' ? 'cam-1' : undefined },
    state: 'reported',
    category: s.category,
    description: s.id,
    location: { gridCode: s.grid },
    deadlineSpec: { value: 1, unit: 'workDays' },
    counts: { dispatches: 0, returns: 0, reworks: 0, extensions: 0 },
    evidence: [],
    verificationEvidence: [],
    duplicateCandidates: [],
    mergedFrom: [],
    history: [
      { seq: 1, at: s.createdAt, action: 'report', to: 'reported', actor: { id: 'ext', role: 'system' } },
    ],
  };
  let unit: string | undefined;
  for (const [action, at, u] of s.steps) {
    const t = TRANSITIONS[action];
    const to: CaseState = t.to === 'previous' ? 'registered' : t.to;
    const h: HistoryEntry = {
      seq: c.history.length + 1,
      at,
      action,
      from: c.state,
      to,
      actor: actorOf(action, u ?? unit),
    };
    if (action === 'dispatch') {
      unit = u ?? unit;
      h.data = { unitId: unit };
      c.unitId = unit;
      c.counts.dispatches++;
      c.firstDispatchedAt ??= at;
      c.lastDispatchedAt = at;
      c.deadline = s.deadline;
    }
    if (action === 'return') c.counts.returns++;
    if (action === 'rework') {
      c.counts.reworks++;
      h.data = { unitId: unit };
    }
    if (action === 'feedback') c.lastFeedbackAt = at;
    if (action === 'reject') c.rejection = { reason: s.rejectReason ?? 'invalid', at, by: 'u-op' };
    if (action === 'close') {
      c.closedAt = at;
      c.evaluation = {
        onTime: s.onTime ?? true,
        reworkCount: c.counts.reworks,
        returnCount: c.counts.returns,
        extensionCount: 0,
        firstDispatchedAt: c.firstDispatchedAt ?? at,
        finishedAt: c.lastFeedbackAt ?? at,
        closedAt: at,
        deadline: c.deadline ?? at,
        unitId: c.unitId ?? '',
      };
    }
    c.history.push(h);
    c.state = to;
    c.updatedAt = at;
  }
  c.version = c.history.length; // as the workflow leaves it: one version per change
  return c;
}

/** A confirmed (registered) case, optionally dispatched, at one time. */
export function confirmed(
  id: string,
  source: CaseSource,
  category: string,
  at: string,
  unitId: string,
  grid?: string,
) {
  return mkCase({
    id,
    source,
    category,
    createdAt: at,
    grid,
    steps: [
      ['register', at],
      ['dispatch', at, unitId],
    ],
  });
}

/** n valid collector reports (registered) at `at`. */
export function validReports(collectorId: string, n: number, at: string, grid: string): CaseRecord[] {
  return Array.from({ length: n }, (_, i) =>
    mkCase({
      id: `${collectorId}-r${i}`,
      source: 'collector',
      category: '01.09',
      createdAt: at,
      grid,
      collectorId,
      steps: [['register', at]],
    }),
  );
}

/**
 * A scoring service on the small org over the lowdb adapter (memory case store, scoring files in
 * `dataDir`), central's clock at `now.t`; `put` stores cases as central would commit them.
 */
export async function smallScoring(o: {
  dataDir: string;
  now: { t: string };
  cases?: CaseRecord[];
  rules?: Partial<Rules>;
  devices?: (month: string) => readonly DeviceMonthFacts[];
}) {
  const caseStore = new MemoryCaseStore();
  const store = new LowdbAdapter(caseStore, new ScoringStore(o.dataDir));
  await store.open();
  const put = (...cases: CaseRecord[]) => caseStore.commit({ cases });
  if (o.cases?.length) await put(...o.cases);
  const svc = new ScoringService({
    store: store.scoring,
    org: SMALL_ORG,
    rules: { ...loadRules(), ...o.rules },
    utcOffsetMinutes: 480,
    devices: o.devices,
    now: () => new Date(o.now.t),
  });
  return { svc, store, put };
}

/** One unit's row of a month's scores. */
export const memberOf = (s: { result: { members: { unitId: string }[] } }, id: string) =>
  s.result.members.find((m) => m.unitId === id) as Awaited<
    ReturnType<ScoringService['monthly']['compute']>
  >['members'][number];
