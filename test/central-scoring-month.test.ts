/**
 * A month as 衡阳 lives it, through central's HTTP API on the shipped seed (app.request(), the
 * demo tokens, central's clock moved by the test). Each defect the first real month showed is
 * one assertion here; the month is computed by hand below for one bureau unit and one district.
 *
 * Rules: the defaults, except the collectors' quota is 2 (not 22) so the district's month can be
 * added up by hand. Calendar: Mon–Fri 08:30–12:00, 13:30–17:30; 01.12 and 01.04 take 2 working
 * hours, 05.06 four. The city went live in November (its first case).
 *
 * 市环卫处 hwc (bureau unit, weight 0.1), November:
 *   H1 01.12 Mon 2 Nov 09:00 dispatched (deadline 11:00), returned 09:30, sent back to hwc 14:00:
 *      the deadline stays 11:00 → feedback 15:00 is late → 超期结案 1 + 错误回退 0.5
 *   H2 01.12 Tue 3 Nov: feedback 10:00, reworked 10:30, feedback 10:45, closed on time → 返工 1
 *   H3 01.12 Wed 4 Nov: dispatched, then cancelled (作废) → nothing, and not due
 *   H4 01.12 Thu 26 Nov: accepted, never finished (deadline 26 Nov 11:00) → 月末超期未结案 1
 *   → 案件办理 3.5; no collectors; bonus +2 (compiled 1 Dec, approved) → 100 − 3.5 + 2 = 98.5 → × 0.1 = 9.85
 *   indicators: registered 3, due 3 (H1 H2 H4), closed 2, on time 1, reworked 1, returned 1, overdue 2
 *
 * 雁峰区 dc (district, weight 0.2), November:
 *   D1 01.04 Mon 9 Nov → 雁峰区环卫局 dc-hw: deadline 11:00, feedback 14:00 → 超期结案 1
 *   D2 05.06 Tue 10 Nov → the grid's street office (its own handler account): on time → 0
 *   D3 01.04 Mon 30 Nov 09:00 → dc-hw, deadline 11:00, open at month end → 月末超期未结案 1
 *   collectors (30 in 雁峰区, quota 2 each): col-001 2 valid → 0; col-002 1 valid, 1 rejected →
 *   short 1 → 0.5; the other 28 file nothing → 28 × 2 × 0.5 = 28 → 信息采集 28.5
 *   their reports (Thu 12 Nov 09:00) are their handsets' last heartbeats (cgt-001, cgt-002): offline
 *   from 09:45 (3 × 15 min) in duty hours to month end = 12 Nov 6.25 h + 13 Nov 7.5 + 16–20 Nov 37.5
 *   + 23–27 Nov 37.5 + 30 Nov 7.5 = 96.25 h, 72.25 beyond the 24 allowed → 7.225 each → 设备 14.45
 *   (the other 28 handsets never reported: not counted)
 *   → 100 − (2 + 28.5 + 14.45) = 55.05 → × 0.2 = 11.01
 *
 * The same month is then copied into PostgreSQL (a database of its own; skipped with a message
 * when 127.0.0.1:5432 does not answer) and scored there through the storage contract: the same
 * numbers, the counts from SQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import {
  loadRules,
  orgFromCity,
  type Rules,
  type ScoringRouteGroup,
  ScoringService,
  scoringRouteGroup,
} from '../central/scoring/index.js';
import { PgStore } from '../central/store/postgres/index.js';
import { YANFENG } from '../sim/city-points.js';
import { type AppRequestInit, appRequest } from './support/app-request.js';
import { createTestDatabase, postgresUnreachable } from './support/postgres.js';

const clock = { t: 0 };
const at = (local: string) => {
  clock.t = Date.parse(`${local.replace(' ', 'T')}:00+08:00`);
};
const PNG = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
  ),
);
const OP = 'demo-operator';
const LEADER = 'demo-leader';
const HWC = 'demo-handler-hwc';
const DC_HW = 'demo-handler-dc-hw';

let central: Central;
let dataDir: string;
let group: ScoringRouteGroup;
let rules: Rules;
const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`scoring month: the PostgreSQL copy is skipped: ${pgDown}`);

const call = (path: string, token: string, init: AppRequestInit = {}) =>
  appRequest(central.app, path, token, { type: 'image/png', ...init });
async function act(id: string, action: string, token: string, body: Record<string, unknown> = {}) {
  const r = await call(`/api/cases/${id}/actions/${action}`, token, { body });
  expect(r.status, `${action}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}
async function intake(category: string, description: string, token = OP, source = 'hotline_12345') {
  const r = await call('/api/cases', token, {
    body: { source, category, description, location: { ...YANFENG } },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as string;
}
async function photo(token: string): Promise<string> {
  const r = await call('/api/attachments', token, { raw: PNG });
  return r.body.name;
}
/** register and dispatch to the routed unit */
async function opened(
  category: string,
  description: string,
): Promise<{ id: string; unitId: string; deadline: string }> {
  const id = await intake(category, description);
  await act(id, 'register', OP);
  const d = await act(id, 'dispatch', OP);
  return { id, unitId: d.unitId, deadline: d.deadline };
}
const member = (body: { members: { unitId: string }[] }, id: string) =>
  body.members.find((m) => m.unitId === id) as any;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cg-scoring-month-'));
  const base = loadRules();
  rules = { ...base, items: { ...base.items, reports: { quota: 2, perMissingReport: 0.5 } } };
  group = scoringRouteGroup({ dataDir, rules });
  at('2026-11-02 09:00');
  central = await createCentral({
    demo: true,
    now: () => new Date(clock.t),
    logLevel: 'warn',
    extraRoutes: [group],
  });
});
afterAll(async () => {
  await central?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('scoring month - 衡阳 November by hand', () => {
  const ids: Record<string, string> = {};
  let street = '';

  it('lives November through the case API', async () => {
    // H1: a wrongful return does not buy a fresh deadline
    at('2026-11-02 09:00');
    const h1 = await opened('01.12', '道路遗撒 H1');
    expect(h1).toMatchObject({ unitId: 'hwc', deadline: '2026-11-02T03:00:00.000Z' }); // 11:00
    at('2026-11-02 09:30');
    await act(h1.id, 'return', HWC, { note: '不属我处' });
    at('2026-11-02 14:00');
    const again = await act(h1.id, 'dispatch', OP, { unitId: 'hwc' });
    expect(again.deadline).toBe('2026-11-02T03:00:00.000Z');
    expect((await call(`/api/cases/${h1.id}`, OP)).body.overdue).toBe(true);
    await act(h1.id, 'accept', HWC);
    at('2026-11-02 15:00');
    await act(h1.id, 'feedback', HWC, { note: '已清扫', attachments: [await photo(HWC)] });
    at('2026-11-02 15:30');
    expect((await act(h1.id, 'close', OP)).evaluation.onTime).toBe(false);

    // H2: reworked once, finished on time
    at('2026-11-03 09:00');
    const h2 = await opened('01.12', '道路遗撒 H2');
    await act(h2.id, 'accept', HWC);
    at('2026-11-03 10:00');
    await act(h2.id, 'feedback', HWC, { note: '已清扫', attachments: [await photo(HWC)] });
    at('2026-11-03 10:30');
    await act(h2.id, 'rework', OP, { note: '仍有遗撒' });
    await act(h2.id, 'accept', HWC);
    at('2026-11-03 10:45');
    await act(h2.id, 'feedback', HWC, { note: '已冲洗', attachments: [await photo(HWC)] });
    at('2026-11-03 11:00');
    expect((await act(h2.id, 'close', OP)).evaluation.onTime).toBe(true);

    // H3: cancelled; and dispatch refuses every unit that does not handle cases
    at('2026-11-04 09:00');
    const h3 = await intake('01.12', '道路遗撒 H3');
    await act(h3, 'register', OP);
    for (const unitId of ['bureau', 'centre', 'dc', 'dc-s001-c001']) {
      const r = await call(`/api/cases/${h3}/actions/dispatch`, OP, { body: { unitId } });
      expect(r.status, unitId).toBe(422);
      expect(r.body.type).toContain('unit-cannot-handle');
    }
    await act(h3, 'dispatch', OP);
    at('2026-11-04 09:30');
    await act(h3, 'cancel', LEADER, { note: '重复录入' });
    ids.h3 = h3;

    // D1: dc-hw late
    at('2026-11-09 09:00');
    const d1 = await opened('01.04', '道路不洁 D1');
    expect(d1.unitId).toBe('dc-hw');
    await act(d1.id, 'accept', DC_HW);
    at('2026-11-09 14:00');
    await act(d1.id, 'feedback', DC_HW, { note: '已清扫', attachments: [await photo(DC_HW)] });
    await act(d1.id, 'close', OP);

    // D2: street-routed, handled by the street office's own account
    at('2026-11-10 09:00');
    const d2 = await opened('05.06', '非机动车乱停放 D2');
    street = d2.unitId;
    expect(street).toMatch(/^dc-s\d{3}$/);
    const sh = `demo-handler-${street}`;
    await act(d2.id, 'accept', sh);
    at('2026-11-10 10:00');
    await act(d2.id, 'feedback', sh, { note: '已规整', attachments: [await photo(sh)] });
    expect((await act(d2.id, 'close', OP)).evaluation.onTime).toBe(true);

    // collectors: col-001 two valid, col-002 one valid and one rejected
    at('2026-11-12 09:00');
    for (const [token, n, valid] of [
      ['demo-collector', 1, true],
      ['demo-collector', 2, true],
      ['demo-collector2', 1, true],
      ['demo-collector2', 2, false],
    ] as const) {
      const id = await intake('01.09', `乱张贴 ${n}`, token, 'collector');
      if (valid) await act(id, 'register', OP);
      else await act(id, 'reject', OP, { reason: 'invalid' });
    }

    // H4 and D3: open at month end
    at('2026-11-26 09:00');
    const h4 = await opened('01.12', '道路遗撒 H4');
    await act(h4.id, 'accept', HWC);
    at('2026-11-30 09:00');
    await opened('01.04', '道路不洁 D3');

    // 1 Dec 09:00: a case dispatched minutes ago in the new month
    at('2026-12-01 09:00');
    ids.x1 = (await opened('01.04', '道路不洁 X1')).id;
  });

  it('scores November exactly by the hand computation above', async () => {
    at('2026-12-01 09:30');
    const nov = (await call('/api/scoring/months/2026-11', OP)).body;
    const hwc = member(nov, 'hwc');
    expect(hwc.items.cases.events.map((e: { kind: string }) => e.kind).sort()).toEqual([
      'closedOverdue',
      'openOverdueAtMonthEnd',
      'rework',
      'wrongfulReturn',
    ]);
    expect(hwc).toMatchObject({ deductions: 3.5, bonus: 0, raw: 96.5, weight: 0.1, weighted: 9.65 });
    const dc = member(nov, 'dc');
    expect(dc.items.cases.deduction).toBe(2);
    expect(dc.items.reports.deduction).toBe(28.5);
    expect(
      dc.items.equipment.events.map((e: { deviceId: string; quantity: number }) => [e.deviceId, e.quantity]),
    ).toEqual([
      ['cgt-001', 72.25],
      ['cgt-002', 72.25],
    ]);
    expect(dc.items.equipment.deduction).toBe(14.45);
    expect(dc).toMatchObject({ deductions: 44.95, raw: 55.05, weight: 0.2, weighted: 11.01 });
    expect(dc.reports).toEqual({ valid: 3, quota: 60 });

    const ind = (await call('/api/scoring/months/2026-11/indicators', OP)).body;
    expect(ind.units.find((u: { unitId: string }) => u.unitId === 'hwc')).toMatchObject({
      registered: 3,
      due: 3,
      closed: 2,
      closedOnTime: 1,
      reworked: 1,
      returned: 1,
      overdue: 2,
      closingRate: 0.6667,
    });
  });

  it('weighs every member of a district level alike', async () => {
    const lvl = (await call('/api/scoring/months/2026-11?level=dc', OP)).body;
    expect(lvl.members.length).toBe(3 + 6); // three bureaus, six street offices
    for (const m of lvl.members) expect(m, m.unitId).toMatchObject({ weight: 1, weighted: m.raw });
    expect(member(lvl, 'dc-hw')).toMatchObject({ deductions: 2, raw: 98 });
  });

  it('shows the running month as of today: no quota for the whole month, no overdue before the deadline', async () => {
    const dec = (await call('/api/scoring/months/2026-12', OP)).body;
    expect(dec.status).toBe('provisional');
    const dc = member(dec, 'dc');
    // only D3, overdue since 30 Nov and still open; X1 (deadline 11:00 today) is not overdue yet,
    // and 9.5 hours into the month no collector is short of anything
    expect(dc.items.cases.events.map((e: { caseId: string }) => e.caseId)).not.toContain(ids.x1);
    expect(dc).toMatchObject({ deductions: 1, raw: 99 });
    expect(dc.items.reports.deduction).toBe(0);
    expect(dc.collectors[0]).toMatchObject({ quota: 0, monthQuota: 2, shortfall: 0 });
    at('2026-12-01 11:30'); // X1's deadline (11:00) has passed now
    const later = member((await call('/api/scoring/months/2026-12?level=dc', OP)).body, 'dc-hw');
    expect(later.items.cases.events.map((e: { caseId: string }) => e.caseId)).toContain(ids.x1);
  });

  it('takes bonus items for the previous month and assessed units only', async () => {
    at('2026-12-01 10:00');
    const mk = (unitId: string, month: string) =>
      call('/api/scoring/bonuses', OP, { body: { month, unitId, points: 2, reason: '重大活动保障' } });
    expect((await mk('centre', '2026-11')).status).toBe(422);
    expect((await mk('hwc', '2026-12')).status).toBe(422);
    const ok = await mk('hwc', '2026-11');
    expect(ok.status).toBe(201);
    expect((await call(`/api/scoring/bonuses/${ok.body.id}/approve`, LEADER, { body: {} })).status).toBe(200);
    const hwc = member((await call('/api/scoring/months/2026-11', OP)).body, 'hwc');
    expect(hwc).toMatchObject({ bonus: 2, raw: 98.5, weighted: 9.85 });
  });

  it.skipIf(!!pgDown)(
    'scores the same November on PostgreSQL: 9.85 and 11.01, the indicators from SQL',
    async () => {
      const db = await createTestDatabase('scoring_month');
      const pg = new PgStore({ url: db.url, max: 2 });
      try {
        await pg.open();
        for (const c of central.embedded!.allCases())
          await pg.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
        const lowdb = group.service();
        for (const b of await lowdb.bonuses.list())
          await pg.scoring.putBonus(b, {
            at: b.createdAt,
            by: b.createdBy,
            action: 'bonus_create',
            bonusId: b.id,
          });
        const onPg = new ScoringService({
          store: pg.scoring,
          org: orgFromCity(central.city),
          rules,
          utcOffsetMinutes: 480,
          devices: lowdb.monthly.devices,
          now: () => new Date(clock.t),
        });
        const nov = (await onPg.monthly.monthScores('2026-11')).result;
        expect(member(nov, 'hwc')).toMatchObject({ raw: 98.5, weighted: 9.85 });
        expect(member(nov, 'dc')).toMatchObject({ raw: 55.05, weighted: 11.01 });
        expect(nov).toEqual((await lowdb.monthly.monthScores('2026-11')).result);
        const ind = await onPg.monthly.indicators('2026-11');
        expect(ind.units.find((u) => u.unitId === 'hwc')).toMatchObject({
          registered: 3,
          due: 3,
          closed: 2,
          closedOnTime: 1,
          reworked: 1,
          returned: 1,
          overdue: 2,
        });
        expect(ind).toEqual(await lowdb.monthly.indicators('2026-11'));
      } finally {
        await pg.close();
        await db.drop();
      }
    },
  );

  it('shows a unit handler the ranking and its own detail, not other units’ cases or bonus reasons', async () => {
    const nov = (await call('/api/scoring/months/2026-11', DC_HW)).body;
    expect(nov.members.length).toBe(14);
    const hwc = member(nov, 'hwc');
    expect(hwc.raw).toBe(98.5); // the ranking stays
    expect(hwc.items.cases.deduction).toBe(3.5);
    expect(hwc.items.cases.events).toEqual([]);
    expect(hwc.bonusItems).toEqual([]);
    // of 雁峰区 it sees what its own bureau did, not the collectors' shortfalls of the streets
    const dc = member(nov, 'dc');
    expect(dc.items.cases.events.every((e: { unitId: string }) => e.unitId === 'dc-hw')).toBe(true);
    expect(dc.items.cases.events.length).toBe(2);
    expect(dc.items.reports.events).toEqual([]);
    expect((await call('/api/scoring/months/2026-11/units/hwc', DC_HW)).status).toBe(403);
    expect((await call('/api/scoring/months/2026-11/units/dc-hw?level=dc', DC_HW)).status).toBe(200);
    expect((await call('/api/scoring/bonuses?month=2026-11', DC_HW)).body).toEqual([]);
    const csv = (await call('/api/scoring/months/2026-11/events?format=csv', DC_HW)).body as string;
    expect(csv).not.toContain('hwc');
  });

  it('closes November with the same numbers and leaves October not assessed', async () => {
    at('2026-12-01 12:00');
    expect((await call('/api/scoring/months/2026-11/close', LEADER, { method: 'POST' })).status).toBe(200);
    const nov = (await call('/api/scoring/months/2026-11', OP)).body;
    expect(nov.status).toBe('closed');
    expect(member(nov, 'hwc')).toMatchObject({ raw: 98.5, weighted: 9.85 });
    expect(member(nov, 'dc')).toMatchObject({ raw: 55.05, weighted: 11.01 });
    const oct = (await call('/api/scoring/months/2026-10', OP)).body;
    expect(oct.status).toBe('not_assessed');
    const year = (await call('/api/scoring/years/2026', OP)).body;
    const hwcYear = year.rows.find((r: { unitId: string }) => r.unitId === 'hwc');
    expect(hwcYear.months[9]).toMatchObject({ status: 'not_assessed', raw: null });
    // Σ assessed months (Nov 9.85, Dec 10 provisional) ÷ 12
    expect(hwcYear.annual).toBe(1.65);
  });
});
