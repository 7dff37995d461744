/**
 * @module central/scoring/context
 * What monthly scoring, month close and bonus items share: the organisation tree, the rules,
 * the storage contract's scoring repository, central's clock and the city's month windows.
 */
import { ProblemError } from '../http/problem.js';
import type { ScoringRepository } from '../store/contract/index.js';
import { localTime } from './export.js';
import { type MonthWindow, monthWindow } from './month.js';
import { type OrgInput, OrgTree } from './org.js';
import type { Rules } from './rules.js';

export interface ScoringContextOptions {
  /** scoring's part of central's store (the storage contract: lowdb adapter or PostgreSQL) */
  store: ScoringRepository;
  org: OrgInput;
  rules: Rules;
  /** the city's offset, 480 for China */
  utcOffsetMinutes: number;
  now?: () => Date;
}

export class ScoringContext {
  readonly tree: OrgTree;
  readonly rules: Rules;
  readonly store: ScoringRepository;
  readonly utcOffsetMinutes: number;
  readonly #now?: () => Date;

  constructor(o: ScoringContextOptions) {
    this.tree = new OrgTree(o.org);
    this.rules = o.rules;
    this.store = o.store;
    this.utcOffsetMinutes = o.utcOffsetMinutes;
    this.#now = o.now;
  }

  now(): Date {
    return this.#now?.() ?? new Date();
  }

  window(month: string): MonthWindow {
    return monthWindow(month, this.utcOffsetMinutes);
  }

  /** A level id (default: the root, the bureau); 404 if it is no level. */
  level(levelId?: string): string {
    const id = levelId ?? this.tree.root().id;
    if (!this.tree.units.has(id))
      throw new ProblemError(404, 'unknown-level', `no unit ${id} in the organisation`);
    if (this.tree.members(id, this.rules).length === 0)
      throw new ProblemError(404, 'not-a-level', `unit ${id} has no assessed members`);
    return id;
  }

  /** While closed, a month's bonus items and item selection cannot change. */
  async assertOpen(month: string): Promise<void> {
    const c = await this.store.closedMonth(month);
    if (c)
      throw new ProblemError(
        409,
        'month-closed',
        `${month} was closed by ${c.closedBy} at ${localTime(c.closedAt, this.utcOffsetMinutes)}; reopen it first (audited)`,
        { closedBy: c.closedBy, closedAt: c.closedAt },
      );
  }
}
