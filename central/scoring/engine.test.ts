/**
 * Scoring engine — worked examples computed by hand with the default rules
 * (central/scoring/rules.json): case handling closed overdue 1, rework 1, wrongful return 0.5,
 * open overdue at month end 1; off-site camera confirmed problem 0.2 (+ the same handling
 * points); 队容风纪 91.01 = 2, 91.02 = 3; 渣土 92.03 = 5; equipment 0.1 per offline hour over
 * 24 h, 1 per unanswered call; reports quota 22, 0.5 per missing report.
 * Month 2026-11 in +08:00 runs 2026-10-31T16:00Z .. 2026-11-30T16:00Z.
 */
import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '../cases/model.js';
import { type BonusItem, type LevelResult, scoreLevel } from './engine.js';
import { type DeviceMonthFacts, extractEvents } from './events.js';
import { type CaseSpec, confirmed, G1, G2, mkCase, SMALL_ORG, validReports } from './fixtures.js';
import { monthWindow } from './month.js';
import { OrgTree } from './org.js';
import { type ItemKey, loadRules, parseRules, type Rules } from './rules.js';

const RULES = loadRules();
const tree = new OrgTree(SMALL_ORG);
const NOV = '2026-11';
const d = (day: number, h = 2) =>
  `2026-11-${String(day).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`;

function score(
  cases: CaseRecord[],
  opts: {
    level?: string;
    month?: string;
    devices?: DeviceMonthFacts[];
    bonuses?: BonusItem[];
    items?: ItemKey[];
    rules?: Rules;
  } = {},
): LevelResult {
  const rules = opts.rules ?? RULES;
  const month = opts.month ?? NOV;
  const ev = extractEvents({ cases, devices: opts.devices }, monthWindow(month, 480), tree, rules);
  return scoreLevel(
    { month, levelId: opts.level ?? 'bureau', ...ev, bonuses: opts.bonuses ?? [], includedItems: opts.items },
    tree,
    rules,
  );
}
const member = (r: LevelResult, id: string) => {
  const m = r.members.find((x) => x.unitId === id);
  if (!m) throw new Error(`no member ${id}`);
  return m;
};

/** Dispatched to `unit` on the 2nd, reworked once, closed on time on the 6th → rework 1 point. */
const reworkedOnce = (
  id: string,
  unit: string,
  spec: Pick<CaseSpec, 'source' | 'category' | 'grid'>,
): CaseRecord =>
  mkCase({
    id,
    ...spec,
    createdAt: d(2),
    deadline: d(28),
    onTime: true,
    steps: [
      ['register', d(2)],
      ['dispatch', d(2), unit],
      ['accept', d(2, 3)],
      ['feedback', d(3)],
      ['rework', d(3, 4)],
      ['accept', d(4)],
      ['feedback', d(5)],
      ['close', d(6)],
    ],
  });

