/**
 * Scoring through central's HTTP API: a month built from real case lives (intake, register,
 * dispatch, accept, return, feedback with photos, rework, close — all via `app.request()` with
 * the demo tokens and central's clock moved by the test), then scores, indicators, bonus
 * items, month close, a late close after it, and the CSV/Excel exports.
 *
 * By hand, with the default rules, for 雁峰区城管执法局 (dc-zf; at the district level every member
 * weighs 1, its streets alike):
 *   A hotline 05.04: feedback late, reworked once, closed → closed overdue 1 + rework 1
 *   B citizen 05.04: returned by dc-zf, re-dispatched to dc-zf → wrongful return 0.5; on time
 *   C WeChat 05.04: dispatched 20 Nov, accepted, never finished → open overdue at month end 1
 *   → 案件办理 3.5; bonus +2 approved, +5 rejected → 100 − 3.5 + 2 = 98.5 → × 1 = 98.5
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { jsonSchema } from '../central/http/openapi.js';
import { scoringOpenApiPaths, scoringRouteGroup } from '../central/scoring/index.js';
import { type AppRequestInit, appRequest } from './support/app-request.js';

const G1 = '430406001001001'; // 雁峰区第01街道第01社区 (dc-s001-c001); 05.04 routes to dc-zf
const clock = { t: Date.parse('2026-11-02T01:00:00Z') }; // Mon 2 Nov 09:00 +08:00
const at = (iso: string) => {
  clock.t = Date.parse(iso);
};
const PNG = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
);

let central: Central;
let dataDir: string;
const OP = 'demo-operator';
const LEADER = 'demo-leader';
const UNIT = 'demo-handler-dc-zf';

const call = (path: string, token: string, init: AppRequestInit = {}) =>
  appRequest(central.app, path, token, { type: 'image/png', ...init });
async function act(id: string, action: string, token: string, body: Record<string, unknown> = {}) {
  const r = await call(`/api/cases/${id}/actions/${action}`, token, { body });
  expect(r.status, `${action} ${id}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}
async function intake(source: string, token: string, category: string, description: string) {
  const r = await call('/api/cases', token, {
    body: { source, category, description, location: { gridCode: G1 } },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return (r.body.case ?? r.body).id as string;
}
async function photo(): Promise<string> {
  const r = await call('/api/attachments', UNIT, { raw: PNG });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.name;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cg-scoring-api-'));
  central = await createCentral({
    demo: true,
    now: () => new Date(clock.t),
    logLevel: 'warn',
    extraRoutes: [scoringRouteGroup({ dataDir })],
  });
});
afterAll(async () => {
  await central?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('scoring API - a month from real case lives', () => {
  let caseC = '';
  it('builds November through the case API', async () => {
    // A: dispatched Mon 2 Nov 09:00 (4 working hours), first feedback on time, reworked, second feedback next day
    const a = await intake('hotline_12345', OP, '05.04', '店外经营 A');
    await act(a, 'register', OP);
    const d = await act(a, 'dispatch', OP);
    expect(d.unitId).toBe('dc-zf');
    at('2026-11-02T02:00:00Z');
    await act(a, 'accept', UNIT);
    await act(a, 'feedback', UNIT, { note: '已劝离', attachments: [await photo()] });
    at('2026-11-02T03:00:00Z');
    await act(a, 'rework', OP, { note: '复核仍在经营' });
    await act(a, 'accept', UNIT);
    at('2026-11-03T02:00:00Z');
    await act(a, 'feedback', UNIT, { note: '已取缔', attachments: [await photo()] });
    const closedA = await act(a, 'close', OP);
    expect(closedA.evaluation).toMatchObject({ onTime: false, reworkCount: 1, unitId: 'dc-zf' });

    // B: returned by dc-zf, the centre sends it back to dc-zf (a wrongful return), then done on time
    at('2026-11-04T01:00:00Z');
    const b = await intake('citizen', OP, '05.04', '店外经营 B');
    await act(b, 'register', OP);
    await act(b, 'dispatch', OP);
    await act(b, 'return', UNIT, { note: '不属我局' });
    await act(b, 'dispatch', OP, { unitId: 'dc-zf' });
    await act(b, 'accept', UNIT);
    at('2026-11-04T02:00:00Z');
    await act(b, 'feedback', UNIT, { note: '已处理', attachments: [await photo()] });
    expect((await act(b, 'close', OP)).evaluation.onTime).toBe(true);

    // C: dispatched on 20 Nov and never finished
    at('2026-11-20T01:00:00Z');
    caseC = await intake('wechat', OP, '05.04', '店外经营 C');
    await act(caseC, 'register', OP);
    await act(caseC, 'dispatch', OP);
    await act(caseC, 'accept', UNIT);

    // collector col-001: three reports, two registered, one rejected
    for (const n of [1, 2, 3]) {
      const id = await intake('collector', 'demo-collector', '01.09', `乱张贴 ${n}`);
      if (n < 3) await act(id, 'register', OP);
      else await act(id, 'reject', OP, { reason: 'invalid' });
    }

    // bonus items for November, compiled by the office at the start of December, decided by a leader
    at('2026-12-01T01:00:00Z');
    const ok = await call('/api/scoring/bonuses', OP, {
      body: { month: '2026-11', unitId: 'dc-zf', points: 2, reason: '保障任务' },
    });
    const no = await call('/api/scoring/bonuses', OP, {
      body: { month: '2026-11', unitId: 'dc-zf', points: 5, reason: '自报' },
    });
    expect([ok.status, no.status]).toEqual([201, 201]);
    expect((await call(`/api/scoring/bonuses/${ok.body.id}/approve`, OP, { body: {} })).status).toBe(403);
    expect((await call(`/api/scoring/bonuses/${ok.body.id}/approve`, LEADER, { body: {} })).body.state).toBe(
      'approved',
    );
    expect(
      (await call(`/api/scoring/bonuses/${no.body.id}/reject`, LEADER, { body: { note: '依据不足' } })).body
        .state,
    ).toBe('rejected');
  });

  it('scores the district level and the bureau level from those lives', async () => {
    at('2026-11-28T01:00:00Z');
    const r = await call('/api/scoring/months/2026-11?level=dc', OP);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('provisional');
    const zf = r.body.members.find((m: { unitId: string }) => m.unitId === 'dc-zf');
    expect(zf.items.cases.events.map((e: { kind: string }) => e.kind).sort()).toEqual([
      'closedOverdue',
      'openOverdueAtMonthEnd',
      'rework',
      'wrongfulReturn',
    ]);
    expect(zf).toMatchObject({ deductions: 3.5, bonus: 2, raw: 98.5, weight: 1, weighted: 98.5 });

    const bureau = await call('/api/scoring/months/2026-11', LEADER);
    const dc = bureau.body.members.find((m: { unitId: string }) => m.unitId === 'dc');
    expect(dc.items.cases.deduction).toBe(3.5);
    // 28 Nov 09:00: 27 d 9 h of 30 days passed → the quota so far is ⌊22 × 0.9125⌋ = 20
    expect(dc.collectors.find((c: { collectorId: string }) => c.collectorId === 'col-001')).toMatchObject({
      valid: 2,
      quota: 20,
      monthQuota: 22,
      shortfall: 18,
    });

    const quota = await call('/api/scoring/months/2026-11/collectors?unit=dc-s001-c001', OP);
    expect(quota.body.grids).toEqual([
      { gridCode: G1, collectorIds: ['col-001'], valid: 2, quota: 20, shortfall: 18 },
    ]);
    const future = await call('/api/scoring/bonuses', OP, {
      body: { month: '2027-01', unitId: 'dc-zf', points: 1, reason: 'x' },
    });
    expect(future.status).toBe(422);

    const detail = await call('/api/scoring/months/2026-11/units/dc-zf', UNIT);
    expect(detail.body.items.cases.deduction).toBe(3.5);

    // indicators for dc-zf: due A, B, C; closed A, B; on time B; reworked A; returned B; overdue A, C
    const ind = await call('/api/scoring/months/2026-11/indicators?level=dc', OP);
    expect(ind.body.units.find((u: { unitId: string }) => u.unitId === 'dc-zf')).toMatchObject({
      registered: 3,
      due: 3,
      closed: 2,
      closedOnTime: 1,
      reworked: 1,
      returned: 1,
      overdue: 2,
      closingRate: 0.6667,
      onTimeRate: 0.3333,
      reworkRate: 0.3333,
    });
    expect(
      ind.body.collectors.find((c: { collectorId: string }) => c.collectorId === 'col-001'),
    ).toMatchObject({
      reported: 3,
      valid: 2,
      rejected: 1,
      validRate: 0.6667,
    });
  });

  it('closes November (leader only), and a late close in December does not change it', async () => {
    at('2026-11-29T01:00:00Z');
    expect((await call('/api/scoring/months/2026-11/close', LEADER, { method: 'POST' })).status).toBe(409); // not over
    at('2026-12-01T01:00:00Z');
    expect((await call('/api/scoring/months/2026-11/close', OP, { method: 'POST' })).status).toBe(403);
    const closed = await call('/api/scoring/months/2026-11/close', LEADER, { method: 'POST' });
    expect(closed.body).toMatchObject({ status: 'closed', closedBy: 'u-leader' });

    // C finally done on 2 Dec: closed overdue, recorded in December
    at('2026-12-02T01:00:00Z');
    await act(caseC, 'feedback', UNIT, { note: '已取缔', attachments: [await photo()] });
    await act(caseC, 'close', OP);
    const nov = await call('/api/scoring/months/2026-11?level=dc', OP);
    expect(nov.body.status).toBe('closed');
    expect(nov.body.members.find((m: { unitId: string }) => m.unitId === 'dc-zf').raw).toBe(98.5);
    const ind = await call('/api/scoring/months/2026-11/indicators?level=dc', OP);
    expect(ind.body.status).toBe('closed');
    expect(ind.body.units.find((u: { unitId: string }) => u.unitId === 'dc-zf')).toMatchObject({
      due: 3,
      closed: 2,
      overdue: 2,
    });
    const dec = await call('/api/scoring/months/2026-12?level=dc', OP);
    const zf = dec.body.members.find((m: { unitId: string }) => m.unitId === 'dc-zf');
    expect(zf.items.cases.events).toMatchObject([{ kind: 'closedOverdue', caseId: caseC }]);

    // closed months refuse changes to their bonus items; problem+json
    const refused = await call('/api/scoring/bonuses', OP, {
      body: { month: '2026-11', unitId: 'dc-zf', points: 1, reason: 'x' },
    });
    expect(refused.status).toBe(409);
    expect(refused.type).toContain('application/problem+json');
    const reopen = await call('/api/scoring/months/2026-11/reopen', LEADER, { body: { reason: '更正' } });
    expect(reopen.status).toBe(200);
    // the console reads bonus items at /bonus too
    expect((await call('/api/scoring/bonus?month=2026-11', OP)).body).toHaveLength(2);
    const audit = await call('/api/scoring/audit', LEADER);
    expect(audit.body.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['bonus_create', 'bonus_approve', 'bonus_reject', 'close', 'reopen']),
    );
  });

  it('exports CSV (UTF-8 with BOM, Chinese headers) and Excel', async () => {
    const csv = await call('/api/scoring/months/2026-11/export.csv?level=dc', OP);
    expect(csv.status).toBe(200);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(csv.bytes);
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text.split('\r\n')[0]).toContain('单位名称');
    expect(text).toContain('雁峰区城管执法局');
    expect(csv.headers.get('content-disposition')).toContain("filename*=UTF-8''");
    const xlsx = await call('/api/scoring/years/2026?format=xlsx', OP);
    expect(xlsx.status).toBe(200);
    expect(String.fromCharCode(xlsx.bytes[0]!, xlsx.bytes[1]!)).toBe('PK');
    const bad = await call('/api/scoring/months/2026-13', OP);
    expect(bad.status).toBe(400);
    expect((await call('/api/scoring/months/2026-11', 'nope')).status).toBe(401);
  });

  it('describes its paths for the OpenAPI document from the zod schemas it validates with', () => {
    const reopen = scoringOpenApiPaths()['POST /api/scoring/months/{month}/reopen']!;
    expect((jsonSchema(reopen.body!) as { required?: string[] }).required).toEqual(['reason']);
  });
});
