/**
 * Two things the console needed from the API, through `app.request()` on the shipped 衡阳 seed:
 * free-text search of the case list (`?q=` over 案卷号, address and description, so the console
 * stops filtering the newest 500 in the browser), and bonus items that cite the proposer's
 * uploads (each upload cited once, whether by a case or a bonus item; only by its uploader).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { scoringRouteGroup } from '../central/scoring/index.js';
import { YANFENG, ZHUHUI } from '../sim/city-points.js';
import { TOKENS } from './central-helpers.js';
import { type AppRequestInit, appRequest } from './support/app-request.js';

const clock = { t: Date.parse('2026-12-01T09:00:00+08:00') };
const OP = TOKENS.operator;
let dir: string;
let central: Central;

const call = (path: string, token: string, init: AppRequestInit = {}) =>
  appRequest(central.app, path, token, { type: 'application/octet-stream', ...init });
const report = (description: string, location: Record<string, unknown>) =>
  call('/api/cases', TOKENS.hotline, {
    body: { source: 'hotline_12345', category: '01.04', description, location },
  });
const jpeg = (shade: number) =>
  sharp({ create: { width: 64, height: 48, channels: 3, background: { r: shade, g: 90, b: 40 } } })
    .jpeg()
    .toBuffer();
const upload = async (token: string, shade: number) =>
  (await call('/api/attachments', token, { raw: await jpeg(shade), type: 'image/jpeg' })).body.name as string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cg-search-bonus-'));
  central = await createCentral({
    demo: true,
    dataDir: join(dir, 'central'),
    now: () => new Date(clock.t),
    logLevel: 'silent',
    extraRoutes: [scoringRouteGroup({ dataDir: join(dir, 'scoring') })],
  });
});
afterAll(async () => {
  await central?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('case list - free-text search (q)', () => {
  it('finds cases by 案卷号, address or description, with the other filters, and only what the user may see', async () => {
    const a = (await report('人行道堆放建筑垃圾', { ...YANFENG, address: '雁峰区先锋路 12 号' })).body;
    const b = (await report('Overflowing BIN at the gate', { ...ZHUHUI, address: '珠晖区东风路 3 号' })).body;
    const c = (await report('路面垃圾', { ...ZHUHUI, address: '珠晖区东风路 88 号' })).body;
    const ids = async (qs: string, token = OP) => {
      const r = await call(`/api/cases?${qs}`, token);
      expect(r.status).toBe(200);
      return { total: r.body.total as number, ids: (r.body.items as { id: string }[]).map((x) => x.id) };
    };
    const q = (s: string) => `q=${encodeURIComponent(s)}`;
    expect(await ids(q('先锋路'))).toEqual({ total: 1, ids: [a.id] });
    expect(await ids(q('东风路'))).toEqual({ total: 2, ids: [c.id, b.id] }); // newest first
    expect(await ids(q('建筑垃圾'))).toEqual({ total: 1, ids: [a.id] });
    expect((await ids(q('overflowing bin'))).ids).toEqual([b.id]); // case-insensitive
    expect((await ids(q(c.caseNumber))).ids).toEqual([c.id]);
    expect((await ids(q(c.caseNumber.slice(-3)))).ids).toEqual([c.id]); // the daily sequence's tail
    // with another filter (the state index narrows first)
    await call(`/api/cases/${c.id}/actions/register`, OP, { body: {} });
    expect((await ids(`${q('东风路')}&state=registered`)).ids).toEqual([c.id]);
    expect((await ids(`${q('东风路')}&state=reported`)).ids).toEqual([b.id]);
    expect(await ids(q('不存在的地址'))).toEqual({ total: 0, ids: [] });
    // a unit handler's search stays within its unit's cases
    await call(`/api/cases/${c.id}/actions/dispatch`, OP, { body: {} });
    const unit = (await call(`/api/cases/${c.id}`, OP)).body.unitId as string;
    expect((await ids(q('东风路'), TOKENS.handler(unit))).ids).toEqual([c.id]);
    expect((await ids(q('先锋路'), TOKENS.handler(unit))).ids).toEqual([]);
    // blank or oversized text is refused, not ignored
    expect((await call('/api/cases?q=%20%20', OP)).status).toBe(400);
    expect((await call(`/api/cases?${q('x'.repeat(101))}`, OP)).status).toBe(400);
  });
});

describe('bonus items - attachments', () => {
  const unitId = 'hwc';
  const propose = (attachments: string[], reason = '专项整治表现突出') =>
    call('/api/scoring/bonuses', OP, { body: { month: '2026-11', unitId, points: 2, reason, attachments } });

  it('cites the proposer own uploads, once; the leader sees and opens them', async () => {
    const photo = await upload(OP, 10);
    const ok = await propose([photo]);
    expect(ok.status).toBe(201);
    expect(ok.body.attachments).toEqual([{ name: photo, contentType: 'image/jpeg' }]);

    // the leader deciding sees the material and can open it
    const seen = (await call('/api/scoring/bonuses?month=2026-11', TOKENS.leader)).body.find(
      (x: { id: string }) => x.id === ok.body.id,
    );
    expect(seen.attachments[0].name).toBe(photo);
    const img = await central.app.request(`/api/evidence/${photo}`, {
      headers: { authorization: `Bearer ${TOKENS.leader}` },
    });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');

    // cited once: not by a second bonus item, not by a case
    const again = await propose([photo], '再次引用');
    expect(again.status).toBe(409);
    expect(again.body.code ?? again.body.type).toMatch(/attachment-already-cited/);
    const k = (await report('井盖缺失', { ...YANFENG })).body;
    const act = await call(`/api/cases/${k.id}/actions/register`, OP, { body: { attachments: [photo] } });
    expect(act.status).toBe(409);
    // and an upload a case cites cannot back a bonus item
    const casePhoto = await upload(OP, 60);
    expect(
      (await call(`/api/cases/${k.id}/actions/register`, OP, { body: { attachments: [casePhoto] } })).status,
    ).toBe(200);
    expect((await propose([casePhoto], '借用案件照片')).status).toBe(409);
  });

  it("refuses someone else's upload and a name that was never uploaded; stores nothing then", async () => {
    const before = (await call('/api/scoring/bonuses', OP)).body.length;
    const theirs = await upload(TOKENS.admin, 120);
    const r = await propose([theirs], '他人的照片');
    expect(r.status).toBe(403);
    const unknown = await propose(['att-0123456789abcdef0123456789abcdef.jpg'], '未上传');
    expect(unknown.status).toBe(422);
    expect((await call('/api/scoring/bonuses', OP)).body.length).toBe(before);
    // without attachments a proposal is as before
    const plain = await propose([], '无附件');
    expect(plain.status).toBe(201);
    expect(plain.body.attachments).toBeUndefined();
  });
});
