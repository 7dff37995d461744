/**
 * The console's data routes through `app.request()` (memory store, a controlled clock):
 * `/api/console/dashboard` counts by Shanghai day and month, by source, category, unit, AI
 * camera/kind and per model; `/api/console/refdata` names people without their secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { dashboard, dashboardWindow } from '../central/console/dashboard.js';
import { PgStore } from '../central/store/postgres/index.js';
import { Incident } from '../protocol/index.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { fakeJpeg, litterIncident, TOKENS } from './central-helpers.js';
import { createTestDatabase, postgresUnreachable } from './support/postgres.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`console dashboard: PostgreSQL comparison skipped: ${pgDown}`);

let central: Central;
/** the dashboard JSON at two moments, for the PostgreSQL comparison */
const seen: { at: Date; body: unknown }[] = [];
// Monday 00:30 in the city: still Sunday in UTC, so a UTC day would put today's cases in yesterday
let clock = new Date('2026-11-30T00:30:00+08:00');
const op = TOKENS.operator;

async function call(path: string, token: string, body?: unknown, raw?: Uint8Array) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (raw) headers['content-type'] = 'image/jpeg';
  const r = await central.app.request(path, {
    method: body !== undefined || raw ? 'POST' : 'GET',
    headers,
    body:
      (raw as Uint8Array<ArrayBuffer> | undefined) ?? (body !== undefined ? JSON.stringify(body) : undefined),
  });
  return { status: r.status, body: await r.json() };
}
const act = async (id: string, action: string, token: string, body: unknown = {}) => {
  const r = await call(`/api/cases/${id}/actions/${action}`, token, body);
  expect(r.status, `${action}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
};
const hotline = async (over: Record<string, unknown> = {}) =>
  (
    await call('/api/cases', TOKENS.hotline, {
      source: 'hotline_12345',
      category: '01.04',
      description: '路面垃圾',
      location: { ...ZHENGXIANG },
      ...over,
    })
  ).body;
const ai = async (deviceId: string, model: { name: string; version?: string }, kind = 'litter') => {
  const inc = Incident.parse(
    litterIncident({
      deviceId,
      kind: kind as 'litter',
      category: kind === 'litter' ? '01.04' : '01.02',
      observedAt: clock.toISOString(),
      startedAt: clock.toISOString(),
      location: {
        source: 'fixed',
        ...ZHENGXIANG,
        cameraId: deviceId,
        zoneId: `z${Math.random().toString(36).slice(2)}`,
      },
      producer: { rule: 'litter_persist', model },
    }),
  );
  await central.svc.ingestIncident(inc);
  return central.embedded!.allCases().find((c) => c.refs.incidentIds.includes(inc.id))!;
};

beforeAll(async () => {
  central = await createCentral({ demo: true, now: () => clock, logLevel: 'silent' });
});
afterAll(async () => {
  await central?.stop();
});

describe('console - dashboard', () => {
  it('counts today and this month in Shanghai days, by source, category, unit, camera and model', async () => {
    // last month: counted in neither today nor this month
    clock = new Date('2026-10-20T10:00:00+08:00');
    await hotline();
    // earlier this month: this month only
    clock = new Date('2026-11-10T10:00:00+08:00');
    const early = await hotline({ category: '01.02' });
    await act(early.id, 'register', op);

    clock = new Date('2026-11-30T00:30:00+08:00');
    const done = await hotline();
    await act(done.id, 'register', op);
    const d1 = await act(done.id, 'dispatch', op);
    const unit = d1.unitId as string;
    const photo = await call('/api/attachments', TOKENS.handler(unit), undefined, fakeJpeg(400));
    expect(photo.status).toBe(201);
    await act(done.id, 'accept', TOKENS.handler(unit));
    await act(done.id, 'feedback', TOKENS.handler(unit), { note: '已清理', attachments: [photo.body.name] });
    await act(done.id, 'close', op);
    const again = await hotline();
    await act(again.id, 'register', op);
    await act(again.id, 'dispatch', op);
    await act(again.id, 'accept', TOKENS.handler(unit));
    // an upload is cited once: the second feedback brings its own photo
    const photo2 = await call('/api/attachments', TOKENS.handler(unit), undefined, fakeJpeg(400));
    await act(again.id, 'feedback', TOKENS.handler(unit), {
      note: '已清理',
      attachments: [photo2.body.name],
    });
    await act(again.id, 'rework', op, { note: '仍有垃圾' });

    const confirmed = await ai('cam-01', { name: 'yolo-demo', version: '2' });
    await act(confirmed.id, 'register', op);
    const fp = await ai('cam-01', { name: 'yolo-demo', version: '2' });
    await act(fp.id, 'reject', op, { reason: 'false_positive' });
    await ai('cam-01', { name: 'yolo-demo', version: '2' }); // waiting: not decided
    const fp2 = await ai('cam-02', { name: 'cg-det' }, 'exposed_garbage');
    await act(fp2.id, 'reject', op, { reason: 'false_positive' });

    central.board.applyStatus({
      v: 1,
      gatewayId: 'cp-01',
      gatewayKind: 'checkpoint',
      sentAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      softwareVersion: '0.1.0',
      intervalS: 30,
      devices: [
        { id: 'cam-01', type: 'camera', online: true, lastSeenAt: new Date().toISOString() },
        { id: 'cam-02', type: 'camera', online: false, lastSeenAt: new Date().toISOString() },
      ],
    });

    // a week later the reworked case (deadline kept) is overdue
    clock = new Date('2026-12-07T10:00:00+08:00');
    const dec = await call('/api/console/dashboard', TOKENS.leader);
    expect(dec.status).toBe(200);
    seen.push({ at: clock, body: dec.body });
    expect(dec.body.today).toMatchObject({ reported: 0, overdue: 1 });
    expect(dec.body.month.reported).toBe(0);

    clock = new Date('2026-11-30T09:00:00+08:00');
    const r = await call('/api/console/dashboard', TOKENS.leader);
    expect(r.status).toBe(200);
    seen.push({ at: clock, body: r.body });
    const d = r.body;
    expect(d.today).toEqual({
      reported: 6,
      registered: 3,
      dispatched: 2,
      closed: 1,
      onTime: 1,
      overdue: 0,
      rework: 1,
    });
    expect(d.month).toMatchObject({ reported: 7, registered: 4, dispatched: 2, closed: 1 });
    expect(d.bySource).toEqual({ hotline_12345: 3, ai: 4 });
    expect(d.byCategory).toEqual({ '01.04': 5, '01.02': 2 });
    expect(d.byUnit[unit]).toEqual({ dispatched: 2, closed: 1, onTime: 1, overdue: 0 });
    expect(d.byDay).toHaveLength(30);
    expect(d.byDay.at(-1)).toEqual({ day: '2026-11-30', reported: 6, closed: 1 });
    expect(d.byDay.find((x: { day: string }) => x.day === '2026-11-10').reported).toBe(1);
    expect(d.ai.byCamera).toEqual({ 'cam-01': 3, 'cam-02': 1 });
    expect(d.ai.byKind).toEqual({ litter: 3, exposed_garbage: 1 });
    const models = Object.fromEntries(d.ai.models.map((m: { model: string }) => [m.model, m]));
    expect(models['yolo-demo 2']).toMatchObject({
      total: 3,
      confirmed: 1,
      falsePositive: 1,
      confirmRate: 0.5,
      falsePositiveRate: 0.5,
    });
    expect(models['cg-det']).toMatchObject({
      total: 1,
      confirmed: 0,
      falsePositive: 1,
      falsePositiveRate: 1,
    });
    expect(d.devices).toEqual({ total: 2, online: 1, gateways: 1, gatewaysOnline: 1 });
  });

  it.skipIf(!!pgDown)('PostgreSQL gives the same dashboard and model counts for the same cases', async () => {
    expect(seen).toHaveLength(2);
    const db = await createTestDatabase('dashboard');
    const pg = new PgStore({ url: db.url, max: 2 });
    try {
      await pg.open();
      const mem = central.embedded!;
      for (const c of mem.allCases()) {
        const incident = c.refs.incidentIds[0] ? mem.getIncident(c.refs.incidentIds[0]) : undefined;
        await pg.cases.commit({ cases: [{ case: c, expectedVersion: 0 }], incident });
      }
      for (const { at, body } of seen) {
        const w = dashboardWindow(at);
        expect(dashboard(await pg.cases.dashboard(w), w, central.board.gateways())).toEqual(body);
      }
      const models = await central.svc.store.cases.aiCasesByModel();
      expect(models.map((m) => m.cases).sort()).toEqual([1, 3]);
      expect(await pg.cases.aiCasesByModel()).toEqual(models);
    } finally {
      await pg.close();
      await db.drop();
    }
  });

  it('is for the centre and leaders only', async () => {
    expect((await call('/api/console/dashboard', TOKENS.handler('hwc'))).status).toBe(403);
    expect((await call('/api/console/dashboard', TOKENS.collector)).status).toBe(403);
  });
});

describe('console - reference data', () => {
  it('names every user and unit handler, and never sends a token hash', async () => {
    const r = await call('/api/console/refdata', TOKENS.handler('hwc'));
    expect(r.status).toBe(200);
    const op = r.body.users.find((u: { id: string }) => u.id === 'u-operator');
    expect(op.name).toMatch(/\S/);
    expect(op.name).not.toBe('u-operator');
    expect(JSON.stringify(r.body)).not.toMatch(/tokenSha256|[0-9a-f]{64}/);
    // cp-01's heartbeat came in the dashboard test above
    expect(r.body.gateways).toContainEqual({ id: 'cp-01', kind: 'checkpoint' });
    expect((await central.app.request('/api/console/refdata')).status).toBe(401);
  });
});
