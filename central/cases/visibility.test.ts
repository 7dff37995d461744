/**
 * visibility - who sees which case: the same rule answered per case (`canSee`) and as the
 * store's list filter (`visibleTo`); overdue only while with the unit and past the deadline.
 */
import { describe, expect, it } from 'vitest';
import { USERS } from '../../test/support/case-service.js';
import { SEED_DIR } from '../central.js';
import { loadCity } from '../city/index.js';
import { matchesFilter, summaryOf } from '../store/contract/derive.js';
import { fixtureCase } from '../store/contract/fixtures.js';
import { canSee, isOverdue, viewListed, viewOf, visibleTo } from './visibility.js';

const at = '2026-11-02T01:00:00.000Z';
const cases = [
  fixtureCase({ at, reporterId: 'u-collector' }),
  fixtureCase({ at, unitId: 'hwc' }),
  fixtureCase({ at, unitId: 'zfzd', reporterId: 'u-collector' }),
  fixtureCase({ at }),
];
const who = [
  USERS.operator,
  USERS.leader,
  USERS.collector,
  USERS.handler('hwc'),
  { ...USERS.handler('x'), unitId: undefined },
];

describe('visibility', () => {
  it('the list filter answers exactly what canSee answers, for every role', () => {
    for (const u of who) {
      const f = { visibleTo: visibleTo(u) };
      expect(
        cases.map((c) => matchesFilter(c, f)),
        u.id,
      ).toEqual(cases.map((c) => canSee(u, c)));
    }
    expect(cases.filter((c) => canSee(USERS.collector, c))).toHaveLength(2);
    expect(cases.filter((c) => canSee(USERS.handler('hwc'), c))).toHaveLength(1);
  });

  it('overdue: with the unit and past the deadline, never stored', () => {
    const now = new Date('2026-11-10T00:00:00Z');
    const due = { ...fixtureCase({ at, deadline: '2026-11-09T00:00:00Z' }), state: 'processing' as const };
    expect(isOverdue(due, now)).toBe(true);
    expect(isOverdue({ ...due, state: 'feedback' }, now)).toBe(false);
    expect(isOverdue({ ...due, deadline: '2026-11-11T00:00:00Z' }, now)).toBe(false);
  });

  it('a listed case reads as the case view without history, and naming it leaves the stored case alone', () => {
    const city = loadCity(SEED_DIR);
    const now = new Date('2026-11-10T00:00:00Z');
    const stored = {
      ...fixtureCase({ at, unitId: 'hwc', deadline: '2026-11-09T00:00:00Z' }),
      state: 'processing' as const,
    };
    const before = structuredClone(stored);
    const listed = viewListed(city, summaryOf(stored), now);
    const { history, ...viewed } = viewOf(city, stored, now);
    expect(listed).toStrictEqual({ ...viewed, historyLength: history.length });
    expect(listed.overdue).toBe(true);
    expect(listed.stateName).toBe('处理中');
    expect(stored).toStrictEqual(before);
  });
});
