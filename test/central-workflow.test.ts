/**
 * Whole case lives through the HTTP API of a real central process, with real NATS for the AI
 * path (issue 3 "Done when"): an AI incident confirmed, dispatched to the wrong unit, returned,
 * re-dispatched, processed, rejected at verification, reworked, closed and evaluated; a false
 * positive rejected; a collector report with photo and voice note; an Open311 request; a
 * duplicate merged; a unit handler refused another unit's case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Link } from '../protocol/transport.js';
import { OUTSIDE, YANFENG, ZHUHUI } from '../sim/city-points.js';
import {
  api,
  type CentralProcess,
  type CentralWithNats,
  fakeJpeg,
  litterIncident,
  publishIncident,
  startCentralWithNats,
  stopCentralWithNats,
  TOKENS,
} from './central-helpers.js';
import { until } from './support/until.js';

let env: CentralWithNats | undefined;
let nc: Link;
let central: CentralProcess;
const op = TOKENS.operator;

beforeAll(async () => {
  env = await startCentralWithNats();
  ({ nc, central } = env);
});
afterAll(() => stopCentralWithNats(env));

async function aiCase(over: Parameters<typeof litterIncident>[0] = {}) {
  const inc = litterIncident(over);
  await publishIncident(nc, inc);
  return until(async () => {
    const r = await api(central.url, '/api/cases?source=ai&limit=500', op);
    return r.body.items?.find((k: { refs: { incidentIds: string[] } }) =>
      k.refs.incidentIds.includes(inc.id),
    );
  }, 'AI case');
}
const act = (id: string, action: string, token: string, body?: unknown) =>
  api(central.url, `/api/cases/${id}/actions/${action}`, token, { method: 'POST', body: body ?? {} });
async function upload(token: string, bytes: Uint8Array, type = 'image/jpeg') {
  const r = await api(central.url, '/api/attachments', token, {
    method: 'POST',
    raw: bytes as Uint8Array<ArrayBuffer>,
    headers: { 'content-type': type },
  });
  expect(r.status).toBe(201);
  return r.body.name as string;
}

describe('central workflow - AI incident through all seven steps', () => {
  it('confirm, dispatch, return, re-dispatch, process, rework, close, evaluate', async () => {
    const k = await aiCase();
    expect(k.state).toBe('reported');
    const routed = k.proposedUnitId as string;
    expect(routed).toBe('bs-hw'); // 01.04 litter in a 蒸湘区 grid → the district sanitation bureau
    const right = TOKENS.handler(routed);
    const wrong = TOKENS.handler('zfzd');

    expect((await act(k.id, 'register', op, { note: '属实，立案' })).body.state).toBe('registered');
    const d1 = await act(k.id, 'dispatch', op, { unitId: 'zfzd' });
    expect(d1.body).toMatchObject({ state: 'dispatched', unitId: 'zfzd' });
    expect(Date.parse(d1.body.deadline)).toBeGreaterThan(Date.now());

    // the routed unit's handler cannot touch a case that is with another unit
    const refused = await act(k.id, 'accept', right);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await api(central.url, `/api/cases/${k.id}`, right)).status).toBe(403);

    const ret = await act(k.id, 'return', wrong, { note: '非本单位职责' });
    expect(ret.body).toMatchObject({ state: 'returned', counts: { returns: 1 } });
    expect(ret.body.unitId).toBeUndefined();
    expect((await api(central.url, `/api/cases/${k.id}`, wrong)).status).toBe(403);

    const d2 = await act(k.id, 'dispatch', op);
    expect(d2.body).toMatchObject({ state: 'dispatched', unitId: routed });
    const list = await api(central.url, '/api/cases', right);
    expect(list.body.items.map((x: { id: string }) => x.id)).toContain(k.id);

    expect((await act(k.id, 'accept', right)).body.state).toBe('processing');
    // feedback without a photo is refused and changes nothing
    const noPhoto = await act(k.id, 'feedback', right, { note: '已清理' });
    expect(noPhoto.status).toBe(422);
    const photo = await upload(right, fakeJpeg(3000, 1));
    expect((await act(k.id, 'feedback', right, { note: '已清理', attachments: [photo] })).body.state).toBe(
      'feedback',
    );

    // an operator cannot close twice or accept; a handler cannot close
    expect((await act(k.id, 'close', right)).status).toBe(403);
    const rw = await act(k.id, 'rework', op, { note: '复查仍有垃圾' });
    expect(rw.body).toMatchObject({ state: 'dispatched', unitId: routed, counts: { reworks: 1 } });
    expect(rw.body.deadline).toBe(d2.body.deadline);

    expect((await act(k.id, 'accept', right)).body.state).toBe('processing');
    const photo2 = await upload(right, fakeJpeg(3000, 2));
    await act(k.id, 'feedback', right, { note: '已彻底清理', attachments: [photo2] });
    const closed = await act(k.id, 'close', op, { note: '核查通过' });
    expect(closed.body.state).toBe('closed');
    expect(closed.body.evaluation).toMatchObject({
      onTime: true,
      reworkCount: 1,
      returnCount: 1,
      unitId: routed,
    });
    const again = await act(k.id, 'close', op);
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/closed/);

    const h = (await api(central.url, `/api/cases/${k.id}`, op)).body.history.map(
      (e: { action: string }) => e.action,
    );
    expect(h).toEqual([
      'report',
      'register',
      'dispatch',
      'return',
      'dispatch',
      'accept',
      'feedback',
      'rework',
      'accept',
      'feedback',
      'close',
      'evaluate',
    ]);
    const ev = await fetch(`${central.url}/api/evidence/${photo2}`, {
      headers: { authorization: `Bearer ${op}` },
    });
    expect(ev.status).toBe(200);
    expect(ev.headers.get('content-type')).toBe('image/jpeg');
  });

  it('rejects a false positive and keeps the reason', async () => {
    const k = await aiCase({ location: { source: 'fixed', ...OUTSIDE, zoneId: 'z9' } });
    const r = await act(k.id, 'reject', op, { reason: 'false_positive', note: '阴影误检' });
    expect(r.body).toMatchObject({
      state: 'rejected',
      rejection: { reason: 'false_positive', note: '阴影误检', by: 'u-operator' },
    });
    expect((await act(k.id, 'register', op)).status).toBe(409);
    const fp = await api(central.url, '/api/cases?state=rejected&source=ai', op);
    expect(fp.body.items.map((x: { id: string }) => x.id)).toContain(k.id);
  });
});

describe('central workflow - other sources', () => {
  it('takes a collector report with photo and voice note, once per idempotency key', async () => {
    const photo = await upload(TOKENS.collector, fakeJpeg(2000, 9));
    const voice = await upload(
      TOKENS.collector,
      new TextEncoder().encode('#!AMR\n' + 'x'.repeat(300)),
      'audio/amr',
    );
    const body = {
      source: 'collector',
      category: '05.06',
      description: '共享单车乱停放，堵塞人行道',
      location: { ...YANFENG, address: '先锋路12号' },
      photos: [photo],
      voiceNote: voice,
    };
    const a = await api(central.url, '/api/cases', TOKENS.collector, {
      body,
      headers: { 'idempotency-key': 'rep-001' },
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({
      state: 'reported',
      source: 'collector',
      reporter: { collectorId: 'col-001' },
    });
    expect(a.body.evidence.map((e: { role: string }) => e.role)).toEqual(['photo', 'voice']);
    expect(a.body.location.gridCode).toMatch(/^\d{15}$/);
    const total = (await api(central.url, '/api/cases', op)).body.total;
    const b = await api(central.url, '/api/cases', TOKENS.collector, {
      body,
      headers: { 'idempotency-key': 'rep-001' },
    });
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body.id).toBe(a.body.id);
    const c = await api(central.url, '/api/cases', TOKENS.collector, {
      body: { ...body, description: 'other' },
      headers: { 'idempotency-key': 'rep-001' },
    });
    expect(c.status).toBe(409);
    expect((await api(central.url, '/api/cases', op)).body.total).toBe(total);
    const byCollector = await api(central.url, '/api/cases?collectorId=col-001', op);
    expect(byCollector.body.items.map((x: { id: string }) => x.id)).toEqual([a.body.id]);
    // the collector sees their own report, not the AI cases
    const mine = await api(central.url, '/api/cases', TOKENS.collector);
    expect(mine.body.items.every((x: { reporter: { id: string } }) => x.reporter.id === 'u-collector')).toBe(
      true,
    );
  });

  it('accepts an Open311 request and reports its status', async () => {
    const services = await api(central.url, '/open311/v2/services.json', undefined);
    expect(services.body.map((s: { service_code: string }) => s.service_code)).toContain('01.02');
    const form = new URLSearchParams({
      api_key: TOKENS.open311,
      service_code: '01.02',
      lat: String(ZHUHUI.lat),
      long: String(ZHUHUI.lon),
      description: 'Garbage bags left on the pavement',
      email: 'citizen@example.org',
    });
    const r = await api(central.url, '/open311/v2/requests.json', undefined, {
      method: 'POST',
      raw: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(201);
    const id = r.body[0].service_request_id;
    const st = await api(central.url, `/open311/v2/requests/${id}.json`, undefined);
    expect(st.body[0]).toMatchObject({ service_request_id: id, status: 'open', service_code: '01.02' });
    // the request id is the case's 案卷号; the case id stays internal
    const k = await api(central.url, `/api/cases?caseNumber=${id}`, op);
    expect(k.body.items).toHaveLength(1);
    expect(k.body.items[0]).toMatchObject({ caseNumber: id, source: 'open311', state: 'reported' });
    const bad = await api(central.url, '/open311/v2/requests.json', undefined, {
      method: 'POST',
      raw: new URLSearchParams({ ...Object.fromEntries(form), api_key: 'nope' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(bad.status).toBe(403);
    expect(bad.body[0].code).toBe(403);
  });

  it('proposes a nearby report as a duplicate and merges it', async () => {
    const loc = { ...ZHUHUI };
    const first = await api(central.url, '/api/cases', TOKENS.hotline, {
      body: {
        source: 'hotline_12345',
        category: '01.02',
        description: '垃圾桶满溢',
        location: loc,
        ticketNo: '12345-0001',
      },
    });
    const photo = await upload(TOKENS.hotline, fakeJpeg(1500, 5));
    const second = await api(central.url, '/api/cases', TOKENS.hotline, {
      body: {
        source: 'wechat',
        category: '01.02',
        description: '同一处垃圾',
        location: { lat: ZHUHUI.lat + 0.0001, lon: ZHUHUI.lon + 0.0001 },
        photos: [photo],
      },
    });
    expect(second.body.duplicateCandidates).toContain(first.body.id);
    const m = await act(second.body.id, 'merge', op, { into: first.body.id, note: '重复上报' });
    expect(m.body).toMatchObject({ state: 'merged', mergedInto: first.body.id });
    const target = await api(central.url, `/api/cases/${first.body.id}`, op);
    expect(target.body.mergedFrom).toEqual([second.body.id]);
    expect(target.body.evidence.map((e: { name: string }) => e.name)).toContain(photo);
    expect(target.body.history.at(-1).action).toBe('merged_in');
    // merging a case into one that was merged into it is refused
    const loop = await act(first.body.id, 'merge', op, { into: second.body.id });
    expect(loop.status).toBe(422);
    expect(loop.body.type).toMatch(/invalid-merge-target/);
  });
});
