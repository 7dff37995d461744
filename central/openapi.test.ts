/**
 * openapi - the document at /api/openapi.json is made from the routes' own zod schemas: every
 * route the app serves under /api and /open311 is in it, and each body and query schema it names
 * is the one the route validates with (central/http/validate.ts notes which one it used).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS } from '../test/central-helpers.js';
import { ACTION_INPUTS } from './cases/actions.js';
import { ACTIONS } from './cases/workflow.js';
import { type Central, createCentral } from './central.js';
import { gatewayRouteGroup } from './gateways/index.js';
import { jsonSchema } from './http/openapi.js';
import { validatedWith } from './http/validate.js';
import { scoringRouteGroup } from './scoring/index.js';

let central: Central;
let doc: any;
/** the app behind a middleware that reads, after each request, the schemas it was validated with */
const probe = new Hono();
let lastUsed: ReturnType<typeof validatedWith> = {};
const dir = mkdtempSync(join(tmpdir(), 'cg-openapi-'));
const gateways = gatewayRouteGroup({ log: pino({ level: 'silent' }) });

beforeAll(async () => {
  central = await createCentral({
    demo: true,
    logLevel: 'silent',
    extraRoutes: [gateways, scoringRouteGroup({ dataDir: join(dir, 'scoring') })],
  });
  doc = await (await central.app.request('/api/openapi.json')).json();
  probe.use('*', async (c, next) => {
    lastUsed = {};
    await next();
    lastUsed = validatedWith(c);
  });
  probe.route('/', central.app);
});
afterAll(async () => {
  await gateways.stop();
  await central?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A Hono path (`/:id`, `/:file{.+\.json}`) as a pattern over the document's paths. */
const pattern = (honoPath: string) =>
  new RegExp(
    `^${honoPath
      .split('/')
      .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}$`,
  );

const SAMPLE: Record<string, string> = { month: '2026-11', year: '2026', verb: 'ping', name: 'x.jpg' };
const TRY = [TOKENS.admin, TOKENS.operator, TOKENS.leader, TOKENS.hotline, TOKENS.collector];

describe('openapi - made from the routes', () => {
  it('names every route the app serves under /api and /open311', () => {
    const docRoutes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const served = central.app.routes.filter((r) => r.method !== 'ALL' && /^\/(api|open311)\//.test(r.path));
    expect(served.length).toBeGreaterThan(60);
    const missing = served
      .filter((r) => {
        const re = pattern(r.path);
        return !docRoutes.some((d) => d.startsWith(`${r.method} `) && re.test(d.slice(r.method.length + 1)));
      })
      .map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('documents no route the app does not serve', () => {
    const served = central.app.routes.filter((r) => r.method !== 'ALL');
    for (const [p, ops] of Object.entries(doc.paths))
      for (const m of Object.keys(ops as object))
        expect(
          served.some((r) => r.method === m.toUpperCase() && pattern(r.path).test(p)),
          `${m} ${p}`,
        ).toBe(true);
  });

  it('names, for each body and query, the schema the route validates with', async () => {
    let checked = 0;
    const unchecked: string[] = [];
    for (const [p, ops] of Object.entries<any>(doc.paths))
      for (const [method, op] of Object.entries<any>(ops)) {
        const url = p.replace(/\{(\w+)\}/g, (_, k: string) => SAMPLE[k] ?? 'x');
        const docBody = op.requestBody?.content?.['application/json']?.schema;
        const body = docBody?.$ref ? doc.components.schemas[docBody.$ref.split('/').pop()] : docBody;
        const query = Object.fromEntries(
          (op.parameters ?? []).filter((x: any) => x.in === 'query').map((x: any) => [x.name, x.schema]),
        );
        if (!body && !Object.keys(query).length) continue;
        let seen = false;
        for (const token of TRY) {
          const req = new Request(`http://127.0.0.1${url}`, {
            method: method.toUpperCase(),
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: method === 'get' || method === 'delete' ? undefined : '{}',
          });
          await probe.request(req);
          const used = lastUsed;
          if (!used.body && !used.query) continue;
          if (used.body) {
            expect(body, `${method} ${p}: body`).toEqual(jsonSchema(used.body));
            checked++;
          }
          if (used.query) {
            const props = jsonSchema(used.query).properties ?? {};
            const want = Object.fromEntries(
              Object.entries<any>(props).map(([k, { description, ...s }]) => [k, s]),
            );
            expect(query, `${method} ${p}: query`).toEqual(want);
            checked++;
          }
          seen = true;
          break;
        }
        if (!seen) unchecked.push(`${method} ${p}`);
      }
    expect(checked).toBeGreaterThanOrEqual(20);
    // these validate outside central/http/validate.ts: the case service (ACTION_INPUTS), the
    // dataset filter, Open311's list, the model rollout body, a gateway call's body (their
    // documents import the same schema objects), the configuration hub (a gateway's config)
    const elsewhere = unchecked.filter((u) => !u.includes('/actions/'));
    expect(elsewhere.sort()).toEqual(
      [
        'get /api/datasets/export',
        'get /api/datasets/verdicts',
        'post /api/datasets/exports',
        'get /api/devices/calls',
        'post /api/devices/{gatewayId}/commands/{verb}',
        'post /api/gateways/models/rollback',
        'post /api/gateways/models/rollout',
        'put /api/gateways/{id}/config',
        'get /open311/v2/requests.json',
      ].sort(),
    );
    for (const a of ACTIONS)
      expect(doc.components.schemas[`Action_${a}`]).toEqual(jsonSchema(ACTION_INPUTS[a]));
  });
});

describe('openapi - a schema the document names is the one enforced', () => {
  it('refuses a gateway call whose body fails CommandBody, naming the field', async () => {
    const call = (body: unknown) =>
      central.app.request('/api/devices/cp-01/commands/message', {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const blank = await call({ text: '   ' });
    expect(blank.status).toBe(422);
    expect((await blank.json()).type).toMatch(/invalid-text/);
    const device = await call({ deviceId: 'a b', text: 'hi' });
    expect(device.status).toBe(422);
    expect((await device.json()).type).toMatch(/invalid-device/);
    const long = await call({ text: 'x'.repeat(513) });
    expect((await long.json()).type).toMatch(/invalid-text/);
  });
});
