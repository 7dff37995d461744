/**
 * @module central/scoring/routes
 * /api/scoring — scores per month and level, a unit's items with the events behind them,
 * annual results, indicators, collectors' quotas, bonus items (the office creates, a leader
 * decides), month close/reopen, per-month included items, the audit log. Every list can be
 * downloaded with `?format=csv` (UTF-8 with BOM) or `?format=xlsx`; JSON is the default.
 * Reading: operator, leader, admin, unit handlers (the ranking, and the detail of their own unit
 * only: central/scoring/visibility.ts); bonus items: operator/admin create, edit,
 * delete, leader/admin decide; closing, reopening and item selection: leader/admin.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import { newId } from '../../protocol/index.js';
import type { AuthEnv, Role, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import { ProblemError } from '../http/problem.js';
import { jsonBody, query } from '../http/validate.js';
import { attachment, CONTENT_TYPES, type Table, toCsv, toXlsx } from './export.js';
import { MONTH_RE } from './month.js';
import { ITEM_KEYS } from './rules.js';
import type { ScoringService } from './service.js';
import { annualTable, collectorsTable, eventsTable, indicatorsTable, scoresTable } from './tables.js';
import { detailScope, inScope, redactResult, visibleBonuses } from './visibility.js';

const READ: Role[] = ['operator', 'leader', 'admin', 'unit_handler'];
const OFFICE: Role[] = ['operator', 'admin'];
const LEAD: Role[] = ['leader', 'admin'];

export const Month = z.string().regex(MONTH_RE, 'a month as YYYY-MM');
const Format = z.strictObject({ format: z.enum(['json', 'csv', 'xlsx']).default('json') });
export const LevelQuery = Format.extend({ level: z.string().max(64).optional() });
/** The queries the routes below take beside LevelQuery, named for central/scoring/openapi.ts. */
export const QUERIES = {
  export: LevelQuery.omit({ format: true }),
  events: LevelQuery.extend({ unit: z.string().max(64).optional() }),
  unit: z.strictObject({ level: z.string().max(64).optional() }),
  collectors: Format.extend({ unit: z.string().max(64).optional() }),
  bonuses: z.strictObject({ month: Month.optional() }),
};
const Points = z.number().positive().max(100);
export const BonusCreate = z.strictObject({
  month: Month,
  unitId: z.string().min(1).max(64),
  points: Points,
  reason: z.string().min(1).max(500),
  attachments: z
    .array(z.string().max(64))
    .max(10)
    .optional()
    .describe('names from POST /api/attachments, uploaded by the proposer, not cited elsewhere'),
});
export const BonusPatch = z.strictObject({
  unitId: z.string().min(1).max(64).optional(),
  points: Points.optional(),
  reason: z.string().min(1).max(500).optional(),
});
export const Decision = z.strictObject({ note: z.string().max(500).optional() });
export const Reopen = z.strictObject({ reason: z.string().min(2).max(500) });
export const Close = z.strictObject({ note: z.string().max(500).optional() });
export const Items = z.strictObject({ includedItems: z.array(z.enum(ITEM_KEYS)).max(6) });

function param<S extends z.ZodType>(c: Context, name: string, schema: S): z.output<S> {
  const r = schema.safeParse(c.req.param(name));
  if (!r.success) throw new ProblemError(400, 'invalid-path', `${name}: ${r.error.issues[0]?.message}`);
  return r.data;
}

async function send(
  c: Context,
  format: 'json' | 'csv' | 'xlsx',
  json: unknown,
  tables: () => Table[],
): Promise<Response> {
  if (format === 'json') return c.json(json);
  const t = tables();
  if (format === 'csv')
    return c.body(toCsv(t[0]), 200, {
      'content-type': CONTENT_TYPES.csv,
      'content-disposition': attachment(t[0], 'csv'),
    });
  const buf = await toXlsx(t);
  return c.body(new Uint8Array(buf), 200, {
    'content-type': CONTENT_TYPES.xlsx,
    'content-disposition': attachment(t[0], 'xlsx'),
  });
}

