/**
 * Month close (close.ts) over the storage contract: late events after a close, reopening, and
 * two instances closing one month at once on each store — one wins, the other gets 409 naming
 * who closed it and when. Points from the default rules (see engine.test.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/support/data-dir.js';
import { createTestDatabase, postgresUnreachable } from '../../test/support/postgres.js';
import type { CaseRecord } from '../cases/model.js';
import { LowdbAdapter } from '../store/contract/lowdb-adapter.js';
import { MemoryCaseStore } from '../store/memory.js';
import { PgStore } from '../store/postgres/index.js';
import { confirmed, G1, G2, memberOf, mkCase, SMALL_ORG, smallScoring, validReports } from './fixtures.js';
import { loadRules } from './rules.js';
import { ScoringService } from './service.js';
import { ScoringStore } from './store.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`month close: PostgreSQL race skipped: ${pgDown}`);

const tmp = tempDirs('cg-close-');

describe('month close', () => {
  it('a late event after month close counts in the month it is recorded in; the closed month does not change', async () => {
    // October: col-1 has 21 valid reports (1 short → 0.5), col-2 22 → dc 99.5
    const cases: CaseRecord[] = [
      ...validReports('col-1', 21, '2026-10-10T02:00:00Z', G1),
      ...validReports('col-2', 22, '2026-10-10T02:00:00Z', G2),
    ];
    const now = { t: '2026-11-02T01:00:00Z' };
    const dataDir = tmp();
    const { svc, put } = await smallScoring({ dataDir, now, cases });
    await expect(svc.months.close('2026-11', 'u-leader')).rejects.toMatchObject({ status: 409 }); // not over yet
    const closed = await svc.months.close('2026-10', 'u-leader');
    expect(closed.status).toBe('closed');
    expect(memberOf(closed, 'dc')).toMatchObject({ raw: 99.5, weighted: 19.9 });
    await expect(svc.months.close('2026-10', 'u-leader')).rejects.toMatchObject({ status: 409 });

    // late 1: col-1's report filed on 31 Oct (local) is registered on 2 Nov → counts in November
    await put(
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
    await put(backdated);

    const oct = await svc.monthly.monthScores('2026-10');
    expect(oct.status).toBe('closed');
    expect(memberOf(oct, 'dc')).toMatchObject({ raw: 99.5, weighted: 19.9 });
    expect(memberOf(oct, 'dc').items.discipline.events).toEqual([]);

    const nov = await svc.monthly.monthScores('2026-11');
    expect(nov.status).toBe('provisional');
    expect(memberOf(nov, 'dc').collectors.find((c) => c.collectorId === 'col-1')?.caseIds).toEqual([
      'late-report',
    ]);
    expect(memberOf(nov, 'dc').items.discipline).toMatchObject({
      deduction: 3,
      events: [{ caseId: 'late-absence' }],
    });

    // closing November freezes the late event there; December does not count it again
    now.t = '2026-12-01T17:00:00Z';
    await svc.months.close('2026-11', 'u-admin');
    expect(memberOf(await svc.monthly.monthScores('2026-12'), 'dc').items.discipline.events).toEqual([]);

    // the frozen months survive a restart
    const again = await smallScoring({ dataDir, now, cases });
    expect(await again.store.scoring.closedMonths()).toEqual(['2026-10', '2026-11']);
    expect(memberOf(await again.svc.monthly.monthScores('2026-10'), 'dc').raw).toBe(99.5);
  });

  it('reopening is audited, keeps the frozen result on disk, and the month recomputes', async () => {
    const now = { t: '2026-11-05T00:00:00Z' };
    const dataDir = tmp();
    const { svc, put } = await smallScoring({ dataDir, now });
    await svc.months.close('2026-10', 'u-leader');
    const late = confirmed('late', 'vehicle', '92.03', '2026-10-20T03:00:00Z', 'zfzd');
    late.updatedAt = '2026-11-05T00:00:00.000Z';
    await put(late);
    expect(memberOf(await svc.monthly.monthScores('2026-10'), 'zfzd').raw).toBe(100);
    await expect(
      svc.bonuses.create({ id: 'b', month: '2026-10', unitId: 'zfzd', points: 1, reason: 'x' }, 'u-op'),
    ).rejects.toMatchObject({
      status: 409,
    });
    await svc.months.reopen('2026-10', 'u-admin', '补录渣土违规');
    expect((await svc.bonuses.audit()).map((a) => [a.action, a.month, a.by, a.note])).toEqual([
      ['close', '2026-10', 'u-leader', undefined],
      ['reopen', '2026-10', 'u-admin', '补录渣土违规'],
    ]);
    expect(readdirSync(join(dataDir, 'scoring')).some((f) => f.startsWith('reopened-2026-10-'))).toBe(true);
    const reopened = await svc.monthly.monthScores('2026-10');
    expect(reopened.status).toBe('provisional');
    expect(memberOf(reopened, 'zfzd')).toMatchObject({ deductions: 5, raw: 95 });
    // and November does not carry it as a late event any more (October is open)
    expect(memberOf(await svc.monthly.monthScores('2026-11'), 'zfzd').items.muck.events).toEqual([]);
    await expect(svc.months.reopen('2026-10', 'u-admin', 'again')).rejects.toMatchObject({ status: 409 });
  });
});

/** Two central instances closing October at once: exactly one close stands. */
async function race(a: ScoringService, b: ScoringService) {
  const r = await Promise.allSettled([
    a.months.close('2026-10', 'u-leader-a'),
    b.months.close('2026-10', 'u-leader-b'),
  ]);
  const won = r.filter((x) => x.status === 'fulfilled');
  const lost = r.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  const winner = (won[0] as PromiseFulfilledResult<{ closedBy?: string }>).value.closedBy;
  expect(lost[0].reason).toMatchObject({
    status: 409,
    slug: 'month-closed',
    extra: { closedBy: winner, closedAt: '2026-11-02T01:00:00.000Z' },
  });
  // the message says who and when, in local time (whether it lost at the check or at the write)
  expect(lost[0].reason.detail).toMatch(
    new RegExp(`^2026-10 was closed by ${winner} at 2026-11-02 09:00:00`),
  );
  // both instances now serve the one frozen result
  for (const s of [a, b]) expect((await s.monthly.monthScores('2026-10')).closedBy).toBe(winner);
  return winner;
}

