/**
 * @module central/cases/redispatch
 * Which deadline a dispatch sets. A first dispatch, or a dispatch to another unit after a
 * (rightful) return, gets the category's full working time. A dispatch back to the unit that
 * returned the case — the return was wrong — keeps the deadline clock the unit had, by default:
 * a wrongful return must not buy a fresh deadline (an overdue case would close on time). The
 * city's catalog may choose the lenient reading (`workflow.redispatchSameUnit: "fresh"`).
 */
import type { City } from '../city/index.js';
import type { CaseRecord } from './model.js';

export type RedispatchPolicy = 'keepDeadline' | 'fresh';

/** The deadline the unit had when it returned the case, if the last move was its return. */
export function returnedDeadline(c: CaseRecord, unitId: string): string | undefined {
  const last = c.history.filter((h) => h.action === 'return' || h.action === 'dispatch').at(-1);
  if (last?.action !== 'return' || last.data?.returnedBy !== unitId) return undefined;
  if (typeof last.data.deadline === 'string') return last.data.deadline;
  // returns recorded before the deadline was kept with them: the last deadline set before it
  for (const h of c.history.filter((x) => x.seq < last.seq).reverse())
    if (typeof h.data?.deadline === 'string') return h.data.deadline;
  return undefined;
}

export function dispatchDeadline(c: CaseRecord, unitId: string, city: City, now: Date): string {
  const kept = city.workflow.redispatchSameUnit === 'keepDeadline' ? returnedDeadline(c, unitId) : undefined;
  return kept ?? city.calendar.addWorkingTime(now, c.deadlineSpec).toISOString();
}