/** `ready()` resolves when the scoring store is open (routes wait for it; a failure is retried next time). */
export function scoringRoutes(
  svc: ScoringService,
  users: UserDirectory,
  ready: () => Promise<void>,
): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use('*', async (_c, next) => {
    await ready();
    await next();
  });
  const read = requireUser(users, READ);

  app.get('/rules', read, (c) => c.json(svc.rules));
  app.get('/levels', read, (c) =>
    c.json(
      svc.tree.levels(svc.rules).map((l) => ({
        id: l.id,
        name: l.name,
        members: svc.tree.members(l.id, svc.rules).map((m) => m.id),
      })),
    ),
  );

  /** The month as the signed-in user may see it (central/scoring/visibility.ts). */
  const scoresFor = async (c: Context<AuthEnv>, month: string, level: string | undefined) => {
    const s = await svc.monthly.monthScores(month, level);
    return { ...s, result: redactResult(s.result, svc.tree, detailScope(c.get('user'))) };
  };

  app.get('/months/:month', read, async (c) => {
    const month = param(c, 'month', Month);
    const q = query(c, LevelQuery);
    const s = await scoresFor(c, month, q.level);
    const { result, ...meta } = s;
    return send(c, q.format, { ...meta, ...result }, () => [scoresTable(s), eventsTable(result)]);
  });
  for (const format of ['csv', 'xlsx'] as const)
    app.get(`/months/:month/export.${format}`, read, async (c) => {
      const s = await scoresFor(c, param(c, 'month', Month), query(c, QUERIES.export).level);
      return send(c, format, s, () => [scoresTable(s), eventsTable(s.result)]);
    });

  app.get('/months/:month/events', read, async (c) => {
    const month = param(c, 'month', Month);
    const q = query(c, QUERIES.events);
    const s = await scoresFor(c, month, q.level);
    const t = eventsTable(s.result, q.unit);
    return send(c, q.format, { status: s.status, month, levelId: s.result.levelId, events: t.rows }, () => [
      t,
    ]);
  });

  app.get('/months/:month/units/:unitId', read, async (c) => {
    const month = param(c, 'month', Month);
    const unitId = param(c, 'unitId', z.string().max(64));
    const q = query(c, QUERIES.unit);
    const level = q.level ?? svc.tree.units.get(unitId)?.parentId;
    if (!level) throw new ProblemError(404, 'unknown-unit', `no assessed unit ${unitId}`);
    const scope = detailScope(c.get('user'));
    if (!inScope(svc.tree, unitId, scope) && !svc.tree.path(scope ?? '').includes(unitId))
      throw new ProblemError(
        403,
        'forbidden',
        `a unit handler sees the detail of its own unit only, not ${unitId}`,
      );
    const s = await scoresFor(c, month, level);
    const m = s.result.members.find((x) => x.unitId === unitId);
    if (!m) throw new ProblemError(404, 'unknown-unit', `${unitId} is not assessed at level ${level}`);
    return c.json({ status: s.status, month, levelId: level, includedItems: s.result.includedItems, ...m });
  });

  app.get('/years/:year', read, async (c) => {
    const year = param(c, 'year', z.coerce.number().int().min(2000).max(2100));
    const q = query(c, LevelQuery);
    const a = await svc.monthly.annual(year, q.level);
    const name = svc.tree.units.get(a.levelId)?.name ?? a.levelId;
    return send(c, q.format, a, () => [annualTable(year, name, a.rows, a.levelId)]);
  });

  app.get('/months/:month/indicators', read, async (c) => {
    const month = param(c, 'month', Month);
    const q = query(c, LevelQuery);
    const ind = await svc.monthly.indicators(month, q.level);
    const level = { id: ind.levelId, name: svc.tree.units.get(ind.levelId)?.name ?? ind.levelId };
    return send(c, q.format, ind, () => [indicatorsTable(month, ind.units, level)]);
  });

  app.get('/months/:month/collectors', read, async (c) => {
    const month = param(c, 'month', Month);
    const q = query(c, QUERIES.collectors);
    const quotas = await svc.monthly.collectors(month, q.unit);
    const ind = new Map((await svc.monthly.indicators(month)).collectors.map((x) => [x.collectorId, x]));
    const scope = detailScope(c.get('user'));
    const rows = quotas.collectors
      .filter((x) => inScope(svc.tree, x.unitId, scope))
      .map((x) => ({
        ...x,
        unitName: svc.tree.units.get(x.unitId)?.name ?? x.unitId,
        indicators: ind.get(x.collectorId),
      }));
    return send(c, q.format, { month, status: quotas.status, collectors: rows, grids: quotas.grids }, () => [
      collectorsTable(
        month,
        rows,
        q.unit ? { id: q.unit, name: svc.tree.units.get(q.unit)?.name ?? q.unit } : undefined,
      ),
    ]);
  });

  // ---- month close ----
  app.get('/months/:month/status', read, async (c) =>
    c.json(await svc.months.status(param(c, 'month', Month))),
  );
  app.post('/months/:month/close', requireUser(users, LEAD), async (c) => {
    const month = param(c, 'month', Month);
    const body = c.req.header('content-type') ? await jsonBody(c, Close) : {};
    const s = await svc.months.close(month, c.get('user').id, body.note);
    return c.json({ month, status: s.status, closedAt: s.closedAt, closedBy: s.closedBy });
  });
  app.post('/months/:month/reopen', requireUser(users, LEAD), async (c) => {
    const month = param(c, 'month', Month);
    const body = await jsonBody(c, Reopen);
    await svc.months.reopen(month, c.get('user').id, body.reason);
    return c.json({ month, status: 'provisional' });
  });
  app.put('/months/:month/items', requireUser(users, LEAD), async (c) => {
    const month = param(c, 'month', Month);
    const body = await jsonBody(c, Items);
    await svc.months.setIncludedItems(month, body.includedItems, c.get('user').id);
    return c.json({ month, includedItems: await svc.monthly.includedItems(month) });
  });
  app.get('/audit', requireUser(users, LEAD), async (c) => c.json(await svc.bonuses.audit()));

  // ---- bonus items (also at /bonus, the path the console uses) ----
  const bonus = bonusRoutes(svc, users);
  app.route('/bonuses', bonus);
  app.route('/bonus', bonus);
  return app;
}

