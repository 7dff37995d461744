/**
 * What a real city's first month showed at the API's edges, each a regression test opening with
 * what broke: case numbers people can read (ULID tails were all they had), Open311 GeoReport v2
 * (filters ignored, address-only requests refused, media_url folded into the description,
 * problem+json on unknown paths, no services/{code}.json), control and bidi characters stored in
 * descriptions, every export with the same ASCII file name and UTC times.
 * Through `app.request()` on the shipped 衡阳 seed with a controlled clock; the restart case uses
 * a real lowdb data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { scoringRouteGroup } from '../central/scoring/index.js';
import { OUTSIDE, YANFENG, ZHUHUI } from '../sim/city-points.js';
import { TOKENS } from './central-helpers.js';
import { type AppRequestInit, appRequest } from './support/app-request.js';

const clock = { t: Date.parse('2026-12-01T00:30:00+08:00') }; // 00:30 on 1 Dec in the city (still 30 Nov UTC)
const OP = TOKENS.operator;
let dataDir: string;
let central: Central;

const call = (c: Central, path: string, token: string | undefined, init: AppRequestInit = {}) =>
  appRequest(c.app, path, token, init);
const report = (c: Central, over: Record<string, unknown> = {}) =>
  call(c, '/api/cases', TOKENS.hotline, {
    body: {
      source: 'hotline_12345',
      category: '01.04',
      description: '路面垃圾',
      location: { ...YANFENG },
      ...over,
    },
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cg-city-api-'));
  central = await createCentral({ demo: true, dataDir, now: () => new Date(clock.t), logLevel: 'silent' });
});
afterAll(async () => {
  await central?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('city api - 案卷号', () => {
  it('numbers cases by the local date and a daily sequence, searchable, unique across a restart', async () => {
    const a = (await report(central)).body;
    const b = (await report(central)).body;
    // 00:30 in Hengyang is still 30 Nov in UTC: the number follows the city's date
    expect(a.caseNumber).toBe('2026120100001');
    expect(b.caseNumber).toBe('2026120100002');
    const found = await call(central, '/api/cases?caseNumber=2026120100002', OP);
    expect(found.body.items.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect((await call(central, '/api/cases?caseNumber=20261201', OP)).body.total).toBe(2);

    // a restart on the same data continues the day's sequence
    await central.stop();
    central = await createCentral({ demo: true, dataDir, now: () => new Date(clock.t), logLevel: 'silent' });
    const c = (await report(central)).body;
    expect(c.caseNumber).toBe('2026120100003');
    // a new day starts again at 1
    clock.t = Date.parse('2026-12-02T08:00:00+08:00');
    expect((await report(central)).body.caseNumber).toBe('2026120200001');
  });
});

describe('city api - Open311 GeoReport v2', () => {
  const post = (form: Record<string, string>) =>
    call(central, '/open311/v2/requests.json', undefined, { form: { api_key: TOKENS.open311, ...form } });
  const ids: string[] = [];

  it('takes a request with a position, and one with only an address; keeps media_url', async () => {
    const a = await post({
      service_code: '01.02',
      lat: String(ZHUHUI.lat),
      long: String(ZHUHUI.lon),
      description: '垃圾袋堆在人行道',
      media_url: 'https://citizen.example.org/p/1.jpg',
    });
    expect(a.status).toBe(201);
    const b = await post({
      service_code: '05.04',
      address_string: '雁峰区先锋路 12 号',
      description: '店外经营',
    });
    expect(b.status).toBe(201);
    ids.push(a.body[0].service_request_id, b.body[0].service_request_id);
    expect(ids[0]).toMatch(/^\d{13}$/); // the 案卷号
    const sa = (await call(central, `/open311/v2/requests/${ids[0]}.json`, undefined)).body[0];
    expect(sa).toMatchObject({ service_code: '01.02', media_url: 'https://citizen.example.org/p/1.jpg' });
    expect(sa.description).toBe('垃圾袋堆在人行道');
    const sb = (await call(central, `/open311/v2/requests/${ids[1]}.json`, undefined)).body[0];
    expect(sb).toMatchObject({ address: '雁峰区先锋路 12 号', status: 'open' });
    expect(sb.lat).toBeUndefined();
    // the operator sets the grid while registering the address-only case
    const k = (await call(central, `/api/cases?caseNumber=${ids[1]}`, OP)).body.items[0];
    expect(k.location.gridCode).toBeUndefined();
    const grid = (await call(central, '/api/city/grids', OP)).body;
    expect(grid).toBeTruthy();
    const reg = await call(central, `/api/cases/${k.id}/actions/register`, OP, {
      body: { gridCode: '430406001001001' },
    });
    expect(reg.status).toBe(200);
    expect(reg.body.proposedUnitId).toBe('dc-zf');
  });

  it('lists requests by id list, service_code, dates and status', async () => {
    const list = (q: string) => call(central, `/open311/v2/requests.json${q}`, undefined);
    expect(
      (await list(`?service_request_id=${ids.join(',')}`)).body.map((r: any) => r.service_request_id),
    ).toEqual(ids);
    expect((await list('?service_code=05.04')).body.map((r: any) => r.service_request_id)).toEqual([ids[1]]);
    expect((await list('')).body).toHaveLength(2); // default: the last 90 days
    expect((await list('?start_date=2026-12-02T16:00:00Z')).body).toEqual([]);
    expect((await list(`?end_date=${encodeURIComponent('2026-11-30T00:00:00+08:00')}`)).body).toEqual([]);
    expect((await list('?status=closed')).body).toEqual([]);
    expect((await list('?status=open')).body).toHaveLength(2);
    const bad = await list('?status=pending');
    expect(bad.status).toBe(400);
    expect(bad.body[0]).toMatchObject({ code: 400, description: expect.stringContaining('status') });
  });

  it('serves a service definition and answers every error as a GeoReport error array', async () => {
    const def = await call(central, '/open311/v2/services/01.02.json', undefined);
    expect(def.body).toEqual({ service_code: '01.02', attributes: [] });
    for (const [path, code] of [
      ['/open311/v2/services/99.99.json', 404],
      ['/open311/v2/requests/nope.json', 404],
      ['/open311/v2/discovery.json', 404],
      ['/open311/v2/requests.xml', 400],
    ] as const) {
      const r = await call(central, path, undefined);
      expect(r.status, path).toBe(code);
      expect(r.headers.get('content-type')).toContain('application/json');
      expect(r.body[0].code, path).toBe(code);
    }
    const noPlace = await post({ service_code: '01.02', description: 'x' });
    expect(noPlace.body[0]).toMatchObject({
      code: 400,
      description: expect.stringContaining('address_string'),
    });
    const outside = await post({
      service_code: '01.02',
      lat: String(OUTSIDE.lat),
      long: String(OUTSIDE.lon),
      description: 'x',
    });
    expect(outside.body[0].code).toBe(400);
    const badUrl = await post({
      service_code: '01.02',
      address_string: 'x',
      description: 'x',
      media_url: 'javascript:alert(1)',
    });
    expect(badUrl.body[0].description).toContain('media_url');
  });
});

describe('city api - text hygiene', () => {
  it('refuses NUL and bidi overrides in descriptions, notes and queries, naming field and character', async () => {
    const before = central.embedded!.allCases().length;
    const nul = await report(central, { description: '路面\u0000垃圾' });
    expect(nul.status).toBe(422);
    expect(nul.body.detail).toContain('description: U+0000 NUL at position 2');
    const rlo = await report(central, {
      description: '垃圾\u202Egnp.exe',
      location: { ...YANFENG, address: 'a' },
    });
    expect(rlo.body.detail).toContain('U+202E RIGHT-TO-LEFT OVERRIDE');
    const addr = await report(central, { location: { ...YANFENG, address: '先锋路\u2066' } });
    expect(addr.body.detail).toContain('location.address');
    expect(central.embedded!.allCases().length).toBe(before);
    const k = (await report(central)).body;
    const note = await call(central, `/api/cases/${k.id}/actions/register`, OP, {
      body: { note: 'ok\u001b[31m' },
    });
    expect(note.status).toBe(422);
    expect(note.body.detail).toContain('note: U+001B ESC');
    const q = await call(central, `/api/cases?reporterId=${encodeURIComponent('u\u202E')}`, OP);
    expect(q.status).toBe(422);
    const o311 = await call(central, '/open311/v2/requests.json', undefined, {
      form: { api_key: TOKENS.open311, service_code: '01.02', address_string: 'x', description: 'a\u202Eb' },
    });
    expect(o311.body[0]).toMatchObject({ code: 400, description: expect.stringContaining('U+202E') });
    // ordinary Chinese text with line breaks and tabs is fine
    expect((await report(central, { description: '垃圾\n较多\t需清运' })).status).toBe(201);
  });
});

describe('city api - exports', () => {
  it('names each export by unit and month in ASCII and UTF-8, and writes local times', async () => {
    const scoringDir = mkdtempSync(join(tmpdir(), 'cg-city-exp-'));
    const c = await createCentral({
      demo: true,
      now: () => new Date(clock.t),
      logLevel: 'silent',
      extraRoutes: [scoringRouteGroup({ dataDir: scoringDir })],
    });
    try {
      clock.t = Date.parse('2026-11-02T09:00:00+08:00');
      const k = (await report(c, { category: '01.12' })).body;
      await call(c, `/api/cases/${k.id}/actions/register`, OP, { body: {} });
      await call(c, `/api/cases/${k.id}/actions/dispatch`, OP, { body: {} });
      clock.t = Date.parse('2026-12-01T09:00:00+08:00');
      const dis = (p: string) => c.app.request(p, { headers: { authorization: `Bearer ${OP}` } });
      const bureau = await dis('/api/scoring/months/2026-11/export.csv');
      const dc = await dis('/api/scoring/months/2026-11/export.csv?level=dc');
      const cd1 = bureau.headers.get('content-disposition') ?? '';
      const cd2 = dc.headers.get('content-disposition') ?? '';
      expect(cd1).toContain('filename="scores-bureau-2026-11.csv"');
      expect(cd2).toContain('filename="scores-dc-2026-11.csv"');
      expect(decodeURIComponent(cd2.split("filename*=UTF-8''")[1])).toBe('2026-11 雁峰区 月度考核得分.csv');
      const ev = await dis('/api/scoring/months/2026-11/events?format=csv&unit=hwc');
      expect(ev.headers.get('content-disposition')).toContain('filename="deductions-hwc-2026-11.csv"');
      const csv = await ev.text();
      // open overdue at month end: the last instant of November in Hengyang, not UTC
      expect(csv).toContain('2026-11-30 23:59:59');
      expect(csv).toContain(k.caseNumber);
      expect(csv).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    } finally {
      await c.stop();
      rmSync(scoringDir, { recursive: true, force: true });
    }
  });
});
