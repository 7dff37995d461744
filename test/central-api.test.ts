/**
 * central API logic through `app.request()` (no server, memory store, a controlled clock):
 * every kind of bad input gets a precise 4xx and changes nothing; overdue is computed on read;
 * extensions, suspension and cancellation follow the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { fakeJpeg, TOKENS } from './central-helpers.js';
import { type AppRequestInit, appRequest } from './support/app-request.js';

let central: Central;
let clock = new Date('2026-11-30T09:00:00+08:00'); // a Monday, 09:00 in the city
const op = TOKENS.operator;

beforeAll(async () => {
  central = await createCentral({ demo: true, now: () => clock, maxUploadBytes: 20_000, logLevel: 'silent' });
});
afterAll(async () => {
  await central?.stop();
});

const call = (path: string, token: string | undefined, init: AppRequestInit = {}) =>
  appRequest(central.app, path, token, init);
const act = (id: string, action: string, token: string, body: unknown = {}) =>
  call(`/api/cases/${id}/actions/${action}`, token, { method: 'POST', body });
const report = (over: Record<string, unknown> = {}, token = TOKENS.hotline) =>
  call('/api/cases', token, {
    body: {
      source: 'hotline_12345',
      category: '01.04',
      description: '路面垃圾',
      location: { ...ZHENGXIANG },
      ...over,
    },
  });
const snapshot = () => JSON.stringify(central.embedded!.allCases());

describe('central api - bad input changes nothing', () => {
  it('answers each with a precise problem and leaves the store as it was', async () => {
    const k = (await report()).body;
    const before = snapshot();
    const cases: [string, () => Promise<{ status: number; body: any; type: string }>, number, RegExp][] = [
      ['no token', () => report({}, ''), 401, /unauthorized/],
      ['unknown token', () => report({}, 'nope'), 401, /unauthorized/],
      [
        'invalid JSON',
        () => call('/api/cases', TOKENS.hotline, { body: '{"source":', headers: {} }),
        400,
        /invalid-json/,
      ],
      [
        'not JSON',
        () => call('/api/cases', TOKENS.hotline, { raw: 'x=1', headers: { 'content-type': 'text/plain' } }),
        415,
        /unsupported-media-type/,
      ],
      ['unknown field', () => report({ colour: 'red' }), 422, /invalid-input/],
      ['unknown category', () => report({ category: '77.01' }), 422, /unknown-category/],
      ['unknown grid', () => report({ location: { gridCode: '430499001001001' } }), 422, /unknown-grid/],
      ['outside every grid', () => report({ location: { lat: 31.5, lon: 121.5 } }), 422, /outside-grids/],
      [
        'photo never uploaded',
        () => report({ photos: ['att-00000000000000000000000000000000.jpg'] }),
        422,
        /unknown-attachment/,
      ],
      ['source not allowed', () => report({ source: 'leader' }), 403, /source-not-allowed/],
      ['too large', () => report({ description: 'x'.repeat(70_000) }), 413, /payload-too-large/],
      ['wrong state', () => act(k.id, 'close', op), 409, /illegal-transition/],
      ['wrong role', () => act(k.id, 'register', TOKENS.collector), 403, /forbidden/],
      ['unknown action', () => act(k.id, 'teleport', op), 404, /unknown-action/],
      ['reject without reason', () => act(k.id, 'reject', op, { note: 'x' }), 422, /invalid-input/],
      ['unknown case', () => act('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'register', op), 404, /case-not-found/],
      ['bad filter', () => call('/api/cases?state=flying', op), 400, /invalid-query/],
    ];
    for (const [name, f, status, type] of cases) {
      const r = await f();
      expect(r.status, name).toBe(status);
      expect(r.type, name).toMatch(/application\/problem\+json/);
      expect(r.body.type, name).toMatch(type);
      expect(r.body.detail, name).toBeTruthy();
    }
    expect(snapshot()).toBe(before);
  });

  it('refuses attachments that are not images or voice notes, or too large', async () => {
    const text = await call('/api/attachments', TOKENS.collector, {
      method: 'POST',
      raw: 'hello world',
      headers: { 'content-type': 'image/jpeg' },
    });
    expect(text.status).toBe(415);
    expect(text.body.type).toMatch(/unsupported-attachment/);
    const big = await call('/api/attachments', TOKENS.collector, {
      method: 'POST',
      raw: fakeJpeg(30_000) as Uint8Array<ArrayBuffer>,
    });
    expect(big.status).toBe(413);
    const lie = await call('/api/attachments', TOKENS.collector, {
      method: 'POST',
      raw: fakeJpeg(500) as Uint8Array<ArrayBuffer>,
      headers: { 'content-type': 'image/png' },
    });
    expect(lie.status).toBe(415);
    // a voice note is not a photo
    const voice = await call('/api/attachments', TOKENS.collector, {
      method: 'POST',
      raw: 'OggS' + 'x'.repeat(100),
      headers: { 'content-type': 'audio/ogg' },
    });
    expect(voice.status).toBe(201);
    const before = snapshot();
    const r = await report({ source: 'collector', photos: [voice.body.name] }, TOKENS.collector);
    expect(r.status).toBe(422);
    expect(r.body.type).toMatch(/wrong-attachment-type/);
    expect(snapshot()).toBe(before);
  });
});

describe('central api - deadlines, overdue, extension, suspension', () => {
  it('computes overdue on read and moves the deadline on extension and resume', async () => {
    clock = new Date('2026-11-30T09:00:00+08:00');
    const k = (await report()).body;
    await act(k.id, 'register', op);
    const d = await act(k.id, 'dispatch', op);
    const unit = d.body.unitId as string;
    // 01.04: 2 working hours from Monday 09:00 → 11:00 local
    expect(d.body.deadline).toBe(new Date('2026-11-30T11:00:00+08:00').toISOString());
    expect(d.body.overdue).toBe(false);

    clock = new Date('2026-11-30T11:30:00+08:00');
    expect((await call(`/api/cases/${k.id}`, op)).body.overdue).toBe(true);
    const overdue = await call('/api/cases?overdue=true', op);
    expect(overdue.body.items.map((x: { id: string }) => x.id)).toContain(k.id);
    expect((await call('/api/metrics', TOKENS.admin)).body).toMatch(/cg_central_cases_overdue 1/);

    const h = TOKENS.handler(unit);
    await act(k.id, 'accept', h);
    expect(
      (await act(k.id, 'request_extension', h, { note: '需调机械', value: 4, unit: 'workHours' })).body.state,
    ).toBe('extension_pending');
    const ok = await act(k.id, 'approve_extension', TOKENS.leader, { note: '同意' });
    // past the deadline: 4 working hours from now: 11:30-12:00, lunch, 13:30 + 3.5 h → 17:00
    expect(ok.body).toMatchObject({ state: 'processing', overdue: false, counts: { extensions: 1 } });
    expect(ok.body.deadline).toBe(new Date('2026-11-30T17:00:00+08:00').toISOString());
    await act(k.id, 'request_extension', h, { note: '再延', value: 1, unit: 'workDays' });
    const no = await act(k.id, 'refuse_extension', op, { note: '不同意' });
    expect(no.body.deadline).toBe(ok.body.deadline);

    const s = await act(k.id, 'suspend', op, { note: '等待上级协调' });
    expect(s.body).toMatchObject({ state: 'suspended', suspendedFrom: 'processing' });
    clock = new Date('2026-11-30T17:00:00+08:00');
    expect((await call(`/api/cases/${k.id}`, op)).body.overdue).toBe(false);
    const r = await act(k.id, 'resume', op);
    expect(r.body.state).toBe('processing');
    // parked 11:30 → 17:00 = 4 working hours, added to 17:00: 0.5 h Monday + 3.5 h Tuesday → 12:00
    expect(r.body.deadline).toBe(new Date('2026-12-01T12:00:00+08:00').toISOString());

    expect((await act(k.id, 'cancel', op, { note: 'x' })).status).toBe(403);
    expect((await act(k.id, 'cancel', TOKENS.leader)).status).toBe(422);
    const c = await act(k.id, 'cancel', TOKENS.leader, { note: '重复立案，作废' });
    expect(c.body.state).toBe('cancelled');
    expect((await act(k.id, 'resume', op)).status).toBe(409);
  });

  it('evaluates a late feedback as not on time', async () => {
    clock = new Date('2026-12-04T16:00:00+08:00'); // Friday 16:00; 2 working hours → Monday 09:00
    const k = (await report({ category: '01.02' })).body;
    await act(k.id, 'register', op);
    const d = await act(k.id, 'dispatch', op);
    expect(d.body.deadline).toBe(new Date('2026-12-07T09:00:00+08:00').toISOString());
    const h = TOKENS.handler(d.body.unitId);
    await act(k.id, 'accept', h);
    const photo = await call('/api/attachments', h, {
      method: 'POST',
      raw: fakeJpeg(800, 4) as Uint8Array<ArrayBuffer>,
    });
    clock = new Date('2026-12-07T10:00:00+08:00');
    await act(k.id, 'feedback', h, { note: '已处理', attachments: [photo.body.name] });
    const closed = await act(k.id, 'close', op);
    // Friday 16:00 → Monday 10:00 = 1.5 h + 1.5 h of working time
    expect(closed.body.evaluation).toMatchObject({
      onTime: false,
      reworkCount: 0,
      returnCount: 0,
      handlingWorkMinutes: 180,
    });
    // evidence of this unit's case is not for another unit's handler
    const other = d.body.unitId === 'zfzd' ? 'hwc' : 'zfzd';
    expect((await call(`/api/evidence/${photo.body.name}`, TOKENS.handler(other))).status).toBe(403);
    expect((await call(`/api/evidence/${photo.body.name}`, h)).status).toBe(200);
  });
});

describe('central api - documents', () => {
  it('serves health, the workflow and an OpenAPI document with every action', async () => {
    expect((await call('/api/health', undefined)).body).toMatchObject({ status: 'ok', nats: 'disconnected' });
    expect((await call('/api/health', undefined)).body.cases).toBeGreaterThan(0);
    const wf = await call('/api/workflow', undefined);
    expect(wf.body.transitions.register.from).toEqual(['reported']);
    const doc = (await call('/api/openapi.json', undefined)).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const a of Object.keys(wf.body.transitions))
      expect(doc.paths[`/api/cases/{id}/actions/${a}`]).toBeTruthy();
    expect(doc.components.schemas.IntakeInput.properties.source.enum).toContain('collector');
    expect((await call('/api/nowhere', op)).status).toBe(404);
    const grids = await call('/api/city/grids', op);
    expect(grids.body.features).toHaveLength(185);
  });
});

describe('central api - case lists shared by identical requests', () => {
  it('a change, the clock and who asks are seen at once; the page is JSON as before', async () => {
    clock = new Date('2026-12-01T09:00:00+08:00'); // a Tuesday
    const intake = '/api/cases?state=reported&limit=500';
    const first = await call(intake, op);
    expect(first.type).toMatch(/^application\/json/);
    expect((await call(intake, op)).body).toEqual(first.body);
    // a new report is in the very next list
    const k = (await report()).body;
    const after = await call(intake, op);
    expect(after.body.total).toBe(first.body.total + 1);
    expect(after.body.items.map((x: { id: string }) => x.id)).toContain(k.id);
    // a listed case that changes is listed as changed (each row is kept as sent by its version)
    const inAll = async () =>
      (await call('/api/cases?limit=500', op)).body.items.find((x: { id: string }) => x.id === k.id);
    expect(await inAll()).toMatchObject({ state: 'reported', version: k.version });
    // dispatched, then past its deadline with nothing stored in between: overdue in the list
    await act(k.id, 'register', op);
    const d = await act(k.id, 'dispatch', op);
    expect(await inAll()).toMatchObject({ state: 'dispatched', stateName: '已派遣', version: d.body.version });
    const mine = `/api/cases?state=dispatched&unitId=${d.body.unitId}&limit=500`;
    const row = async () =>
      (await call(mine, op)).body.items.find((x: { id: string }) => x.id === k.id) as { overdue: boolean };
    expect((await row()).overdue).toBe(false);
    clock = new Date('2026-12-01T12:00:00+08:00');
    expect((await row()).overdue).toBe(true);
    // the same query by a handler of another unit: not the operator's page
    const other = TOKENS.handler(d.body.unitId === 'zfzd' ? 'hwc' : 'zfzd');
    const theirs = await call('/api/cases?state=dispatched&limit=500', other);
    const ops = await call('/api/cases?state=dispatched&limit=500', op);
    expect(ops.body.items.map((x: { id: string }) => x.id)).toContain(k.id);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items.map((x: { id: string }) => x.id)).not.toContain(k.id);
  });
});