/** Dongcheng district (dc, weight 0.2) with a deduction in each of the six items. */
function allSix(): { cases: CaseRecord[]; devices: DeviceMonthFacts[] } {
  const cases = [
    // c1 hotline: reworked once, closed late → closed overdue 1 + rework 1 = 2
    mkCase({
      id: 'c1',
      source: 'hotline_12345',
      category: '05.04',
      createdAt: d(2),
      grid: G1,
      deadline: d(3),
      onTime: false,
      steps: [
        ['register', d(2)],
        ['dispatch', d(2), 'dc-zf'],
        ['accept', d(2, 3)],
        ['feedback', d(5)],
        ['rework', d(5, 6)],
        ['accept', d(6)],
        ['feedback', d(7)],
        ['close', d(8)],
      ],
    }),
    // c2 citizen: returned by dc-zf, the centre sends it back to dc-zf → wrongful return 0.5; closed on time
    mkCase({
      id: 'c2',
      source: 'citizen',
      category: '05.04',
      createdAt: d(2),
      grid: G1,
      deadline: d(20),
      onTime: true,
      steps: [
        ['register', d(2)],
        ['dispatch', d(2), 'dc-zf'],
        ['return', d(3), 'dc-zf'],
        ['dispatch', d(4), 'dc-zf'],
        ['accept', d(4, 5)],
        ['feedback', d(6)],
        ['close', d(7)],
      ],
    }),
    // c2b hotline: returned by dc-zf and rightly re-dispatched to hwc → no deduction for anyone
    mkCase({
      id: 'c2b',
      source: 'hotline_12345',
      category: '01.12',
      createdAt: d(2),
      deadline: d(20),
      onTime: true,
      steps: [
        ['register', d(2)],
        ['dispatch', d(2), 'dc-zf'],
        ['return', d(3), 'dc-zf'],
        ['dispatch', d(4), 'hwc'],
        ['accept', d(4, 5), 'hwc'],
        ['feedback', d(6), 'hwc'],
        ['close', d(7)],
      ],
    }),
    // c3 WeChat: with dc-zf, deadline 11-25, still processing at month end → 1
    mkCase({
      id: 'c3',
      source: 'wechat',
      category: '05.04',
      createdAt: d(20),
      grid: G1,
      deadline: d(25),
      steps: [
        ['register', d(20)],
        ['dispatch', d(20), 'dc-zf'],
        ['accept', d(21)],
      ],
    }),
    // c4 camera: confirmed problem 0.2 + closed overdue 1 = 1.2 (场外监控点)
    mkCase({
      id: 'c4',
      source: 'ai',
      category: '05.05',
      createdAt: d(10),
      grid: G1,
      deadline: d(11),
      onTime: false,
      steps: [
        ['register', d(10)],
        ['dispatch', d(10), 'dc-zf'],
        ['accept', d(10, 3)],
        ['feedback', d(14)],
        ['close', d(15)],
      ],
    }),
    // c5 camera false positive → never deducts
    mkCase({
      id: 'c5',
      source: 'ai',
      category: '05.05',
      createdAt: d(10),
      grid: G1,
      rejectReason: 'false_positive',
      steps: [['reject', d(10)]],
    }),
    // c6 absence from post confirmed → 3; c7 uniform violation rejected as false positive → 0
    confirmed('c6', 'ai', '91.02', d(12), 'dc-zf', G1),
    mkCase({
      id: 'c7',
      source: 'ai',
      category: '91.01',
      createdAt: d(12),
      rejectReason: 'false_positive',
      steps: [['reject', d(12)]],
    }),
    // c8 muck truck dumping outside an approved site, confirmed → 5
    confirmed('c8', 'vehicle', '92.03', d(13), 'dc-zf'),
    // collectors: col-1 has 20 valid reports (2 short → 1), col-2 has 22 (none short)
    ...validReports('col-1', 20, d(5), G1),
    ...validReports('col-2', 22, d(5), G2),
  ];
  // camera cam-1 offline 30 h → (30 − 24) × 0.1 = 0.6; two unanswered calls → 2; equipment 2.6
  const devices: DeviceMonthFacts[] = [
    {
      deviceId: 'cam-1',
      unitId: 'dc-zf',
      month: NOV,
      offlineHours: 30,
      unansweredCalls: [
        { id: 'k1', at: d(3) },
        { id: 'k2', at: d(9) },
      ],
    },
  ];
  return { cases, devices };
}

