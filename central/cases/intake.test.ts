/**
 * intake - HTTP intake on the storage contract: an Idempotency-Key answers its first result
 * again (also when two requests race with it), another body under it is refused; roles submit
 * only their sources; place and category are checked; case numbers continue; nearby open cases
 * of the category are proposed as duplicates; an upload is cited by one case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ZHENGXIANG } from '../../sim/city-points.js';
import { caseService, USERS } from '../../test/support/case-service.js';
import type { IntakeInput } from './intake.js';

const report = (over: Partial<IntakeInput> = {}): IntakeInput => ({
  source: 'hotline_12345',
  category: '01.04',
  description: '人行道垃圾 litter',
  location: { ...ZHENGXIANG },
  photos: [],
  ...over,
});

let t: ReturnType<typeof caseService>;
afterEach(() => t?.done());

describe('intake', () => {
  it('answers an Idempotency-Key once, also when requests race with it; another body under it is 409', async () => {
    t = caseService();
    const first = await t.svc.intake(report(), USERS.operator, 'k-1');
    const again = await t.svc.intake(report(), USERS.operator, 'k-1');
    expect(again).toMatchObject({ status: 201, replayed: true });
    expect(again.case.id).toBe(first.case.id);
    await expect(t.svc.intake(report({ description: 'other' }), USERS.operator, 'k-1')).rejects.toMatchObject(
      {
        status: 409,
        slug: 'idempotency-key-reused',
      },
    );
    const raced = await Promise.all([1, 2, 3].map(() => t.svc.intake(report(), USERS.operator, 'k-2')));
    expect(new Set(raced.map((r) => r.case.id)).size).toBe(1);
    expect(raced.filter((r) => r.replayed)).toHaveLength(2);
    // another user's same key is their own
    const leaders = await t.svc.intake(report({ source: 'leader' }), USERS.leader, 'k-1');
    expect(leaders.replayed).toBe(false);
    expect((await t.store.cases.list({}, { offset: 0, limit: 10 })).total).toBe(3);
  });

  it('refuses a source the role may not submit, an unknown category and a place outside every grid', async () => {
    t = caseService();
    await expect(t.svc.intake(report({ source: 'collector' }), USERS.operator)).rejects.toMatchObject({
      status: 403,
    });
    await expect(t.svc.intake(report({ category: '99.99' }), USERS.operator)).rejects.toMatchObject({
      slug: 'unknown-category',
    });
    await expect(
      t.svc.intake(report({ location: { lat: 26.5, lon: 112.0 } }), USERS.operator),
    ).rejects.toMatchObject({ slug: 'outside-grids' });
    expect((await t.store.cases.countByState()).reported ?? 0).toBe(0);
  });

  it('numbers cases by local day, proposes nearby open cases of the category as duplicates', async () => {
    t = caseService({ now: () => new Date('2026-12-01T16:30:00Z') }); // 00:30 on 12-02 in Shanghai
    const a = await t.svc.intake(report(), USERS.operator);
    const b = await t.svc.intake(
      report({ location: { lat: ZHENGXIANG.lat + 0.0001, lon: ZHENGXIANG.lon } }),
      USERS.operator,
    );
    const far = await t.svc.intake(
      report({ location: { lat: ZHENGXIANG.lat + 0.01, lon: ZHENGXIANG.lon } }),
      USERS.operator,
    );
    expect([a, b, far].map((r) => r.case.caseNumber)).toEqual([
      '2026120200001',
      '2026120200002',
      '2026120200003',
    ]);
    expect(b.case.duplicateCandidates).toEqual([a.case.id]);
    expect(far.case.duplicateCandidates).toEqual([]);
  });

  it('an upload is the evidence of one case', async () => {
    t = caseService();
    const p = await t.photo(USERS.operator);
    const first = await t.svc.intake(report({ photos: [p] }), USERS.operator);
    expect(first.case.evidence.map((e) => [e.name, e.role, e.origin])).toEqual([[p, 'photo', 'upload']]);
    await expect(t.svc.intake(report({ photos: [p] }), USERS.operator)).rejects.toMatchObject({
      status: 409,
      slug: 'attachment-already-cited',
    });
    const other = await t.photo(USERS.collector, 2);
    await expect(t.svc.intake(report({ photos: [other] }), USERS.operator)).rejects.toMatchObject({
      status: 403,
    });
  });
});
