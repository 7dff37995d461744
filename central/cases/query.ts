/**
 * @module central/cases/query
 * List filters for GET /api/cases: state, unit, grid, category, source, creation time range,
 * overdue (computed now), a free-text `q` over 案卷号, address and description, with offset
 * pagination up to a cap and a cursor (`before`, the previous page's `next`) for deeper reads.
 * Unit handlers and reporters only ever see their own cases, whatever the filter says.
 *
 * `q` has no index of its own: it narrows the candidates the other filters chose (the state index
 * when states are given) with a substring test on three short fields of records already in
 * memory, the same pass every non-state filter makes; the console sends it with a state or date
 * filter when it has one.
 */
import { z } from 'zod';
import { seesAll, type User } from '../auth/roles.js';
import { ProblemError } from '../http/problem.js';
import type { CaseRecord } from './model.js';
import { SOURCE_NAMES } from './model.js';
import type { CaseService } from './service.js';
import { CASE_STATE_NAMES } from './workflow.js';

const csv = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(values)));

export const CaseQuery = z.strictObject({
  state: csv(CASE_STATE_NAMES).optional().describe('comma-separated states'),
  unitId: z.string().max(64).optional(),
  gridCode: z
    .string()
    .regex(/^\d{15}$/)
    .optional(),
  category: z
    .string()
    .regex(/^\d{2}\.\d{2}$/)
    .optional(),
  source: csv(SOURCE_NAMES).optional(),
  reporterId: z.string().max(64).optional().describe('user or gateway id that reported'),
  caseNumber: z
    .string()
    .regex(/^\d{1,13}$/)
    .optional()
    .describe('案卷号, or its leading digits (a day: 20261201)'),
  collectorId: z.string().max(64).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('text in the 案卷号, address or description (case-insensitive)'),
  from: z.iso.datetime({ offset: true }).optional().describe('created at or after'),
  to: z.iso.datetime({ offset: true }).optional().describe('created before'),
  overdue: z.enum(['true', 'false']).optional(),
  before: z
    .string()
    .regex(/^[0-9A-Za-z]{26}$/)
    .optional()
    .describe('cursor: cases older than this case id (the `next` of the previous page)'),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).default(50),
});
export type CaseQuery = z.infer<typeof CaseQuery>;

/** A page is at most this long, and starts at most this deep; past that, page by `before`. */
export const PAGE_LIMITS = { limit: 500, offset: 10_000 } as const;

function assertPageLimits(q: CaseQuery): void {
  const deeper =
    'page deeper with before=<the next of the previous page> or narrow with from/to (creation time)';
  if (q.limit > PAGE_LIMITS.limit)
    throw new ProblemError(422, 'page-limit', `limit ${q.limit} is over ${PAGE_LIMITS.limit}`);
  if (q.offset > PAGE_LIMITS.offset)
    throw new ProblemError(422, 'page-limit', `offset ${q.offset} is over ${PAGE_LIMITS.offset}: ${deeper}`);
}

const newestFirst = (a: CaseRecord, b: CaseRecord) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Where to look, newest first: the state index when states are asked for (few open cases among a year's closed ones), else every case. */
function candidates(svc: CaseService, q: CaseQuery): CaseRecord[] {
  if (!q.state) return svc.store.allCases();
  return [...new Set(q.state)].flatMap((s) => svc.store.casesInState(s)).sort(newestFirst);
}

/** No filter at all (but the cursor) for a role that sees everything: a page of the list, no scan. */
function unfiltered(q: CaseQuery, u: User): boolean {
  const { offset: _o, limit: _l, before: _b, ...filters } = q;
  return seesAll(u.role) && Object.values(filters).every((v) => v === undefined);
}

/** Only a state filter, for a role that sees everything: the work queues. */
function stateOnly(q: CaseQuery, u: User): q is CaseQuery & { state: string[] } {
  const { offset: _o, limit: _l, before: _b, state, ...filters } = q;
  return seesAll(u.role) && !!state && Object.values(filters).every((v) => v === undefined);
}

/**
 * The k newest of `list` in newest-first order without sorting all of it (a queue of 20k
 * reported cases answered 50 at a time): a sorted buffer of k, binary insertion.
 */
export function newestK(list: readonly CaseRecord[], k: number): CaseRecord[] {
  if (k <= 0) return [];
  if (k * 8 >= list.length) return [...list].sort(newestFirst).slice(0, k);
  const top: CaseRecord[] = [];
  for (const c of list) {
    if (top.length === k && c.id <= top[k - 1]!.id) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (top[mid]!.id > c.id) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, c);
    if (top.length > k) top.pop();
  }
  return top;
}

