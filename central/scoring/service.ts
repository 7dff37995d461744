/**
 * @module central/scoring/service
 * Scoring around the pure engine: reads central's cases (and equipment facts when an adapter
 * gives them), serves closed months from their frozen result and open months provisionally,
 * closes/reopens months (audited), keeps bonus items and per-month item selections.
 *
 * Late events: every event time is a time central recorded the fact, so a fact arriving after a
 * month closed normally falls in the open month. Should a record changed after the close
 * (`updatedAt`) still carry a time inside the closed month (a backdated record), its event
 * counts in the first open month after it — never in the frozen one, and never twice (its key
 * is checked against every frozen month).
 */
import type { CaseRecord } from '../cases/model.js';
import { type AttachmentStore, alreadyCited, checkUpload } from '../evidence/attachments.js';
import { ProblemError } from '../http/problem.js';
import {
  type BonusItem,
  type CollectorQuota,
  collectorQuotas,
  type LevelResult,
  round,
  scoreLevel,
} from './engine.js';
import { type DeviceMonthFacts, extractEvents, type ScoreEvent, type ValidReport } from './events.js';
import { collectorIndicators, type UnitIndicators, unitIndicators } from './indicators.js';
import { addMonths, monthOf, monthsOfYear, monthWindow } from './month.js';
import { type OrgInput, OrgTree } from './org.js';
import type { ItemKey, Rules } from './rules.js';
import type { AuditEntry, ScoringStore } from './store.js';

export interface ScoringServiceOptions {
  /** central's case store (only `allCases` is used) */
  cases: { allCases(): readonly CaseRecord[] };
  org: OrgInput;
  rules: Rules;
  store: ScoringStore;
  /** the city's offset, 480 for China */
  utcOffsetMinutes: number;
  /** equipment facts per month from central's device records; none yet → cases only */
  devices?: (month: string) => readonly DeviceMonthFacts[];
  /** where bonus items' attachments are uploaded; without it a bonus item cites none */
  attachments?: AttachmentStore;
  /** what else cites an upload (central's cases), by name, if anything */
  citedElsewhere?: (name: string) => string | undefined;
  now?: () => Date;
}

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

const MAX_CARRY_MONTHS = 24;

export class ScoringService {
  readonly tree: OrgTree;
  readonly rules: Rules;
  readonly #o: ScoringServiceOptions;

  constructor(o: ScoringServiceOptions) {
    this.#o = o;
    this.rules = o.rules;
    this.tree = new OrgTree(o.org);
  }