function bonusRoutes(svc: ScoringService, users: UserDirectory): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/', requireUser(users, READ), async (c) => {
    const q = query(c, QUERIES.bonuses);
    return c.json(visibleBonuses(await svc.bonuses.list(q.month), svc.tree, detailScope(c.get('user'))));
  });
  app.post('/', requireUser(users, OFFICE), async (c) => {
    const body = await jsonBody(c, BonusCreate);
    return c.json(await svc.bonuses.create({ id: newId(), ...body }, c.get('user').id), 201);
  });
  app.patch('/:id', requireUser(users, OFFICE), async (c) => {
    const body = await jsonBody(c, BonusPatch);
    return c.json(await svc.bonuses.update(c.req.param('id'), body, c.get('user').id));
  });
  app.delete('/:id', requireUser(users, OFFICE), async (c) => {
    await svc.bonuses.delete(c.req.param('id'), c.get('user').id);
    return c.body(null, 204);
  });
  for (const [verb, state] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const)
    app.post(`/:id/${verb}`, requireUser(users, LEAD), async (c) => {
      const body = c.req.header('content-type') ? await jsonBody(c, Decision) : {};
      return c.json(await svc.bonuses.decide(c.req.param('id'), state, c.get('user').id, body.note));
    });
  return app;
}
