/**
 * @module central/scoring/indicators
 * The usual 数字城管 indicators per unit (its whole subtree) and per collector, for a month.
 * Definitions (also in the README): the rates share one population, the cases *due* in the
 * month, so they stay between 0 and 1.
 * - registered 立案数: cases registered in the month whose responsible unit is the unit's
 * - due 应结案数: cases whose deadline falls in the month
 * - closed 结案数: of the due, closed before the month ended
 * - closedOnTime 按期结案数: of the due, closed with the feedback before the deadline
 * - reworked 返工数: of the due, cases sent back (返工) at least once
 * - returned 回退数: of the due, cases the unit returned at least once
 * - overdue 超期数: of the due, closed late or still open at the end of the month
 * Cancelled cases (作废) are left out of every indicator.
 * - 结案率 closingRate = closed / due; 按期结案率 onTimeRate = closedOnTime / due;
 *   返工率 reworkRate = reworked / due (null when nothing was due)
 */
import type { CaseRecord } from '../cases/model.js';
import { registration } from './events.js';
import { inWindow, type MonthWindow } from './month.js';
import type { OrgTree } from './org.js';

/** The month's counts (`UnitMonthAggregate`) and the rates made of them. */
export interface Indicators extends Counts {
  closingRate: number | null;
  onTimeRate: number | null;
  reworkRate: number | null;
}
export interface UnitIndicators extends Indicators {
  unitId: string;
  name: string;
}
export interface CollectorIndicators {
  collectorId: string;
  name: string;
  /** reports filed in the month */
  reported: number;
  /** reports registered (立案) in the month: the valid ones */
  valid: number;
  /** reports rejected (不予立案) in the month */
  rejected: number;
  /** their reports closed in the month */
  closed: number;
  /** valid / (valid + rejected) */
  validRate: number | null;
}

/**
 * The indicators' counts of the cases of one responsible unit and grid in a month: the only
 * definition of them. `aggregateMonth` applies it in JavaScript (the lowdb store); PostgreSQL
 * runs the same definition in SQL (store/postgres `monthAggregates`, one GROUP BY), and the
 * contract suite checks both give the same rows.
 */
export interface UnitMonthAggregate {
  /** the responsible unit: evaluation.unitId ?? unitId ?? proposedUnitId */
  unitId: string;
  gridCode?: string;
  registered: number;
  due: number;
  closed: number;
  closedOnTime: number;
  reworked: number;
  returned: number;
  overdue: number;
}
type Counts = Omit<UnitMonthAggregate, 'unitId' | 'gridCode'>;

const rate = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

function zero(): Counts {
  return { registered: 0, due: 0, closed: 0, closedOnTime: 0, reworked: 0, returned: 0, overdue: 0 };
}

/** What one case adds to its unit's counts in the month (undefined: it counts nowhere). */
export function monthCountsOf(c: CaseRecord, w: MonthWindow): Counts | undefined {
  if (c.state === 'cancelled') return undefined; // 作废: neither registered nor due for anyone
  const n = zero();
  n.registered = inWindow(registration(c)?.at, w) ? 1 : 0;
  if (c.deadline && inWindow(c.deadline, w)) {
    n.due = 1;
    const closed = c.closedAt !== undefined && Date.parse(c.closedAt) < w.end;
    const onTime = closed && c.evaluation?.onTime === true;
    n.closed = closed ? 1 : 0;
    n.closedOnTime = onTime ? 1 : 0;
    n.reworked = c.counts.reworks > 0 ? 1 : 0;
    n.returned = c.counts.returns > 0 ? 1 : 0;
    n.overdue = onTime ? 0 : 1;
  }
  return n.registered || n.due ? n : undefined;
}

const responsibleUnit = (c: CaseRecord) => c.evaluation?.unitId ?? c.unitId ?? c.proposedUnitId;

/** The month's counts per responsible unit and grid, sorted by unit then grid. */
export function aggregateMonth(
  cases: Iterable<CaseRecord>,
  window: Pick<MonthWindow, 'month' | 'startIso' | 'endIso'>,
): UnitMonthAggregate[] {
  const w = { ...window, start: Date.parse(window.startIso), end: Date.parse(window.endIso) };
  const acc = new Map<string, UnitMonthAggregate>();
  for (const c of cases) {
    const unitId = responsibleUnit(c);
    const n = unitId && monthCountsOf(c, w);
    if (!unitId || !n) continue;
    const key = JSON.stringify([unitId, c.location.gridCode ?? null]);
    const a = acc.get(key) ?? {
      unitId,
      ...(c.location.gridCode ? { gridCode: c.location.gridCode } : {}),
      ...zero(),
    };
    for (const k of Object.keys(n) as (keyof Counts)[]) a[k] += n[k];
    acc.set(key, a);
  }
  return sortAggregates([...acc.values()]);
}

export function sortAggregates(a: UnitMonthAggregate[]): UnitMonthAggregate[] {
  const k = (x: UnitMonthAggregate) => `${x.unitId}|${x.gridCode ?? ''}`;
  return a.sort((x, y) => (k(x) < k(y) ? -1 : k(x) > k(y) ? 1 : 0));
}

/** Indicators of each listed unit from the month's aggregates, counting its whole subtree. */
export function unitIndicators(
  aggregates: readonly UnitMonthAggregate[],
  tree: OrgTree,
  unitIds: readonly string[],
): UnitIndicators[] {
  const ids = new Set(unitIds);
  const acc = new Map<string, Counts>(unitIds.map((id) => [id, zero()]));
  for (const g of aggregates) {
    const work = tree.workUnit(g.unitId, g.gridCode);
    // every listed unit on the path gets the counts (a district and its street alike)
    for (const id of tree.path(work)) {
      const a = ids.has(id) ? acc.get(id) : undefined;
      if (a) for (const k of Object.keys(a) as (keyof Counts)[]) a[k] += g[k];
    }
  }
  return unitIds.map((id) => {
    const a = acc.get(id) as Counts;
    return {
      unitId: id,
      name: tree.units.get(id)?.name ?? id,
      ...a,
      closingRate: rate(a.closed, a.due),
      onTimeRate: rate(a.closedOnTime, a.due),
      reworkRate: rate(a.reworked, a.due),
    };
  });
}

export function collectorIndicators(
  cases: readonly CaseRecord[],
  w: MonthWindow,
  tree: OrgTree,
): CollectorIndicators[] {
  const acc = new Map<string, CollectorIndicators>(
    tree.collectors.map((c) => [
      c.id,
      { collectorId: c.id, name: c.name, reported: 0, valid: 0, rejected: 0, closed: 0, validRate: null },
    ]),
  );
  for (const c of cases) {
    const id = c.reporter.collectorId;
    const a = id ? acc.get(id) : undefined;
    if (!a || c.source !== 'collector') continue;
    if (inWindow(c.createdAt, w)) a.reported++;
    const reg = registration(c);
    if (reg && c.state !== 'merged' && inWindow(reg.at, w)) a.valid++;
    if (c.state === 'rejected' && inWindow(c.rejection?.at, w)) a.rejected++;
    if (inWindow(c.closedAt, w)) a.closed++;
  }
  return [...acc.values()].map((a) => ({ ...a, validRate: rate(a.valid, a.valid + a.rejected) }));
}