const october = () => [
  ...validReports('col-1', 21, '2026-10-10T02:00:00Z', G1),
  ...validReports('col-2', 22, '2026-10-10T02:00:00Z', G2),
  confirmed('absent', 'ai', '91.02', '2026-10-12T03:00:00Z', 'dc-zf', G1),
];
const NOW = { t: '2026-11-02T01:00:00Z' };
const service = (store: LowdbAdapter | PgStore) =>
  new ScoringService({
    store: store.scoring,
    org: SMALL_ORG,
    rules: loadRules(),
    utcOffsetMinutes: 480,
    now: () => new Date(NOW.t),
  });

describe('month close - two instances racing', () => {
  it('lowdb: two scoring stores on one data directory, one close wins, the other is 409', async () => {
    const dir = tmp();
    const cases = new MemoryCaseStore();
    await cases.commit({ cases: october() });
    const one = new LowdbAdapter(cases, new ScoringStore(dir));
    const two = new LowdbAdapter(cases, new ScoringStore(dir));
    await one.open();
    await two.open();
    await race(service(one), service(two));
    expect(readdirSync(join(dir, 'scoring')).filter((f) => f.startsWith('closed-'))).toEqual([
      'closed-2026-10.json',
    ]);
    // a restart reads the winner's file
    const again = new LowdbAdapter(cases, new ScoringStore(dir));
    await again.open();
    expect(memberOf(await service(again).monthly.monthScores('2026-10'), 'dc')).toMatchObject({ raw: 96.5 });
  });

  const dbs: { drop(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });
  it.skipIf(!!pgDown)(
    'PostgreSQL: two instances on one database, one close wins, the other is 409',
    async () => {
      const db = await createTestDatabase('scoring_close');
      dbs.push(db);
      const one = new PgStore({ url: db.url, max: 2 });
      const two = new PgStore({ url: db.url, max: 2 });
      try {
        await one.open();
        await two.open();
        for (const c of october()) await one.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
        await race(service(one), service(two));
        expect(await two.scoring.closedMonths()).toEqual(['2026-10']);
        const log = await one.scoring.audit({ offset: 0, limit: 10 });
        expect(log.map((a) => a.action)).toEqual(['close']);
        expect(memberOf(await service(two).monthly.monthScores('2026-10'), 'dc')).toMatchObject({
          raw: 96.5,
        });
      } finally {
        await one.close();
        await two.close();
      }
    },
  );
});
