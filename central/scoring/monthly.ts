/**
 * @module central/scoring/monthly
 * Monthly scoring around the pure engine: a month's events come from the month's cases (the
 * storage contract's `casesForMonth`: those alive in it, never every case) and the equipment
 * facts; its indicators from the month aggregates (`monthAggregates`: one GROUP BY on
 * PostgreSQL). A closed month is served from its frozen result, an open one provisionally.
 *
 * Late events: every event time is a time central recorded the fact, so a fact arriving after a
 * month closed normally falls in the open month. Should a record changed after the close
 * (`updatedAt`) still carry a time inside the closed month (a backdated record), its event
 * counts in the first open month after it — never in the frozen one, and never twice (its key
 * is checked against every frozen month).
 */
import type { CaseRecord } from '../cases/model.js';
import { ProblemError } from '../http/problem.js';
import type { ScoringContext } from './context.js';
import { type CollectorQuota, collectorQuotas, type LevelResult, round, scoreLevel } from './engine.js';
import { type DeviceMonthFacts, extractEvents, type ScoreEvent, type ValidReport } from './events.js';
import {
  type CollectorIndicators,
  collectorIndicators,
  type UnitIndicators,
  unitIndicators,
} from './indicators.js';
import { addMonths, monthOf, monthsOfYear } from './month.js';
import type { ItemKey } from './rules.js';

export interface MonthScores {
  /** not_assessed: before the go-live month (rules.goLiveMonth); the result is shown but counts nowhere */
  status: 'provisional' | 'closed' | 'not_assessed';
  closedAt?: string;
  closedBy?: string;
  computedAt: string;
  result: LevelResult;
}

export interface AnnualRow {
  unitId: string;
  name: string;
  weight: number;
  months: {
    month: string;
    raw: number | null;
    weighted: number | null;
    status: 'closed' | 'provisional' | 'future' | 'not_assessed';
  }[];
  /** Σ monthly weighted ÷ 12 (a future or not assessed month counts 0; see rules.annualDivisor) */
  annual: number;
  /** Σ monthly raw ÷ 12 */
  annualRaw: number;
  rank: number;
}

export interface GridQuota {
  gridCode: string;
  collectorIds: string[];
  valid: number;
  quota: number;
  shortfall: number;
}

export interface MonthIndicators {
  month: string;
  levelId: string;
  status: 'closed' | 'provisional';
  units: UnitIndicators[];
  collectors: CollectorIndicators[];
}

export interface MonthEvents {
  events: ScoreEvent[];
  validReports: ValidReport[];
}

/** equipment facts per month from central's device records; none → cases only */
export type DeviceFactsSource = (month: string) => readonly DeviceMonthFacts[];

const MAX_CARRY_MONTHS = 24;

export class MonthlyScoring {
  constructor(
    private readonly ctx: ScoringContext,
    /** the equipment facts it scores (another instance scoring the same city passes the same) */
    readonly devices?: DeviceFactsSource,
  ) {}

  async includedItems(month: string): Promise<ItemKey[]> {
    return (await this.ctx.store.monthConfig(month))?.includedItems ?? this.ctx.rules.defaultIncludedItems;
  }

  /** The first assessed month: the rules' go-live month, else the month of the first case held. */
  async goLiveMonth(): Promise<string | undefined> {
    if (this.ctx.rules.goLiveMonth) return this.ctx.rules.goLiveMonth;
    const first = await this.ctx.store.firstCaseAt();
    return first ? monthOf(first, this.ctx.utcOffsetMinutes) : undefined;
  }

  /** Assessed: from the go-live month on (a city without any case yet has nothing to tell it by). */
  async assessed(month: string): Promise<boolean> {
    const live = await this.goLiveMonth();
    return live === undefined || month >= live;
  }

  /** Share of the month passed by now: 1 once it ended. */
  elapsed(month: string): number {
    const w = this.ctx.window(month);
    return Math.min(1, Math.max(0, (this.ctx.now().getTime() - w.start) / (w.end - w.start)));
  }

  /** The month's events: its own, plus late ones of the closed months just before it. */
  async eventsOf(month: string, cases?: readonly CaseRecord[]): Promise<MonthEvents> {
    const { store, tree, rules } = this.ctx;
    const own = extractEvents(
      {
        cases: cases ?? (await store.casesForMonth(this.ctx.window(month))),
        devices: this.devices?.(month) ?? [],
        asOf: this.ctx.now().getTime(),
      },
      this.ctx.window(month),
      tree,
      rules,
    );
    const carried: { month: string; closedAt: number }[] = [];
    for (let m = addMonths(month, -1), i = 0; i < MAX_CARRY_MONTHS; i++, m = addMonths(m, -1)) {
      const c = await store.closedMonth(m);
      if (!c) break;
      carried.push({ month: m, closedAt: Date.parse(c.closedAt) });
    }
    if (!carried.length) return own;
    const frozen = new Set<string>();
    for (const m of await store.closedMonths())
      for (const k of (await store.closedMonth(m))?.keys ?? []) frozen.add(k);
    for (const { month: m, closedAt } of carried) {
      // only a record changed after the close can hold a fact the frozen month has not seen
      const changed = (await store.casesForMonth(this.ctx.window(m))).filter(
        (k) => Date.parse(k.updatedAt) > closedAt,
      );
      const late = extractEvents(
        { cases: changed, devices: this.devices?.(m) ?? [] },
        this.ctx.window(m),
        tree,
        rules,
      );
      own.events.push(...late.events.filter((e) => !frozen.has(e.key)));
      own.validReports.push(...late.validReports.filter((r) => !frozen.has(r.key)));
    }
    return own;
  }

