/**
 * @module central/scoring/service
 * Scoring's three jobs over one shared context: `monthly` (scores, annual, indicators,
 * collectors — monthly.ts), `months` (close, reopen, item selection — close.ts) and `bonuses`
 * (bonus items and the audit log — bonus.ts). Everything is read and written through the
 * storage contract's scoring repository, so any number of central instances can share it.
 * @example
 *   const svc = new ScoringService({ store: central.store.scoring, org, rules, utcOffsetMinutes: 480 });
 *   const nov = await svc.monthly.monthScores('2026-11');
 */
import { BonusItems, type BonusItemsOptions } from './bonus.js';
import { MonthClose } from './close.js';
import { ScoringContext, type ScoringContextOptions } from './context.js';
import { type DeviceFactsSource, MonthlyScoring } from './monthly.js';
import type { OrgTree } from './org.js';
import type { Rules } from './rules.js';

export interface ScoringServiceOptions extends ScoringContextOptions, BonusItemsOptions {
  /** equipment facts per month from central's device records; none yet → cases only */
  devices?: DeviceFactsSource;
}

export class ScoringService {
  readonly ctx: ScoringContext;
  readonly monthly: MonthlyScoring;
  readonly months: MonthClose;
  readonly bonuses: BonusItems;

  constructor(o: ScoringServiceOptions) {
    this.ctx = new ScoringContext(o);
    this.monthly = new MonthlyScoring(this.ctx, o.devices);
    this.months = new MonthClose(this.ctx, this.monthly);
    this.bonuses = new BonusItems(this.ctx, o);
  }

  get tree(): OrgTree {
    return this.ctx.tree;
  }
  get rules(): Rules {
    return this.ctx.rules;
  }
}