/** Where the cases older than `before` start in a newest-first list (binary search). */
function olderThan(list: readonly CaseRecord[], before: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.id >= before) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The k newest cases in `states` read off the newest-first list, looking at no more cases than
 * the states hold (undefined when that is not enough): unconfirmed cases are mostly recent, so
 * a queue of 20,000 reported cases is answered from the first few, without copying all of them.
 */
function newestFromList(
  all: readonly CaseRecord[],
  states: Set<string>,
  k: number,
  total: number,
): CaseRecord[] | undefined {
  const found: CaseRecord[] = [];
  const budget = Math.min(all.length, total);
  for (let i = 0; i < budget && found.length < k; i++) if (states.has(all[i]!.state)) found.push(all[i]!);
  return found.length >= Math.min(k, total) ? found : undefined;
}

export function listCases(svc: CaseService, q: CaseQuery, u: User) {
  assertPageLimits(q);
  const now = svc.now();
  const result = (total: number, items: ReturnType<typeof page>) => ({
    total,
    offset: q.offset,
    limit: q.limit,
    items,
    // the cursor for the next page, while there is one
    next: q.offset + q.limit < total ? items.at(-1)?.id : undefined,
  });
  if (unfiltered(q, u)) {
    const all = svc.store.allCases();
    const start = q.before ? olderThan(all, q.before) : 0;
    const window = { ...q, offset: start + q.offset };
    return result(all.length - start, page(svc, all, window, now));
  }
  if (stateOnly(q, u)) {
    const states = [...new Set(q.state)];
    const k = q.offset + q.limit;
    if (q.before) {
      const before = q.before;
      const inStates = states.flatMap((s) => svc.store.casesInState(s)).filter((c) => c.id < before);
      return result(inStates.length, page(svc, newestK(inStates, k), q, now));
    }
    const counts = svc.store.countByState();
    const total = states.reduce((n, s) => n + (counts.get(s) ?? 0), 0);
    const newest =
      newestFromList(svc.store.allCases(), new Set(states), k, total) ??
      newestK(
        states.flatMap((s) => svc.store.casesInState(s)),
        k,
      );
    return result(total, page(svc, newest, q, now));
  }
  const from = q.from ? new Date(q.from).toISOString() : undefined;
  const to = q.to ? new Date(q.to).toISOString() : undefined;
  const text = q.q?.toLowerCase();
  const match = (c: CaseRecord) =>
    svc.canSee(u, c) &&
    (!q.state || q.state.includes(c.state)) &&
    (!q.unitId || c.unitId === q.unitId) &&
    (!q.gridCode || c.location.gridCode === q.gridCode) &&
    (!q.category || c.category === q.category) &&
    (!q.source || q.source.includes(c.source)) &&
    (!q.reporterId || c.reporter.id === q.reporterId) &&
    (!q.caseNumber || (c.caseNumber?.startsWith(q.caseNumber) ?? false)) &&
    (!q.collectorId || c.reporter.collectorId === q.collectorId) &&
    (!text || containsText(c, text)) &&
    (!from || c.createdAt >= from) &&
    (!to || c.createdAt < to) &&
    (!q.before || c.id < q.before) &&
    (!q.overdue || svc.isOverdue(c, now) === (q.overdue === 'true'));
  const all = candidates(svc, q).filter(match);
  return result(all.length, page(svc, all, q, now));
}

function containsText(c: CaseRecord, text: string): boolean {
  return [c.caseNumber, c.location.address, c.description].some(
    (f) => f?.toLowerCase().includes(text) ?? false,
  );
}

function page(svc: CaseService, all: CaseRecord[], q: CaseQuery, now: Date) {
  return all.slice(q.offset, q.offset + q.limit).map((c) => {
    const { history, ...rest } = svc.view(c, now);
    return { ...rest, historyLength: history.length };
  });
}