  get store(): ScoringStore {
    return this.#o.store;
  }
  now(): Date {
    return this.#o.now?.() ?? new Date();
  }
  window(month: string) {
    return monthWindow(month, this.#o.utcOffsetMinutes);
  }

  level(levelId: string | undefined): string {
    const id = levelId ?? this.tree.root().id;
    if (!this.tree.units.has(id))
      throw new ProblemError(404, 'unknown-level', `no unit ${id} in the organisation`);
    if (this.tree.members(id, this.rules).length === 0)
      throw new ProblemError(404, 'not-a-level', `unit ${id} has no assessed members`);
    return id;
  }

  includedItems(month: string): ItemKey[] {
    return (
      this.store.state.monthConfigs.find((m) => m.month === month)?.includedItems ??
      this.rules.defaultIncludedItems
    );
  }

  /** The first assessed month: the rules' go-live month, else the month of the first case held. */
  goLiveMonth(): string | undefined {
    if (this.rules.goLiveMonth) return this.rules.goLiveMonth;
    let first: string | undefined;
    for (const c of this.#o.cases.allCases()) if (!first || c.createdAt < first) first = c.createdAt;
    return first ? monthOf(first, this.#o.utcOffsetMinutes) : undefined;
  }

  /** Assessed: from the go-live month on (a city without any case yet has nothing to tell it by). */
  assessed(month: string): boolean {
    const live = this.goLiveMonth();
    return live === undefined || month >= live;
  }

  /** Share of the month passed by now: 1 once it ended. */
  elapsed(month: string): number {
    const w = this.window(month);
    return Math.min(1, Math.max(0, (this.now().getTime() - w.start) / (w.end - w.start)));
  }

  /** The month's events: its own, plus late ones of the closed months just before it. */
  eventsOf(month: string): { events: ScoreEvent[]; validReports: ValidReport[] } {
    const cases = this.#o.cases.allCases();
    const own = extractEvents(
      { cases, devices: this.#o.devices?.(month) ?? [], asOf: this.now().getTime() },
      this.window(month),
      this.tree,
      this.rules,
    );
    const frozen = new Set<string>();
    for (const m of this.store.closedMonths())
      for (const k of this.store.closed(m)?.keys ?? []) frozen.add(k);
    let m = addMonths(month, -1);
    for (
      let c = this.store.closed(m), i = 0;
      c && i < MAX_CARRY_MONTHS;
      i++, m = addMonths(m, -1), c = this.store.closed(m)
    ) {
      // only a record changed after the close can hold a fact the frozen month has not seen
      const closedAt = Date.parse(c.closedAt);
      const changed = cases.filter((k) => Date.parse(k.updatedAt) > closedAt);
      const late = extractEvents(
        { cases: changed, devices: this.#o.devices?.(m) ?? [] },
        this.window(m),
        this.tree,
        this.rules,
      );
      own.events.push(...late.events.filter((e) => !frozen.has(e.key)));
      own.validReports.push(...late.validReports.filter((r) => !frozen.has(r.key)));
    }
    return own;
  }

  /** Compute a month for one level now, ignoring any frozen result. */
  compute(month: string, levelId: string, ev = this.eventsOf(month)): LevelResult {
    return scoreLevel(
      {
        month,
        levelId,
        ...ev,
        bonuses: this.store.state.bonuses,
        includedItems: this.includedItems(month),
        elapsed: this.elapsed(month),
      },
      this.tree,
      this.rules,
    );
  }

  monthScores(month: string, levelId?: string): MonthScores {
    const id = this.level(levelId);
    const closed = this.store.closed(month);
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
      status: this.assessed(month) ? 'provisional' : 'not_assessed',
      computedAt: this.now().toISOString(),
      result: this.compute(month, id),
    };
  }

  annual(year: number, levelId?: string): { year: number; levelId: string; rows: AnnualRow[] } {
    const id = this.level(levelId);
    const rows = new Map<string, AnnualRow>();
    for (const u of this.tree.members(id, this.rules))
      rows.set(u.id, {
        unitId: u.id,
        name: u.name,
        weight: this.tree.weight(u, this.rules),
        months: [],
        annual: 0,
        annualRaw: 0,
        rank: 0,
      });
    for (const month of monthsOfYear(year)) {
      const future = this.window(month).start > this.now().getTime() && !this.store.closed(month);
      const s = future ? undefined : this.monthScores(month, id);
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
    const dp = this.rules.decimals;
    for (const r of rows.values()) {
      const assessed = r.months.filter((m) => m.raw !== null).length;
      const divisor = this.rules.annualDivisor === 'twelve' ? 12 : Math.max(1, assessed);
      r.annual = round(r.months.reduce((a, m) => a + (m.weighted ?? 0), 0) / divisor, dp);
      r.annualRaw = round(r.months.reduce((a, m) => a + (m.raw ?? 0), 0) / divisor, dp);
    }
    const list = [...rows.values()];
    for (const r of list) r.rank = 1 + list.filter((o) => o.annualRaw > r.annualRaw).length;
    list.sort((a, b) => a.rank - b.rank || a.unitId.localeCompare(b.unitId));
    return { year, levelId: id, rows: list };
  }

  /** Indicators of a level's members and of every collector (frozen once the month is closed). */
  indicators(month: string, levelId?: string) {
    const id = this.level(levelId);
    const frozen = this.store.closed(month)?.indicators;
    if (frozen?.units[id])
      return { month, levelId: id, status: 'closed', units: frozen.units[id], collectors: frozen.collectors };
    const cases = this.#o.cases.allCases();
    const w = this.window(month);
    const members = this.tree.members(id, this.rules).map((u) => u.id);
    return {
      month,
      levelId: id,
      status: 'provisional',
      units: unitIndicators(cases, w, this.tree, members),
      collectors: collectorIndicators(cases, w, this.tree),
    };
  }

  /**
   * Collectors' valid reports against the quota (frozen when the month is closed), optionally of
   * one unit's subtree; also per grid (a collector counts for their first grid, as for their unit).
   */
  collectors(
    month: string,
    unitId?: string,
  ): { status: 'closed' | 'provisional'; collectors: CollectorQuota[]; grids: GridQuota[] } {
    if (unitId && !this.tree.units.has(unitId))
      throw new ProblemError(404, 'unknown-unit', `no unit ${unitId}`);
    const closed = this.store.closed(month)?.levels[this.tree.root().id];
    const all = closed
      ? closed.members.flatMap((m) => m.collectors)
      : collectorQuotas(this.eventsOf(month).validReports, this.tree, this.rules, this.elapsed(month));
    const collectors = all.filter((c) => !unitId || this.tree.path(c.unitId).includes(unitId));
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

  // ---- month close -------------------------------------------------------------------------

  async close(month: string, by: string, note?: string): Promise<MonthScores> {
    const w = this.window(month);
    if (this.store.closed(month)) throw new ProblemError(409, 'month-closed', `${month} is already closed`);
    if (!this.assessed(month))
      throw new ProblemError(
        409,
        'not-assessed',
        `${month} is before the go-live month ${this.goLiveMonth() ?? '(no cases yet)'}`,
      );
    if (this.now().getTime() < w.end)
      throw new ProblemError(
        409,
        'month-not-over',
        `${month} has not ended yet; it can only be computed provisionally`,
      );
    const ev = this.eventsOf(month);
    const levels: Record<string, LevelResult> = {};
    const cases = this.#o.cases.allCases();
    const indicators = {
      units: {} as Record<string, UnitIndicators[]>,
      collectors: collectorIndicators(cases, w, this.tree),
    };
    for (const l of this.tree.levels(this.rules)) {
      levels[l.id] = this.compute(month, l.id, ev);
      indicators.units[l.id] = unitIndicators(
        cases,
        w,
        this.tree,
        this.tree.members(l.id, this.rules).map((u) => u.id),
      );
    }
    const at = this.now().toISOString();
    const keys = [...ev.events.map((e) => e.key), ...ev.validReports.map((r) => r.key)];
    await this.store.putClosed(
      { month, closedAt: at, closedBy: by, levels, indicators, keys },
      { at, by, action: 'close', month, note },
    );
    return this.monthScores(month);
  }

  async reopen(month: string, by: string, reason: string): Promise<void> {
    if (!this.store.closed(month)) throw new ProblemError(409, 'month-open', `${month} is not closed`);
    await this.store.dropClosed(month, {
      at: this.now().toISOString(),
      by,
      action: 'reopen',
      month,
      note: reason,
    });
  }

  async setIncludedItems(month: string, items: ItemKey[], by: string): Promise<void> {
    this.#assertOpen(month);
    const st = this.store.state;
    const at = this.now().toISOString();
    st.monthConfigs = st.monthConfigs.filter((m) => m.month !== month);
    st.monthConfigs.push({ month, includedItems: items, setBy: by, setAt: at });
    st.audit.push({ at, by, action: 'items', month, note: items.join(',') });
    await this.store.save();
  }

  /** Bonus items belong to units some level assesses (not the bureau, not the centre). */
  #assertAssessed(unitId: string): void {
    const u = this.tree.units.get(unitId);
    if (!u) throw new ProblemError(422, 'unknown-unit', `no unit ${unitId}`);
    const assessed =
      u.parentId !== undefined && this.tree.members(u.parentId, this.rules).some((m) => m.id === unitId);
    if (!assessed)
      throw new ProblemError(
        422,
        'unit-not-assessed',
        `${u.name} (${unitId}) is not assessed; bonus items need an assessed unit`,
      );
  }

  #assertOpen(month: string): void {
    if (this.store.closed(month))
      throw new ProblemError(409, 'month-closed', `${month} is closed; reopen it first (audited)`);
  }

  // ---- bonus items -------------------------------------------------------------------------

  bonuses(month?: string): BonusItem[] {
    return this.store.state.bonuses.filter((b) => !month || b.month === month);
  }

  #bonus(id: string): BonusItem {
    const b = this.store.state.bonuses.find((x) => x.id === id);
    if (!b) throw new ProblemError(404, 'unknown-bonus', `no bonus item ${id}`);
    return b;
  }

  /** The bonus item citing this upload, if one does (uploads are cited once, cases included). */
  bonusCiting(name: string): string | undefined {
    const b = this.store.state.bonuses.find((x) => x.attachments?.some((a) => a.name === name));
    return b && `bonus item ${b.id}`;
  }

  /** The proposer's own uploads, checked as case actions check theirs. */
  async #uploads(names: readonly string[], by: string): Promise<BonusItem['attachments']> {
    if (!names.length) return undefined;
    const att = this.#o.attachments;
    if (!att) throw new ProblemError(422, 'attachments-unavailable', 'this central keeps no attachments');
    const out: NonNullable<BonusItem['attachments']> = [];
    for (const name of new Set(names))
      out.push({ name, contentType: (await checkUpload(att, name, 'any', by)).contentType });
    return out;
  }

  async createBonus(
    b: Pick<BonusItem, 'id' | 'month' | 'unitId' | 'points' | 'reason'> & { attachments?: readonly string[] },
    by: string,
  ): Promise<BonusItem> {
    this.#assertOpen(b.month);
    this.#assertAssessed(b.unitId);
    const previous = addMonths(monthOf(this.now().getTime(), this.#o.utcOffsetMinutes), -1);
    if (b.month !== previous)
      throw new ProblemError(
        422,
        'bonus-month',
        `bonus items are compiled at the start of a month for the previous one: ${previous}, not ${b.month}`,
      );
    const attachments = await this.#uploads(b.attachments ?? [], by);
    // after the awaits, nothing between this check and the push: two proposals cannot both cite one upload
    for (const a of attachments ?? []) {
      const other = this.#o.citedElsewhere?.(a.name) ?? this.bonusCiting(a.name);
      if (other) throw alreadyCited(a.name, other);
    }
    const at = this.now().toISOString();
    const item: BonusItem = { ...b, attachments, state: 'pending', createdBy: by, createdAt: at };
    if (!attachments) delete item.attachments;
    this.store.state.bonuses.push(item);
    this.#audit({
      at,
      by,
      action: 'bonus_create',
      month: b.month,
      bonusId: b.id,
      note: `${b.unitId} +${b.points}`,
    });
    await this.store.save();
    return item;
  }

  async updateBonus(id: string, patch: Partial<Pick<BonusItem, 'points' | 'reason' | 'unitId'>>, by: string) {
    const b = this.#bonus(id);
    this.#assertOpen(b.month);
    if (b.state !== 'pending')
      throw new ProblemError(409, 'bonus-decided', `bonus ${id} is already ${b.state}`);
    if (patch.unitId) this.#assertAssessed(patch.unitId);
    Object.assign(b, patch);
    this.#audit({ at: this.now().toISOString(), by, action: 'bonus_update', month: b.month, bonusId: id });
    await this.store.save();
    return b;
  }

  async deleteBonus(id: string, by: string): Promise<void> {
    const b = this.#bonus(id);
    this.#assertOpen(b.month);
    if (b.state !== 'pending')
      throw new ProblemError(409, 'bonus-decided', `bonus ${id} is already ${b.state}`);
    this.store.state.bonuses = this.store.state.bonuses.filter((x) => x.id !== id);
    this.#audit({ at: this.now().toISOString(), by, action: 'bonus_delete', month: b.month, bonusId: id });
    await this.store.save();
  }

  async decideBonus(
    id: string,
    decision: 'approved' | 'rejected',
    by: string,
    note?: string,
  ): Promise<BonusItem> {
    const b = this.#bonus(id);
    this.#assertOpen(b.month);
    if (b.state !== 'pending')
      throw new ProblemError(409, 'bonus-decided', `bonus ${id} is already ${b.state}`);
    const at = this.now().toISOString();
    Object.assign(b, { state: decision, decidedBy: by, decidedAt: at, decisionNote: note });
    this.#audit({
      at,
      by,
      action: decision === 'approved' ? 'bonus_approve' : 'bonus_reject',
      month: b.month,
      bonusId: id,
      note,
    });
    await this.store.save();
    return b;
  }

  audit(): AuditEntry[] {
    return this.store.state.audit;
  }

  #audit(e: AuditEntry): void {
    this.store.state.audit.push(e);
  }
}
