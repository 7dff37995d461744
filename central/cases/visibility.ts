/**
 * @module central/cases/visibility
 * Who sees which case, and what a case looks like when read: a unit handler sees the cases of
 * their unit, a reporter their own reports, the centre and leaders everything (the same rule as
 * a list filter, `visibleTo`, so the store answers it); overdue is computed on read, never
 * stored: with the unit (dispatched/processing/extension_pending) and past the deadline.
 */
import { seesAll, type User } from '../auth/roles.js';
import type { City } from '../city/index.js';
import { ProblemError } from '../http/problem.js';
import type { CaseFilter, CaseSummary } from '../store/contract/index.js';
import type { CaseContext } from './context.js';
import type { CaseRecord } from './model.js';
import { versionOf } from './records.js';
import { CASE_STATES, isWithUnit } from './workflow.js';

type CaseFields = Omit<CaseRecord, 'history'>;

export function canSee(u: User, c: CaseFields): boolean {
  if (seesAll(u.role)) return true;
  if (u.role === 'unit_handler') return !!u.unitId && c.unitId === u.unitId;
  return c.reporter.id === u.id;
}

/** `canSee` as a list filter (undefined: sees everything). */
export function visibleTo(u: User): CaseFilter['visibleTo'] {
  if (seesAll(u.role)) return undefined;
  return u.role === 'unit_handler' ? { unitId: u.unitId } : { reporterId: u.id };
}

export async function getVisible(ctx: CaseContext, id: string, u: User): Promise<CaseRecord> {
  const c = (await ctx.store.cases.get(id))?.case;
  if (!c) throw new ProblemError(404, 'case-not-found', `no case ${id}`);
  if (!canSee(u, c)) throw new ProblemError(403, 'forbidden', `case ${id} is not visible to you`);
  return c;
}

export function isOverdue(c: CaseFields, now: Date): boolean {
  return isWithUnit(c.state) && !!c.deadline && Date.parse(c.deadline) < now.getTime();
}

export type CaseView<T extends CaseFields = CaseRecord> = T & {
  version: number;
  stateName: string;
  categoryName: string;
  unitName?: string;
  overdue: boolean;
};

/** The names people read and `overdue` now, set on a case object the caller owns (named stores keep it a fast-mode object) */
function addNames<T extends CaseFields>(city: City, c: T, now: Date): CaseView<T> {
  const v = c as CaseView<T>;
  v.version = versionOf(c);
  v.stateName = CASE_STATES[c.state].zh;
  v.categoryName = city.categoryName(c.category);
  v.unitName = c.unitId ? city.units.get(c.unitId)?.name : undefined;
  v.overdue = isOverdue(c, now);
  return v;
}

/** A case with the names people read and `overdue` now (a copy: the stored case is left alone). */
export function viewOf<T extends CaseFields>(city: City, c: T, now: Date): CaseView<T> {
  return addNames(city, { ...c }, now);
}

/**
 * `viewOf` for a listed summary the caller owns (`cases.list` answers new objects): the names
 * are added to it instead of copying it again, one copy of a page less per list request.
 */
export function viewListed<T extends CaseSummary>(city: City, s: T, now: Date): CaseView<T> {
  return addNames(city, s, now);
}
