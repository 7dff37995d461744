/**
 * Bonus items (bonus.ts) over the storage contract: proposed pending, approved or refused with a
 * note by a leader, only approved ones count; two leaders deciding one item at once — one wins,
 * the other gets 409. Points from the default rules (see engine.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/support/data-dir.js';
import { memberOf, smallScoring } from './fixtures.js';

const tmp = tempDirs('cg-bonus-');

describe('bonus items', () => {
  it('bonus items: created pending, a leader approves or rejects, only approved ones count', async () => {
    const now = { t: '2026-11-03T00:00:00Z' };
    const { svc } = await smallScoring({ dataDir: tmp(), now });
    // bureau units have no collectors, so they start from a full 100; a bonus cannot lift them above it
    await svc.bonuses.create(
      { id: 'b1', month: '2026-10', unitId: 'hwc', points: 2, reason: '重大保障任务' },
      'u-op',
    );
    await svc.bonuses.create(
      { id: 'b2', month: '2026-10', unitId: 'hwc', points: 4, reason: '媒体表扬' },
      'u-op',
    );
    expect(memberOf(await svc.monthly.monthScores('2026-10'), 'hwc').raw).toBe(100); // pending counts nothing
    await svc.bonuses.decide('b1', 'approved', 'u-leader');
    await svc.bonuses.decide('b2', 'rejected', 'u-leader', '依据不足');
    await expect(svc.bonuses.decide('b2', 'approved', 'u-leader')).rejects.toMatchObject({ status: 409 });
    await expect(svc.bonuses.update('b1', { points: 9 }, 'u-op')).rejects.toMatchObject({ status: 409 });
    // the default cap: never above the allotted points (100 raw, 10 of hwc's 10 weighted)
    expect(memberOf(await svc.monthly.monthScores('2026-10'), 'hwc')).toMatchObject({
      bonus: 2,
      raw: 100,
      weighted: 10,
    });
  });

  it('bonus items: only for assessed units, only for the previous month, capped by the rules', async () => {
    const now = { t: '2026-11-03T00:00:00Z' };
    const { svc } = await smallScoring({ dataDir: tmp(), now, rules: { bonusCap: 'none' } });
    const make = (id: string, month: string, unitId: string) =>
      svc.bonuses.create({ id, month, unitId, points: 3, reason: '表扬' }, 'u-op');
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
    await svc.bonuses.decide('ok', 'approved', 'u-leader');
    // bonusCap "none": the setting lets the bonus lift the score above 100
    expect(memberOf(await svc.monthly.monthScores('2026-10'), 'hwc')).toMatchObject({
      bonus: 3,
      raw: 103,
      weighted: 10.3,
    });
  });

  it('two leaders deciding one item at once: one decision stands, the other is 409; both audited once', async () => {
    const now = { t: '2026-11-03T00:00:00Z' };
    const { svc } = await smallScoring({ dataDir: tmp(), now });
    await svc.bonuses.create({ id: 'b', month: '2026-10', unitId: 'hwc', points: 2, reason: '抢险' }, 'u-op');
    const r = await Promise.allSettled([
      svc.bonuses.decide('b', 'approved', 'u-leader-a', '属实'),
      svc.bonuses.decide('b', 'rejected', 'u-leader-b', '依据不足'),
    ]);
    expect(r.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
      status: 409,
      slug: 'bonus-decided',
    });
    const [stored] = await svc.bonuses.list('2026-10');
    const won = (r.find((x) => x.status === 'fulfilled') as PromiseFulfilledResult<{ state: string }>).value;
    expect(stored.state).toBe(won.state);
    const decisions = (await svc.bonuses.audit()).filter(
      (a) => a.action === 'bonus_approve' || a.action === 'bonus_reject',
    );
    expect(decisions).toHaveLength(1);
    expect(decisions[0].note).toBe(stored.decisionNote);
  });
});
