/**
 * Central side of config sync and the API guard. Routes through `app.request()` with the seed
 * users; the hub against a real nats-server (KV bucket, heartbeats on the status subject).
 */
import { join } from 'node:path';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIG_BUCKET,
  decode,
  encode,
  GatewayConfigDoc,
  GatewayStatus,
  subjects,
} from '../../protocol/index.js';
import { connectNats, type Link } from '../../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../../sim/nats-server.js';
import { REPO_ROOT } from '../../sim/processes.js';
import { until } from '../../test/support/until.js';
import { loadUsers } from '../auth/index.js';
import { ProblemError, problemResponse } from '../http/problem.js';
import { apiGuard } from './guard.js';
import { GatewayConfigHub } from './hub.js';
import { registerGatewayMetrics, registerGuardMetrics } from './metrics.js';
import { gatewayRoutes } from './routes.js';

const quiet = { info() {}, warn() {} };
const users = loadUsers(join(REPO_ROOT, 'central/seed/users.json'));
let server: NatsServerHandle;
let nc: Link;
let hub: GatewayConfigHub;
let app: Hono;

const as = (token: string, init: RequestInit = {}) => ({
  ...init,
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
});

function withErrors(a: Hono): Hono {
  a.onError((e, c) =>
    e instanceof ProblemError ? problemResponse(c, e) : c.text(`unexpected ${e.message}`, 500),
  );
  return a;
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'test', log: quiet });
  hub = new GatewayConfigHub({ log: quiet });
  await hub.attach(nc);
  app = withErrors(new Hono());
  app.route('/api/gateways', gatewayRoutes(hub, users));
});

afterAll(async () => {
  hub?.detach();
  await nc?.close();
  await server?.dispose();
});

describe('gateways - configuration API', () => {
  const cfg = { kind: 'checkpoint', cameras: [{ id: 'gate-1' }], heartbeatS: 10 };

  it('an admin stores versions 1, 2 in the KV bucket; others may not write', async () => {
    const r1 = await app.request(
      '/api/gateways/cp-01/config',
      as('demo-admin', { method: 'PUT', body: JSON.stringify(cfg) }),
    );
    expect(r1.status).toBe(200);
    expect(await r1.json()).toMatchObject({ gatewayId: 'cp-01', version: 1, updatedBy: 'u-admin' });
    const r2 = await app.request(
      '/api/gateways/cp-01/config',
      as('demo-admin', { method: 'PUT', body: JSON.stringify({ ...cfg, heartbeatS: 20 }) }),
    );
    expect((await r2.json()).version).toBe(2);
    const kv = await nc.kv(CONFIG_BUCKET, { bindOnly: true });
    const e = await kv.get('cp-01');
    const doc = decode(GatewayConfigDoc, e!.value);
    expect(doc.ok && doc.value.config).toMatchObject({ heartbeatS: 20 });
    const op = await app.request(
      '/api/gateways/cp-01/config',
      as('demo-operator', { method: 'PUT', body: '{}' }),
    );
    expect(op.status).toBe(403);
    const anon = await app.request('/api/gateways/cp-01/config', { method: 'PUT', body: '{}' });
    expect(anon.status).toBe(401);
  });

  it('refuses NATS credentials, data dirs and garbage in a document with 4xx', async () => {
    for (const body of [
      JSON.stringify({ ...cfg, nats: { user: 'x', pass: 'y' } }),
      JSON.stringify({ ...cfg, dataDir: '/etc' }),
      JSON.stringify({ cameras: [] }),
      '[1,2]',
      '{"kind":',
    ]) {
      const r = await app.request('/api/gateways/cp-01/config', as('demo-admin', { method: 'PUT', body }));
      expect([400, 422]).toContain(r.status);
    }
    expect(hub.counters.rejected).toBeGreaterThanOrEqual(3);
  });

  it('shows the version each gateway reports and whether it is in sync', async () => {
    const beat = (configVersion: string, refused?: { version: string; reason: string; at: string }) =>
      nc.publish(
        subjects.status('cp-01'),
        encode(GatewayStatus, {
          v: 1,
          gatewayId: 'cp-01',
          gatewayKind: 'checkpoint',
          sentAt: new Date().toISOString(),
          startedAt: new Date().toISOString(),
          softwareVersion: '0.1.0',
          configVersion,
          configRefused: refused,
          intervalS: 15,
          devices: [],
        }),
      );
    beat('sync-1', { version: '2', reason: 'heartbeatS: too small', at: new Date().toISOString() });
    const view = await until(async () => {
      const r = await app.request('/api/gateways/cp-01/config', as('demo-operator'));
      const v = await r.json();
      return v.reported?.configVersion === 'sync-1' ? v : undefined;
    }, 'reported version');
    expect(view).toMatchObject({
      inSync: false,
      desired: { version: 2 },
      reported: { configRefused: { version: '2' } },
    });
    beat('sync-2');
    await until(async () => ((await hub.get('cp-01')).inSync ? true : undefined), 'in sync');
    const put = await app.request(
      '/api/gateways/cp-01/config',
      as('demo-admin', {
        method: 'PUT',
        body: JSON.stringify({
          ...cfg,
          cameras: [{ id: 'gate-1', username: 'admin', password: 'cam-secret' }],
        }),
      }),
    );
    expect(put.status).toBe(200);
    beat('sync-3');
    const asOperator = await (await app.request('/api/gateways/cp-01/config', as('demo-operator'))).text();
    expect(asOperator).not.toContain('cam-secret');
    expect(asOperator).toContain('"password":"***"');
    const asAdmin = await (await app.request('/api/gateways/cp-01/config', as('demo-admin'))).text();
    expect(asAdmin).toContain('cam-secret');
    await until(async () => ((await hub.get('cp-01')).inSync ? true : undefined), 'in sync with 3');
    const list = await (await app.request('/api/gateways', as('demo-leader'))).json();
    expect(JSON.stringify(list)).not.toContain('cam-secret');
    expect(list.gateways).toEqual([expect.objectContaining({ gatewayId: 'cp-01', inSync: true })]);
    const handler = await app.request('/api/gateways', as('demo-handler-hwc'));
    expect(handler.status).toBe(403);
    const reg = new Registry();
    registerGatewayMetrics(reg, hub, () => nc);
    const text = await reg.metrics();
    expect(text).toMatch(/^cg_central_gateway_config_in_sync\{gateway="cp-01"\} 1$/m);
    expect(text).toMatch(/^cg_central_gateway_heartbeat_age_seconds\{gateway="cp-01"\} \d/m);
    expect(text).toMatch(/^cg_central_gateway_config_puts_total 3$/m);
  });
});

