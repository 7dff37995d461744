/**
 * @module central/cases/query
 * List filters for GET /api/cases: state, unit, grid, category, source, creation time range,
 * overdue (computed now), a free-text `q` over 案卷号, address and description, with offset
 * pagination up to a cap and a cursor (`before`, the previous page's `next`) for deeper reads.
 * Unit handlers and reporters only ever see their own cases, whatever the filter says. The
 * query becomes one `CaseFilter` the store answers (`cases.list`), newest first.
 *
 * `q` has no index of its own: it narrows the candidates the other filters chose; the console
 * sends it with a state or date filter when it has one.
 */
import { z } from 'zod';
import type { User } from '../auth/roles.js';
import { ProblemError } from '../http/problem.js';
import type { CaseFilter } from '../store/contract/index.js';
import { SOURCE_NAMES } from './model.js';
import type { CaseService } from './service.js';
import { visibleTo } from './visibility.js';
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

/** The query as the store's filter: the store answers it from its indexes (SQL in PostgreSQL). */
export function filterOf(q: CaseQuery, u: User, now: Date): CaseFilter {
  const iso = (t?: string) => (t ? new Date(t).toISOString() : undefined);
  const f: CaseFilter = {
    states: q.state && [...new Set(q.state)],
    unitId: q.unitId,
    gridCode: q.gridCode,
    category: q.category,
    sources: q.source,
    reporterId: q.reporterId,
    collectorId: q.collectorId,
    caseNumberPrefix: q.caseNumber,
    text: q.q,
    createdFrom: iso(q.from),
    createdTo: iso(q.to),
    before: q.before,
    overdueAt: q.overdue === 'true' ? now.toISOString() : undefined,
    notOverdueAt: q.overdue === 'false' ? now.toISOString() : undefined,
    visibleTo: visibleTo(u),
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as CaseFilter;
}

/** A page of the cases `u` may see, as summaries (routes.ts sends each as its view). */
export async function listCases(svc: CaseService, q: CaseQuery, u: User, now = svc.now()) {
  assertPageLimits(q);
  const { total, items } = await svc.store.cases.list(filterOf(q, u, now), {
    offset: q.offset,
    limit: q.limit,
  });
  return {
    total,
    offset: q.offset,
    limit: q.limit,
    items,
    // the cursor for the next page, while there is one
    next: q.offset + q.limit < total ? items.at(-1)?.id : undefined,
  };
}