describe('scoring engine - worked examples', () => {
  it('a unit with deductions in all six items: 100 − (3.5 + 1.2 + 3 + 5 + 2.6 + 1) = 83.7, × 0.2 = 16.74', () => {
    const r = score(allSix().cases, { devices: allSix().devices });
    const dc = member(r, 'dc');
    expect(Object.fromEntries(Object.values(dc.items).map((i) => [i.item, i.deduction]))).toEqual({
      cases: 3.5,
      offsite: 1.2,
      discipline: 3,
      muck: 5,
      equipment: 2.6,
      reports: 1,
    });
    expect(dc.deductions).toBe(16.3);
    expect(dc.raw).toBe(83.7);
    expect(dc.weighted).toBe(16.74);
    // every deduction names what is behind it
    expect(dc.items.cases.events.map((e) => `${e.kind}:${e.caseId}`).sort()).toEqual([
      'closedOverdue:c1',
      'openOverdueAtMonthEnd:c3',
      'rework:c1',
      'wrongfulReturn:c2',
    ]);
    expect(dc.items.offsite.events.map((e) => `${e.kind}:${e.caseId}`).sort()).toEqual([
      'closedOverdue:c4',
      'confirmedProblem:c4',
    ]);
    expect(dc.items.discipline.events.map((e) => e.caseId)).toEqual(['c6']);
    expect(dc.items.muck.events.map((e) => e.caseId)).toEqual(['c8']);
    expect(dc.items.equipment.events.map((e) => `${e.kind}:${e.deviceId}`).sort()).toEqual([
      'offlineHours:cam-1',
      'unansweredCall:cam-1',
      'unansweredCall:cam-1',
    ]);
    expect(dc.items.reports.events).toMatchObject([{ collectorId: 'col-1', quantity: 2, points: 1 }]);
    // the bureau units had nothing: 100 → 10 points; ranking by raw score
    expect(member(r, 'hwc')).toMatchObject({ raw: 100, weighted: 10, rank: 1 });
    expect(dc.rank).toBe(3);
    expect(r.members.map((m) => m.unitId)).not.toContain('centre');
  });

  it('the same engine one and two levels down: the district assesses its unit and street, the street its communities', () => {
    const { cases, devices } = allSix();
    const district = score(cases, { devices, level: 'dc' });
    // dc-zf carries everything but the reports: 100 − 15.3 = 84.7 (weight 1 for a district's own units)
    expect(member(district, 'dc-zf')).toMatchObject({ deductions: 15.3, raw: 84.7, weighted: 84.7, rank: 2 });
    expect(member(district, 'dc-s001')).toMatchObject({ deductions: 1, raw: 99, rank: 1 });
    const street = score(cases, { devices, level: 'dc-s001' });
    expect(member(street, 'dc-s001-c001')).toMatchObject({ raw: 99 });
    expect(member(street, 'dc-s001-c002')).toMatchObject({ raw: 100 });
  });

  it('a collector below quota: col-1 has 20 of 22 valid reports, per grid and per unit', () => {
    const dc = member(score(allSix().cases), 'dc');
    expect(dc.collectors.map((c) => [c.collectorId, c.gridCodes[0], c.valid, c.shortfall])).toEqual([
      ['col-1', G1, 20, 2],
      ['col-2', G2, 22, 0],
    ]);
    expect(dc.reports).toEqual({ valid: 42, quota: 44 });
  });

  it('an item excluded for the month deducts 0 but still lists its events: 100 − 11.3 = 88.7, × 0.2 = 17.74', () => {
    const items = RULES.defaultIncludedItems.filter((k) => k !== 'muck');
    const dc = member(score(allSix().cases, { devices: allSix().devices, items }), 'dc');
    expect(dc.items.muck).toMatchObject({ included: false, deduction: 0 });
    expect(dc.items.muck.events).toHaveLength(1);
    expect(dc.raw).toBe(88.7);
    expect(dc.weighted).toBe(17.74);
  });

  it('deductions above 100 are clamped at zero; an approved bonus counts, a rejected or pending one does not', () => {
    // zfzd: 25 confirmed dumping violations × 5 = 125 points → the 100 is used up → 0
    const dumping = Array.from({ length: 25 }, (_, i) =>
      confirmed(`m${i}`, 'vehicle', '92.03', d(3), 'zfzd'),
    );
    // hwc: two reworks = 2 points
    const hw = (id: string) => reworkedOnce(id, 'hwc', { source: 'hotline_12345', category: '01.12' });
    const cases = [...dumping, hw('h1'), hw('h2')];
    expect(member(score(cases), 'zfzd')).toMatchObject({ deductions: 125, raw: 0, weighted: 0 });
    const b = (id: string, unitId: string, points: number, state: BonusItem['state']): BonusItem => ({
      id,
      month: NOV,
      unitId,
      points,
      reason: id,
      state,
      createdBy: 'u-op',
      createdAt: d(1),
    });
    const bonuses = [
      b('z-ok', 'zfzd', 3, 'approved'),
      b('z-no', 'zfzd', 5, 'rejected'),
      b('z-wait', 'zfzd', 2, 'pending'),
      b('h-ok', 'hwc', 1.5, 'approved'),
      b('h-no', 'hwc', 4, 'rejected'),
      b('h-oct', 'hwc', 9, 'approved'),
    ];
    bonuses[5].month = '2026-10'; // approved, but for another month
    // default (bonusLiftsFullyDeducted = true): 100 − min(125, 100) + 3 = 3 → × 0.1 = 0.3
    const r = score(cases, { bonuses });
    expect(member(r, 'zfzd')).toMatchObject({ bonus: 3, raw: 3, weighted: 0.3 });
    expect(member(r, 'zfzd').bonusItems.map((x) => x.id)).toEqual(['z-ok']);
    // hwc: 100 − 2 + 1.5 = 99.5 → 9.95
    expect(member(r, 'hwc')).toMatchObject({ deductions: 2, bonus: 1.5, raw: 99.5, weighted: 9.95 });
    // setting off: max(0, 100 + 3 − 125) = 0; hwc unchanged (max(0, 99.5))
    const strict = parseRules({ ...RULES, bonusLiftsFullyDeducted: false });
    const s = score(cases, { bonuses, rules: strict });
    expect(member(s, 'zfzd')).toMatchObject({ raw: 0, weighted: 0 });
    expect(member(s, 'hwc')).toMatchObject({ raw: 99.5 });
  });

  it('district vs bureau-unit weights: the same 98 points are 19.6 for a district and 9.8 for a bureau unit', () => {
    const rw = (id: string, unit: string) =>
      reworkedOnce(id, unit, {
        source: 'leader',
        category: '05.04',
        grid: unit === 'dc-zf' ? G1 : undefined,
      });
    // both collectors meet their quota, so dc loses only the two reworks
    const quota = [...validReports('col-1', 22, d(5), G1), ...validReports('col-2', 22, d(5), G2)];
    const r = score([rw('a1', 'hwc'), rw('a2', 'hwc'), rw('b1', 'dc-zf'), rw('b2', 'dc-zf'), ...quota]);
    expect(member(r, 'hwc')).toMatchObject({ raw: 98, weight: 0.1, weighted: 9.8, rank: 2 });
    expect(member(r, 'dc')).toMatchObject({ raw: 98, weight: 0.2, weighted: 19.6, rank: 2 });
    // a per-unit weight in the rules file wins over the organisation file
    const w = parseRules({ ...RULES, weights: { ...RULES.weights, byUnit: { dc: 0.25 } } });
    expect(member(score(quota, { rules: w }), 'dc').weighted).toBe(25);
  });

  it('the rules file is validated with clear errors', () => {
    expect(() =>
      parseRules({ ...RULES, items: { ...RULES.items, reports: { quota: -1, perMissingReport: 0.5 } } }),
    ).toThrow(/items\.reports\.quota/);
    expect(() => parseRules({ ...RULES, surprise: 1 })).toThrow(/surprise/);
    expect(() =>
      parseRules({ ...RULES, items: { ...RULES.items, muck: { categories: { '91.01': 1 } } } }),
    ).toThrow(/91\.01 is listed under both discipline and muck/);
  });
});

