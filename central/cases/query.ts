/**
 * @module central/cases/query
 * List filters for GET /api/cases: state, unit, grid, category, source, creation time range,
 * overdue (computed now), with offset pagination. Unit handlers and reporters only ever see
 * their own cases, whatever the filter says.
 */
import { z } from 'zod';
import type { User } from '../auth/roles.js';
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
  collectorId: z.string().max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('created at or after'),
  to: z.iso.datetime({ offset: true }).optional().describe('created before'),
  overdue: z.enum(['true', 'false']).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type CaseQuery = z.infer<typeof CaseQuery>;

export function listCases(svc: CaseService, q: CaseQuery, u: User) {
  const now = svc.now();
  const from = q.from ? new Date(q.from).toISOString() : undefined;
  const to = q.to ? new Date(q.to).toISOString() : undefined;
  const match = (c: CaseRecord) =>
    svc.canSee(u, c) &&
    (!q.state || q.state.includes(c.state)) &&
    (!q.unitId || c.unitId === q.unitId) &&
    (!q.gridCode || c.location.gridCode === q.gridCode) &&
    (!q.category || c.category === q.category) &&
    (!q.source || q.source.includes(c.source)) &&
    (!q.reporterId || c.reporter.id === q.reporterId) &&
    (!q.collectorId || c.reporter.collectorId === q.collectorId) &&
    (!from || c.createdAt >= from) &&
    (!to || c.createdAt < to) &&
    (!q.overdue || svc.isOverdue(c, now) === (q.overdue === 'true'));
  const all = svc.store.allCases().filter(match);
  const items = all.slice(q.offset, q.offset + q.limit).map((c) => {
    const { history, ...rest } = svc.view(c, now);
    return { ...rest, historyLength: history.length };
  });
  return { total: all.length, offset: q.offset, limit: q.limit, items };
}
