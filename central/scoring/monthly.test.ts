/**
 * Monthly scoring (monthly.ts) over the storage contract: the annual average, the go-live month,
 * and the month read from the month's cases and aggregates only. Points from the default rules
 * (see engine.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/support/data-dir.js';
import type { CaseRecord } from '../cases/model.js';
import { mkCase, smallScoring } from './fixtures.js';

const tmp = tempDirs('cg-monthly-');

describe('monthly scoring - annual', () => {
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
    const { svc } = await smallScoring({
      dataDir: tmp(),
      now: { t: '2027-01-10T00:00:00Z' },
      cases,
      rules: { goLiveMonth: '2026-01' },
    });
    const y = await svc.monthly.annual(2026);
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
    const { svc } = await smallScoring({ dataDir: tmp(), now: { t: '2027-01-10T00:00:00Z' }, cases });
    expect(await svc.monthly.goLiveMonth()).toBe('2026-11');
    expect((await svc.monthly.monthScores('2026-10')).status).toBe('not_assessed');
    await expect(svc.months.close('2026-10', 'u-leader')).rejects.toMatchObject({
      status: 409,
      slug: 'not-assessed',
    });
    const hwc = (await svc.monthly.annual(2026)).rows.find((r) => r.unitId === 'hwc')!;
    expect(hwc.months.slice(0, 10).every((m) => m.status === 'not_assessed' && m.raw === null)).toBe(true);
    // November and December at 100 → Σ 20 weighted ÷ 12 (the plan's divisor)
    expect(hwc).toMatchObject({ annual: 1.67, annualRaw: 16.67 });
    const perMonth = await smallScoring({
      dataDir: tmp(),
      now: { t: '2027-01-10T00:00:00Z' },
      cases,
      rules: { annualDivisor: 'assessedMonths' },
    });
    expect((await perMonth.svc.monthly.annual(2026)).rows.find((r) => r.unitId === 'hwc')).toMatchObject({
      annual: 10,
    });
  });
});
