/**
 * Scoring service — month close, late events, reopening, annual average, bonus workflow.
 * Points from the default rules (see central-scoring-engine.test.ts).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../central/cases/model.js';
import { confirmed, G1, G2, mkCase, SMALL_ORG, validReports } from '../central/scoring/fixtures.js';
import { loadRules, type Rules } from '../central/scoring/rules.js';
import { ScoringService } from '../central/scoring/service.js';
import { ScoringStore } from '../central/scoring/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setup(cases: CaseRecord[], now: { t: string }, dir?: string, rules: Partial<Rules> = {}) {
  const dataDir = dir ?? mkdtempSync(join(tmpdir(), 'scoring-'));
  if (!dir) dirs.push(dataDir);
  const store = new ScoringStore(dataDir);
  await store.open();
  const svc = new ScoringService({
    cases: { allCases: () => cases },
    org: SMALL_ORG,
    rules: { ...loadRules(), ...rules },
    store,
    utcOffsetMinutes: 480,
    now: () => new Date(now.t),
  });
  return { svc, dataDir };
}
const unit = (s: { result: { members: { unitId: string }[] } }, id: string) =>
  s.result.members.find((m) => m.unitId === id) as ReturnType<ScoringService['compute']>['members'][number];

describe('scoring service - month close', () => {
  it('a late event after month close counts in the month it is recorded in; the closed month does not change', async () => {
    // October: col-1 has 21 valid reports (1 short → 0.5), col-2 22 → dc 99.5
    const cases: CaseRecord[] = [
      ...validReports('col-1', 21, '2026-10-10T02:00:00Z', G1),
      ...validReports('col-2', 22, '2026-10-10T02:00:00Z', G2),
    ];
    const now = { t: '2026-11-02T01:00:00Z' };
    const { svc, dataDir } = await setup(cases, now);
    await expect(svc.close('2026-11', 'u-leader')).rejects.toMatchObject({ status: 409 }); // not over yet
    const closed = await svc.close('2026-10', 'u-leader');
    expect(closed.status).toBe('closed');
    expect(unit(closed, 'dc')).toMatchObject({ raw: 99.5, weighted: 19.9 });
    await expect(svc.close('2026-10', 'u-leader')).rejects.toMatchObject({ status: 409 });

    // late 1: col-1's report filed on 31 Oct (local) is registered on 2 Nov → counts in November
    cases.push(
      mkCase({
        id: 'late-report',
        source: 'collector',
        category: '01.09',
        createdAt: '2026-10-31T10:00:00Z',
        grid: G1,
        collectorId: 'col-1',
        steps: [['register', '2026-11-02T01:30:00Z']],
      }),
    );
    // late 2: a backdated record: an absence-from-post case whose history says "registered on 30 Oct",
    // written by central after the close (its updatedAt is central's write time)
    const backdated = confirmed('late-absence', 'ai', '91.02', '2026-10-30T03:00:00Z', 'dc-zf', G1);
    backdated.updatedAt = '2026-11-02T01:40:00.000Z';
    cases.push(backdated);

    const oct = svc.monthScores('2026-10');
    expect(oct.status).toBe('closed');
    expect(unit(oct, 'dc')).toMatchObject({ raw: 99.5, weighted: 19.9 });
    expect(unit(oct, 'dc').items.discipline.events).toEqual([]);

    const nov = svc.monthScores('2026-11');
    expect(nov.status).toBe('provisional');
    expect(unit(nov, 'dc').collectors.find((c) => c.collectorId === 'col-1')?.caseIds).toEqual([
      'late-report',
    ]);
    expect(unit(nov, 'dc').items.discipline).toMatchObject({
      deduction: 3,
      events: [{ caseId: 'late-absence' }],
    });

    // closing November freezes the late event there; December does not count it again
    now.t = '2026-12-01T17:00:00Z';
    await svc.close('2026-11', 'u-admin');
    expect(unit(svc.monthScores('2026-12'), 'dc').items.discipline.events).toEqual([]);

    // the frozen months survive a restart
    const again = await setup(cases, now, dataDir);
    expect(again.svc.store.closedMonths()).toEqual(['2026-10', '2026-11']);
    expect(unit(again.svc.monthScores('2026-10'), 'dc').raw).toBe(99.5);
  });

  it('reopening is audited, keeps the frozen result on disk, and the month recomputes', async () => {
    const cases: CaseRecord[] = [];
    const now = { t: '2026-11-05T00:00:00Z' };
    const { svc, dataDir } = await setup(cases, now);
    await svc.close('2026-10', 'u-leader');
    const late = confirmed('late', 'vehicle', '92.03', '2026-10-20T03:00:00Z', 'zfzd');
    late.updatedAt = '2026-11-05T00:00:00.000Z';
    cases.push(late);
    expect(unit(svc.monthScores('2026-10'), 'zfzd').raw).toBe(100);
    await expect(
      svc.createBonus({ id: 'b', month: '2026-10', unitId: 'zfzd', points: 1, reason: 'x' }, 'u-op'),
    ).rejects.toMatchObject({
      status: 409,
    });
    await svc.reopen('2026-10', 'u-admin', '补录渣土违规');
    expect(svc.audit().map((a) => [a.action, a.month, a.by, a.note])).toEqual([
      ['close', '2026-10', 'u-leader', undefined],
      ['reopen', '2026-10', 'u-admin', '补录渣土违规'],
    ]);
    expect(readdirSync(join(dataDir, 'scoring')).some((f) => f.startsWith('reopened-2026-10-'))).toBe(true);
    const reopened = svc.monthScores('2026-10');
    expect(reopened.status).toBe('provisional');
    expect(unit(reopened, 'zfzd')).toMatchObject({ deductions: 5, raw: 95 });
    // and November does not carry it as a late event any more (October is open)
    expect(unit(svc.monthScores('2026-11'), 'zfzd').items.muck.events).toEqual([]);
    await expect(svc.reopen('2026-10', 'u-admin', 'again')).rejects.toMatchObject({ status: 409 });
  });

  it('bonus items: created pending, a leader approves or rejects, only approved ones count', async () => {
    const now = { t: '2026-11-03T00:00:00Z' };
    const { svc } = await setup([], now);
    // bureau units have no collectors, so they start from a full 100; a bonus cannot lift them above it
    await svc.createBonus(
      { id: 'b1', month: '2026-10', unitId: 'hwc', points: 2, reason: '重大保障任务' },
      'u-op',
    );
    await svc.createBonus(
      { id: 'b2', month: '2026-10', unitId: 'hwc', points: 4, reason: '媒体表扬' },
      'u-op',
    );
    expect(unit(svc.monthScores('2026-10'), 'hwc').raw).toBe(100); // pending counts nothing
    await svc.decideBonus('b1', 'approved', 'u-leader');
    await svc.decideBonus('b2', 'rejected', 'u-leader', '依据不足');
    await expect(svc.decideBonus('b2', 'approved', 'u-leader')).rejects.toMatchObject({ status: 409 });
    await expect(svc.updateBonus('b1', { points: 9 }, 'u-op')).rejects.toMatchObject({ status: 409 });
    // the default cap: never above the allotted points (100 raw, 10 of hwc's 10 weighted)
    expect(unit(svc.monthScores('2026-10'), 'hwc')).toMatchObject({ bonus: 2, raw: 100, weighted: 10 });
  });

  it('bonus items: only for assessed units, only for the previous month, capped by the rules', async () => {
    const now = { t: '2026-11-03T00:00:00Z' };
    const { svc } = await setup([], now, undefined, { bonusCap: 'none' });
    const make = (id: string, month: string, unitId: string) =>
      svc.createBonus({ id, month, unitId, points: 3, reason: '表扬' }, 'u-op');
    // the unassessed command centre and the bureau itself
    await expect(make('c', '2026-10', 'centre')).rejects.toMatchObject({
      status: 422,
      slug: 'unit-not-assessed',
    });
    await expect(make('r', '2026-10', 'bureau')).rejects.toMatchObject({
      status: 422,
      slug: 'unit-not-assessed',
    });
    // the current month and an older one: compiled at the start of a month for the previous one
    await expect(make('n', '2026-11', 'hwc')).rejects.toMatchObject({ status: 422, slug: 'bonus-month' });
    await expect(make('o', '2026-09', 'hwc')).rejects.toMatchObject({ status: 422, slug: 'bonus-month' });
    await make('ok', '2026-10', 'hwc');
    await svc.decideBonus('ok', 'approved', 'u-leader');
    // bonusCap "none": the setting lets the bonus lift the score above 100
    expect(unit(svc.monthScores('2026-10'), 'hwc')).toMatchObject({ bonus: 3, raw: 103, weighted: 10.3 });
  });
});

describe('scoring service - annual', () => {
  it('annual = Σ 12 monthly ÷ 12: hwc loses k points in month k (k = 0..11)', async () => {
    // hwc monthly raw 100, 99, ..., 89 → weighted 10, 9.9, ..., 8.9
    // Σ weighted = 12 × 10 − 0.1 × (0 + 1 + ... + 11) = 120 − 6.6 = 113.4 → ÷ 12 = 9.45; raw 1134 ÷ 12 = 94.5
    const cases: CaseRecord[] = [];
    for (let k = 1; k < 12; k++) {
      const mm = String(k + 1).padStart(2, '0');
      for (let i = 0; i < k; i++)
        cases.push(
          mkCase({
            id: `h${k}-${i}`,
            source: 'hotline_12345',
            category: '01.12',
            createdAt: `2026-${mm}-03T02:00:00Z`,
            deadline: `2026-${mm}-04T02:00:00Z`,
            onTime: false,
            steps: [
              ['register', `2026-${mm}-03T02:00:00Z`],
              ['dispatch', `2026-${mm}-03T02:00:00Z`, 'hwc'],
              ['accept', `2026-${mm}-03T03:00:00Z`],
              ['feedback', `2026-${mm}-05T02:00:00Z`],
              ['close', `2026-${mm}-06T02:00:00Z`],
            ],
          }),
        );
    }
    // the city went live in January (set in the rules; by default it is the month of the first case)
    const { svc } = await setup(cases, { t: '2027-01-10T00:00:00Z' }, undefined, { goLiveMonth: '2026-01' });
    const y = svc.annual(2026);
    const hwc = y.rows.find((r) => r.unitId === 'hwc');
    expect(hwc?.months.map((m) => m.raw)).toEqual([100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89]);
    expect(hwc).toMatchObject({ annual: 9.45, annualRaw: 94.5, rank: 2 });
    expect(y.rows.find((r) => r.unitId === 'zfzd')).toMatchObject({ annual: 10, rank: 1 });
    // dc's two collectors file nothing: 44 missing × 0.5 = 22 a month → 78 × 0.2 = 15.6 every month
    expect(y.rows.find((r) => r.unitId === 'dc')).toMatchObject({ annual: 15.6, annualRaw: 78, rank: 3 });
  });

  it('months before the go-live month are not assessed and add nothing to the annual numerator', async () => {
    // one case in November: by default the city went live in November; January..October are
    // not assessed (they used to score 100 for bureau units: a year without data = a perfect 10)
    const cases = [
      mkCase({
        id: 'n1',
        source: 'hotline_12345',
        category: '01.12',
        createdAt: '2026-11-03T02:00:00Z',
        steps: [['register', '2026-11-03T02:00:00Z']],
      }),
    ];
    const { svc } = await setup(cases, { t: '2027-01-10T00:00:00Z' });
    expect(svc.goLiveMonth()).toBe('2026-11');
    expect(svc.monthScores('2026-10').status).toBe('not_assessed');
    await expect(svc.close('2026-10', 'u-leader')).rejects.toMatchObject({
      status: 409,
      slug: 'not-assessed',
    });
    const hwc = svc.annual(2026).rows.find((r) => r.unitId === 'hwc')!;
    expect(hwc.months.slice(0, 10).every((m) => m.status === 'not_assessed' && m.raw === null)).toBe(true);
    // November and December at 100 → Σ 20 weighted ÷ 12 (the plan's divisor)
    expect(hwc).toMatchObject({ annual: 1.67, annualRaw: 16.67 });
    const perMonth = await setup(cases, { t: '2027-01-10T00:00:00Z' }, undefined, {
      annualDivisor: 'assessedMonths',
    });
    expect(perMonth.svc.annual(2026).rows.find((r) => r.unitId === 'hwc')).toMatchObject({ annual: 10 });
  });
});
