/**
 * @module central/cases/query
 * List filters for GET /api/cases: state, unit, grid, category, source, creation time range,
 * overdue (computed now), a free-text `q` over 案卷号, address and description, with offset
 * pagination up to a cap and a cursor (`before`, the previous page's `next`) for deeper reads.
 * Unit handlers and reporters only ever see their own cases, whatever the filter says.
 *
 * The store answers the filters it has indexes for (`CaseStore.listCases`: per state, unit, grid,
 * category, source, reporter; totals from the indexes). `q`, the 案卷号 prefix and `overdue=false`
 * have no index of their own: they narrow the cases the other filters chose with a test on
 * records already in memory; the console sends `q` with a state or date filter when it has one.
 */
import { z } from 'zod';
import { seesAll, type User } from '../auth/roles.js';
import { ProblemError } from '../http/problem.js';
import type { CaseFilter } from '../store/contract/index.js';
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

/** The store's filter for a query and who asks: a unit handler or reporter sees only their own cases. */
function filterOf(q: CaseQuery, u: User, now: Date): CaseFilter {
  const iso = (t: string | undefined) => (t ? new Date(t).toISOString() : undefined);
  return {
    states: q.state,
    unitId: q.unitId,
    gridCode: q.gridCode,
    category: q.category,
    sources: q.source,
    reporterId: q.reporterId,
    collectorId: q.collectorId,
    createdFrom: iso(q.from),
    createdTo: iso(q.to),
    overdueAt: q.overdue === 'true' ? now.toISOString() : undefined,
    visibleTo: seesAll(u.role)
      ? undefined
      : u.role === 'unit_handler'
        ? { unitId: u.unitId }
        : { reporterId: u.id },
  };
}

/** What the store's filter cannot say (text, 案卷号 prefix, not overdue): tested on its matches. */
function residual(svc: CaseService, q: CaseQuery, now: Date): ((c: CaseRecord) => boolean) | undefined {
  const text = q.q?.toLowerCase();
  if (!text && !q.caseNumber && q.overdue !== 'false') return undefined;
  return (c) =>
    (!q.caseNumber || (c.caseNumber?.startsWith(q.caseNumber) ?? false)) &&
    (!text || containsText(c, text)) &&
    (q.overdue !== 'false' || !svc.isOverdue(c, now));
}

export function listCases(svc: CaseService, q: CaseQuery, u: User) {
  assertPageLimits(q);
  const now = svc.now();
  const filter = filterOf(q, u, now);
  const rest = residual(svc, q, now);
  let found: { total: number; items: CaseRecord[] };
  if (!rest) found = svc.store.listCases(filter, { offset: q.offset, limit: q.limit, before: q.before });
  else {
    const all = svc.store
      .listCases(filter, { offset: 0, limit: Infinity, before: q.before })
      .items.filter(rest);
    found = { total: all.length, items: all.slice(q.offset, q.offset + q.limit) };
  }
  const items = found.items.map((c) => {
    const { history, ...summary } = svc.view(c, now);
    return { ...summary, historyLength: history.length };
  });
  return {
    total: found.total,
    offset: q.offset,
    limit: q.limit,
    items,
    // the cursor for the next page, while there is one
    next: q.offset + q.limit < found.total ? items.at(-1)?.id : undefined,
  };
}

function containsText(c: CaseRecord, text: string): boolean {
  return [c.caseNumber, c.location.address, c.description].some(
    (f) => f?.toLowerCase().includes(text) ?? false,
  );
}