describe('scoring engine - one source for each fact', () => {
  /** the edge's 93.01 report that camera cam-1 of checkpoint cp-01 is offline, confirmed for dc-zf */
  const offlineCase = () => {
    const c = confirmed('off-1', 'ai', '93.01', d(14), 'dc-zf', G1);
    c.refs = { ...c.refs, gatewayId: 'cp-01', deviceId: 'cam-1' };
    return c;
  };
  const hours = (offlineHours: number): DeviceMonthFacts[] => [
    { deviceId: 'cp-01/cam-1', unitId: 'dc-zf', month: NOV, offlineHours, unansweredCalls: [] },
  ];

  it('an outage deducts once: as hours where central measures the device, else as its 93.01 case', () => {
    // measured: 40 h offline → (40 − 24) × 0.1 = 1.6, and the 93.01 case of the same camera adds nothing
    const measured = member(score([offlineCase()], { devices: hours(40) }), 'dc').items.equipment;
    expect(measured.events.map((e) => `${e.kind}:${e.deviceId}`)).toEqual(['offlineHours:cp-01/cam-1']);
    expect(measured.deduction).toBe(1.6);
    // measured but within the threshold: still the hours rule (0), not the case
    expect(member(score([offlineCase()], { devices: hours(10) }), 'dc').items.equipment.deduction).toBe(0);
    // not measured (its gateway is not in equipment.owners): the case is the only record → 1
    const unmeasured = member(score([offlineCase()]), 'dc').items.equipment;
    expect(unmeasured.events.map((e) => `${e.kind}:${e.caseId}`)).toEqual(['offlineCase:off-1']);
    expect(unmeasured.deduction).toBe(1);
  });

  it('the unit of a dispatch is read from DispatchData.unitId only (no guessing other key names)', () => {
    // returned by dc-zf, then sent back to dc-zf: a wrongful return 0.5 when the entry says so
    const returned = (data: Record<string, unknown>) => {
      const c = mkCase({
        id: 'w1',
        source: 'citizen',
        category: '05.04',
        createdAt: d(2),
        grid: G1,
        deadline: d(20),
        onTime: true,
        steps: [
          ['register', d(2)],
          ['dispatch', d(2), 'dc-zf'],
          ['return', d(3), 'dc-zf'],
          ['dispatch', d(4), 'dc-zf'],
          ['accept', d(4, 5)],
          ['feedback', d(6)],
          ['close', d(7)],
        ],
      });
      const again = c.history.filter((h) => h.action === 'dispatch')[1];
      again.data = data;
      return member(score([c]), 'dc').items.cases.events.map((e) => e.kind);
    };
    expect(returned({ unitId: 'dc-zf' })).toEqual(['wrongfulReturn']);
    // an entry naming its unit under another key (the old guesses: toUnitId, unit) says nothing
    expect(returned({ toUnitId: 'dc-zf' })).toEqual([]);
    expect(returned({ unit: 'dc-zf' })).toEqual([]);
  });
});
