/**
 * @module central/scoring/close
 * Month close: a leader freezes an ended month — every level's result, its indicators and the
 * keys of every event and valid report it counted — in one write of the storage contract (one
 * transaction on PostgreSQL, the month file on lowdb). Two instances closing at once: one
 * wins, the other is refused with 409 naming who closed it and when. Reopening (with a reason)
 * and the per-month item selection are audited the same way.
 */
import { ProblemError } from '../http/problem.js';
import { MonthAlreadyClosed, MonthNotClosed } from '../store/contract/index.js';
import type { ScoringContext } from './context.js';
import type { LevelResult } from './engine.js';
import { localTime } from './export.js';
import type { MonthlyScoring, MonthScores } from './monthly.js';
import type { ItemKey } from './rules.js';

export interface MonthStatus {
  month: string;
  status: 'closed' | 'provisional';
  closedAt?: string;
  closedBy?: string;
  includedItems: ItemKey[];
}

export class MonthClose {
  constructor(
    private readonly ctx: ScoringContext,
    private readonly monthly: MonthlyScoring,
  ) {}

  async status(month: string): Promise<MonthStatus> {
    const closed = await this.ctx.store.closedMonth(month);
    return {
      month,
      status: closed ? 'closed' : 'provisional',
      closedAt: closed?.closedAt,
      closedBy: closed?.closedBy,
      includedItems: await this.monthly.includedItems(month),
    };
  }

  async close(month: string, by: string, note?: string): Promise<MonthScores> {
    const { ctx, monthly } = this;
    const w = ctx.window(month);
    await ctx.assertOpen(month);
    if (!(await monthly.assessed(month)))
      throw new ProblemError(
        409,
        'not-assessed',
        `${month} is before the go-live month ${(await monthly.goLiveMonth()) ?? '(no cases yet)'}`,
      );
    if (ctx.now().getTime() < w.end)
      throw new ProblemError(
        409,
        'month-not-over',
        `${month} has not ended yet; it can only be computed provisionally`,
      );
    const cases = await ctx.store.casesForMonth(w);
    const ev = await monthly.eventsOf(month, cases);
    const levelIds = ctx.tree.levels(ctx.rules).map((l) => l.id);
    const levels: Record<string, LevelResult> = {};
    for (const id of levelIds) levels[id] = await monthly.compute(month, id, ev);
    const indicators = await monthly.computeIndicators(month, levelIds, cases);
    const at = ctx.now().toISOString();
    const keys = [...ev.events.map((e) => e.key), ...ev.validReports.map((r) => r.key)];
    try {
      await ctx.store.closeMonth(
        { month, closedAt: at, closedBy: by, levels, indicators, keys },
        { at, by, action: 'close', month, note },
      );
    } catch (e) {
      if (!(e instanceof MonthAlreadyClosed)) throw e;
      // another instance closed it while this one computed: its result stands
      throw new ProblemError(
        409,
        'month-closed',
        `${month} was closed by ${e.closedBy} at ${localTime(e.closedAt, ctx.utcOffsetMinutes)}`,
        { closedBy: e.closedBy, closedAt: e.closedAt },
      );
    }
    return monthly.monthScores(month);
  }

  async reopen(month: string, by: string, reason: string): Promise<void> {
    try {
      await this.ctx.store.reopenMonth(month, {
        at: this.ctx.now().toISOString(),
        by,
        action: 'reopen',
        month,
        note: reason,
      });
    } catch (e) {
      if (e instanceof MonthNotClosed) throw new ProblemError(409, 'month-open', `${month} is not closed`);
      throw e;
    }
  }

  async setIncludedItems(month: string, items: ItemKey[], by: string): Promise<void> {
    await this.ctx.assertOpen(month);
    const at = this.ctx.now().toISOString();
    await this.ctx.store.setMonthConfig(
      { month, includedItems: items, setBy: by, setAt: at },
      { at, by, action: 'items', month, note: items.join(',') },
    );
  }
}