  /** Compute a month for one level now, ignoring any frozen result. */
  async compute(month: string, levelId: string, ev?: MonthEvents): Promise<LevelResult> {
    return scoreLevel(
      {
        month,
        levelId,
        ...(ev ?? (await this.eventsOf(month))),
        bonuses: await this.ctx.store.bonuses(month),
        includedItems: await this.includedItems(month),
        elapsed: this.elapsed(month),
      },
      this.ctx.tree,
      this.ctx.rules,
    );
  }

  async monthScores(month: string, levelId?: string): Promise<MonthScores> {
    const id = this.ctx.level(levelId);
    const closed = await this.ctx.store.closedMonth(month);
    const frozen = closed?.levels[id];
    if (closed && frozen)
      return {
        status: 'closed',
        closedAt: closed.closedAt,
        closedBy: closed.closedBy,
        computedAt: closed.closedAt,
        result: frozen,
      };
    return {
      status: (await this.assessed(month)) ? 'provisional' : 'not_assessed',
      computedAt: this.ctx.now().toISOString(),
      result: await this.compute(month, id),
    };
  }

  async annual(
    year: number,
    levelId?: string,
  ): Promise<{ year: number; levelId: string; rows: AnnualRow[] }> {
    const { tree, rules } = this.ctx;
    const id = this.ctx.level(levelId);
    const rows = new Map<string, AnnualRow>();
    for (const u of tree.members(id, rules))
      rows.set(u.id, {
        unitId: u.id,
        name: u.name,
        weight: tree.weight(u, rules),
        months: [],
        annual: 0,
        annualRaw: 0,
        rank: 0,
      });
    for (const month of monthsOfYear(year)) {
      const future =
        this.ctx.window(month).start > this.ctx.now().getTime() && !(await this.ctx.store.closedMonth(month));
      const s = future ? undefined : await this.monthScores(month, id);
      const counts = s !== undefined && s.status !== 'not_assessed';
      for (const r of rows.values()) {
        const u = counts ? s.result.members.find((x) => x.unitId === r.unitId) : undefined;
        r.months.push({
          month,
          raw: u?.raw ?? null,
          weighted: u?.weighted ?? null,
          status: s?.status ?? 'future',
        });
      }
    }
    const dp = rules.decimals;
    for (const r of rows.values()) {
      const assessed = r.months.filter((m) => m.raw !== null).length;
      const divisor = rules.annualDivisor === 'twelve' ? 12 : Math.max(1, assessed);
      r.annual = round(r.months.reduce((a, m) => a + (m.weighted ?? 0), 0) / divisor, dp);
      r.annualRaw = round(r.months.reduce((a, m) => a + (m.raw ?? 0), 0) / divisor, dp);
    }
    const list = [...rows.values()];
    for (const r of list) r.rank = 1 + list.filter((o) => o.annualRaw > r.annualRaw).length;
    list.sort((a, b) => a.rank - b.rank || a.unitId.localeCompare(b.unitId));
    return { year, levelId: id, rows: list };
  }

  /** Indicators of every level's members and of every collector, computed now. */
  async computeIndicators(
    month: string,
    levelIds: readonly string[],
    cases?: readonly CaseRecord[],
  ): Promise<{ units: Record<string, UnitIndicators[]>; collectors: CollectorIndicators[] }> {
    const { store, tree, rules } = this.ctx;
    const w = this.ctx.window(month);
    const aggregates = await store.monthAggregates(w);
    const units: Record<string, UnitIndicators[]> = {};
    for (const id of levelIds)
      units[id] = unitIndicators(
        aggregates,
        tree,
        tree.members(id, rules).map((u) => u.id),
      );
    return { units, collectors: collectorIndicators(cases ?? (await store.casesForMonth(w)), w, tree) };
  }

  /** Indicators of a level's members and of every collector (frozen once the month is closed). */
  async indicators(month: string, levelId?: string): Promise<MonthIndicators> {
    const id = this.ctx.level(levelId);
    const frozen = (await this.ctx.store.closedMonth(month))?.indicators;
    if (frozen?.units[id])
      return { month, levelId: id, status: 'closed', units: frozen.units[id], collectors: frozen.collectors };
    const now = await this.computeIndicators(month, [id]);
    return { month, levelId: id, status: 'provisional', units: now.units[id], collectors: now.collectors };
  }

  /**
   * Collectors' valid reports against the quota (frozen when the month is closed), optionally of
   * one unit's subtree; also per grid (a collector counts for their first grid, as for their unit).
   */
  async collectors(
    month: string,
    unitId?: string,
  ): Promise<{ status: 'closed' | 'provisional'; collectors: CollectorQuota[]; grids: GridQuota[] }> {
    const { tree, rules } = this.ctx;
    if (unitId && !tree.units.has(unitId)) throw new ProblemError(404, 'unknown-unit', `no unit ${unitId}`);
    const closed = (await this.ctx.store.closedMonth(month))?.levels[tree.root().id];
    const all = closed
      ? closed.members.flatMap((m) => m.collectors)
      : collectorQuotas((await this.eventsOf(month)).validReports, tree, rules, this.elapsed(month));
    const collectors = all.filter((c) => !unitId || tree.path(c.unitId).includes(unitId));
    const grids = new Map<string, GridQuota>();
    for (const c of collectors)
      for (const code of c.gridCodes.slice(0, 1)) {
        const g = grids.get(code) ?? { gridCode: code, collectorIds: [], valid: 0, quota: 0, shortfall: 0 };
        g.collectorIds.push(c.collectorId);
        g.valid += c.valid;
        g.quota += c.quota;
        g.shortfall += c.shortfall;
        grids.set(code, g);
      }
    return { status: closed ? 'closed' : 'provisional', collectors, grids: [...grids.values()] };
  }
}