describe('gateways - API guard', () => {
  it('refuses oversized bodies (declared or streamed) with 413 and counts them', async () => {
    const guard = apiGuard({ maxBodyBytes: 1024, largeBody: { '/up': 4096 } });
    const a = withErrors(new Hono());
    a.use('*', guard.middleware);
    a.post('/echo', async (c) => c.text(String((await c.req.text()).length)));
    a.post('/up', async (c) => c.text(String((await c.req.arrayBuffer()).byteLength)));
    expect((await a.request('/echo', { method: 'POST', body: 'x'.repeat(1000) })).status).toBe(200);
    expect((await a.request('/echo', { method: 'POST', body: 'x'.repeat(2000) })).status).toBe(413);
    const stream = new ReadableStream({
      start(ctrl) {
        for (let i = 0; i < 10; i++) ctrl.enqueue(new Uint8Array(500));
        ctrl.close();
      },
    });
    const s = await a.request('/echo', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(s.status).toBe(413);
    expect((await a.request('/up', { method: 'POST', body: 'x'.repeat(3000) })).status).toBe(200);
    expect(guard.counters.tooLarge).toBe(2);
    const reg = new Registry();
    registerGuardMetrics(reg, guard);
    expect(await reg.metrics()).toMatch(/cg_central_http_refused_total\{reason="too_large"\} 2/);
  });

  it('rate-limits each client separately with 429 and counts it', async () => {
    let t = 0;
    const guard = apiGuard({ ratePerS: 1, burst: 3, now: () => t });
    const a = withErrors(new Hono());
    a.use('*', guard.middleware);
    a.get('/x', (c) => c.text('ok'));
    const get = (tok: string) => a.request('/x', { headers: { authorization: `Bearer ${tok}` } });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await get('a')).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect((await get('b')).status).toBe(200); // another client is not affected
    t += 2000; // two tokens back
    expect((await get('a')).status).toBe(200);
    expect(guard.counters.rateLimited).toBe(2);
    expect(guard.counters.responses).toMatchObject({ '2xx': 5, '4xx': 2 });
  });
});
