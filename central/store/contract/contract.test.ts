/**
 * store contract - one suite, run against the lowdb adapter (LowdbCaseStore + ScoringStore in a
 * temp dir) and against PostgreSQL (a database of its own, created and dropped here; skipped
 * with a message when 127.0.0.1:5432 does not answer). For PostgreSQL the "peer" is a second
 * PgStore on the same database: a second central instance. For lowdb it is the same store (one
 * process owns the files).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  postgresUnreachable,
  type TestDatabase,
} from '../../../test/support/postgres.js';
import type { CaseRecord, IncidentRecord, IncidentSnapshot } from '../../cases/model.js';
import { aggregateMonth } from '../../scoring/indicators.js';
import { ScoringStore } from '../../scoring/store.js';
import { LowdbCaseStore } from '../lowdb.js';
import { PgStore } from '../postgres/index.js';
import { matchesFilter } from './derive.js';
import { advance, fixtureCase } from './fixtures.js';
import {
  type CaseChange,
  type CaseFilter,
  type CentralStore,
  Duplicate,
  IncidentOwnedElsewhere,
  type IncidentView,
  MonthAlreadyClosed,
  MonthNotClosed,
  StaleVersion,
  versionOf,
} from './index.js';
import { LowdbAdapter } from './lowdb-adapter.js';

/** only the revision matters to the store: the rest of the snapshot is the service's */
const snap = (rev: number) => ({ rev }) as IncidentSnapshot;

interface Subject {
  store: CentralStore;
  peer: CentralStore;
  done(): Promise<void>;
}

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`store contract: PostgreSQL part skipped: ${pgDown}`);

const SUBJECTS: [string, boolean, () => Promise<Subject>][] = [
  [
    'lowdb',
    false,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'cg-contract-'));
      const store = new LowdbAdapter(new LowdbCaseStore({ dir: join(dir, 'cases') }), new ScoringStore(dir));
      await store.open();
      return {
        store,
        peer: store,
        async done() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'postgres',
    !!pgDown,
    async () => {
      const db: TestDatabase = await createTestDatabase('contract');
      const store = new PgStore({ url: db.url, max: 4 });
      const peer = new PgStore({ url: db.url, max: 4 });
      await store.open();
      await peer.open();
      return {
        store,
        peer,
        async done() {
          await store.close();
          await peer.close();
          await db.drop();
        },
      };
    },
  ],
];

const T0 = Date.parse('2026-10-05T02:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const page = { offset: 0, limit: 500 };

/** What the ingest builder does, reduced: a new incident opens a case, a later revision appends history. */
function revisionChange(incidentId: string, rev: number, gatewayId: string, when: string) {
  return async (v: IncidentView): Promise<CaseChange> => {
    const revision = {
      rev,
      lifecycle: rev === 0 ? 'new' : 'update',
      observedAt: when,
      receivedAt: when,
      evidence: [],
    };
    if (!v.incident) {
      const c = fixtureCase({ at: when, source: 'ai', reporterId: gatewayId, category: '05.05' });
      c.refs.incidentIds = [incidentId];
      const incident: IncidentRecord = {
        id: incidentId,
        caseId: c.id,
        gatewayId,
        firstSeenAt: when,
        revs: [rev],
        latest: snap(rev),
        revisions: [revision],
      };
      return { cases: [{ case: c, expectedVersion: 0 }], incident };
    }
    const cur = (await v.getCase(v.incident.caseId))!;
    const c = structuredClone(cur.case);
    c.history.push({
      seq: c.history.length + 1,
      at: when,
      action: 'incident_update',
      actor: { id: gatewayId, role: 'system' },
      data: { incidentId, rev },
    });
    c.version = cur.version + 1;
    const prev = v.incident;
    const incident: IncidentRecord = {
      ...prev,
      revs: [...prev.revs, rev],
      revisions: [...prev.revisions, revision],
      latest: rev > Math.max(...prev.revs) ? snap(rev) : prev.latest,
    };
    return { cases: [{ case: c, expectedVersion: cur.version }], incident };
  };
}

describe.each(SUBJECTS)('store contract - %s', (_name, skip, make) => {
  let s: Subject;
  beforeAll(async () => {
    if (!skip) s = await make();
  });
  afterAll(async () => {
    await s?.done();
  });

  it.skipIf(skip)('stores a new case at version 1 and reads it back with its history', async () => {
    const c = fixtureCase({ at: at(0), evidence: ['att-a.jpg'] });
    await s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
    const got = await s.peer.cases.get(c.id);
    expect(got?.version).toBe(1);
    expect(got?.case).toEqual(c);
    expect(await s.store.cases.get('01NOPE000000000000000000000')).toBeUndefined();
    // the same id again as "new" is a stale write, not a second case
    await expect(s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] })).rejects.toBeInstanceOf(
      StaleVersion,
    );
  });

  it.skipIf(skip)('refuses a stale write and keeps the history append-only', async () => {
    const c = fixtureCase({ at: at(1) });
    await s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
    const v2 = advance(c, 'register', 'registered', at(2));
    await s.store.cases.commit({ cases: [{ case: v2, expectedVersion: 1 }] });
    const stale = advance(c, 'reject', 'rejected', at(3));
    const err = await s.peer.cases.commit({ cases: [{ case: stale, expectedVersion: 1 }] }).catch((e) => e);
    expect(err).toBeInstanceOf(StaleVersion);
    expect((err as StaleVersion).actual).toBe(2);
    const got = await s.store.cases.get(c.id);
    expect(got?.case.state).toBe('registered');
    expect((await s.store.cases.history(c.id)).map((h) => h.action)).toEqual(['report', 'register']);
    expect((await s.store.cases.history(c.id, 1)).map((h) => h.seq)).toEqual([2]);
    // a write that appends nothing is refused
    await expect(
      s.store.cases.commit({ cases: [{ case: { ...v2, description: 'x' }, expectedVersion: 2 }] }),
    ).rejects.toThrow(/append history/);
  });

  it.skipIf(skip)(
    'a change that appends two history entries (close + evaluate) keeps both, and the next change appends after them',
    async () => {
      const c = fixtureCase({ at: at(0) });
      await s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
      const closed = advance(c, 'close', 'closed', at(1));
      closed.history.push({ seq: 3, at: at(1), action: 'evaluate', actor: { id: 'system', role: 'system' } });
      await s.store.cases.commit({ cases: [{ case: closed, expectedVersion: 1 }] });
      const next = advance(closed, 'cancel', 'cancelled', at(2));
      await s.peer.cases.commit({ cases: [{ case: next, expectedVersion: 2 }] });
      const got = await s.store.cases.get(c.id);
      expect(got?.version).toBe(3);
      expect(got?.case.history.map((h) => [h.seq, h.action])).toEqual([
        [1, 'report'],
        [2, 'close'],
        [3, 'evaluate'],
        [4, 'cancel'],
      ]);
    },
  );

  it.skipIf(skip)(
    'an upload is cited by one case: a second case claiming it is refused, on either instance',
    async () => {
      const a = fixtureCase({ at: at(50), evidence: ['att-once.jpg'] });
      await s.store.cases.commit({ cases: [{ case: a, expectedVersion: 0 }], claims: ['att-once.jpg'] });
      const b = fixtureCase({ at: at(51), evidence: ['att-once.jpg'] });
      const err = await s.peer.cases
        .commit({ cases: [{ case: b, expectedVersion: 0 }], claims: ['att-once.jpg'] })
        .catch((e) => e);
      expect(err).toBeInstanceOf(Duplicate);
      expect((err as Duplicate).what).toBe('evidence');
      expect(await s.store.cases.get(b.id)).toBeUndefined();
      // the case that cites it may cite it again (a later change of the same case)
      const a2 = advance(a, 'register', 'registered', at(52));
      await s.peer.cases.commit({ cases: [{ case: a2, expectedVersion: 1 }], claims: ['att-once.jpg'] });
      // two cases claiming one new upload at once: one wins
      const [x, y] = [
        fixtureCase({ at: at(53), evidence: ['att-race.jpg'] }),
        fixtureCase({ at: at(54), evidence: ['att-race.jpg'] }),
      ];
      const r = await Promise.allSettled([
        s.store.cases.commit({ cases: [{ case: x, expectedVersion: 0 }], claims: ['att-race.jpg'] }),
        s.peer.cases.commit({ cases: [{ case: y, expectedVersion: 0 }], claims: ['att-race.jpg'] }),
      ]);
      expect(r.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(await s.store.cases.byEvidence('att-race.jpg')).toHaveLength(1);
    },
  );

  it.skipIf(skip)("hands out each day's case sequence once, across instances", async () => {
    const got = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? s.peer : s.store).cases.nextCaseSequence('20990301')),
    );
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await s.store.cases.nextCaseSequence('20990302')).toBe(1);
  });

  it.skipIf(skip)('two writers on one case: one wins, the other gets StaleVersion', async () => {
    const c = fixtureCase({ at: at(4) });
    await s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
    for (let round = 0; round < 5; round++) {
      const cur = (await s.store.cases.get(c.id))!;
      const a = advance(cur.case, 'incident_update', cur.case.state, at(5 + round), {}, 'writer-a');
      const b = advance(cur.case, 'incident_update', cur.case.state, at(5 + round), {}, 'writer-b');
      const r = await Promise.allSettled([
        s.store.cases.commit({ cases: [{ case: a, expectedVersion: cur.version }] }),
        s.peer.cases.commit({ cases: [{ case: b, expectedVersion: cur.version }] }),
      ]);
      expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      const lost = r.find((x) => x.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(StaleVersion);
    }
    const h = await s.store.cases.history(c.id);
    expect(h.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.skipIf(skip)('a merge commits both cases or neither', async () => {
    const a = fixtureCase({ at: at(20) });
    const b = fixtureCase({ at: at(21) });
    await s.store.cases.commit({
      cases: [
        { case: a, expectedVersion: 0 },
        { case: b, expectedVersion: 0 },
      ],
    });
    const bMoved = advance(b, 'register', 'registered', at(22));
    await s.store.cases.commit({ cases: [{ case: bMoved, expectedVersion: 1 }] });
    const merged = advance(a, 'merge', 'merged', at(23), { mergedInto: b.id });
    const target = advance(b, 'merged_in', 'reported', at(23)); // read before b moved: stale
    await expect(
      s.store.cases.commit({
        cases: [
          { case: merged, expectedVersion: 1 },
          { case: target, expectedVersion: 1 },
        ],
      }),
    ).rejects.toBeInstanceOf(StaleVersion);
    expect((await s.store.cases.get(a.id))?.case.state).toBe('reported');
  });

  it.skipIf(skip)('lists by every filter, newest first, with totals and pages', async () => {
    const made: CaseRecord[] = [];
    const states = ['reported', 'registered', 'dispatched', 'processing', 'closed'] as const;
    for (let i = 0; i < 40; i++) {
      let c = fixtureCase({
        at: at(100 + i),
        category: i % 3 === 0 ? '05.05' : '01.04',
        source: i % 4 === 0 ? 'collector' : 'hotline_12345',
        gridCode: i % 2 ? '430407001001001' : '430407001001002',
        reporterId: i % 5 === 0 ? 'u-col-1' : 'u-op',
        collectorId: i % 5 === 0 ? 'col-1' : undefined,
        deadline: i % 2 ? at(90) : at(5000),
      });
      c.caseNumber = `2099010${i < 20 ? 1 : 2}${String(i).padStart(5, '0')}`;
      if (i % 7 === 0) c.location.address = `解放路${i}号 Jiefang Rd 100%_`;
      const st = states[i % states.length];
      if (st !== 'reported')
        c = advance(c, 'register', st, at(100 + i), { unitId: i % 2 ? 'u-hwc' : 'u-sz' });
      made.push(c);
    }
    for (const c of made) await s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
    const filters: CaseFilter[] = [
      { states: ['reported'] },
      { states: ['dispatched', 'processing'], unitId: 'u-hwc' },
      { gridCode: '430407001001001', category: '05.05' },
      { sources: ['collector'], collectorId: 'col-1' },
      { reporterId: 'u-col-1' },
      { createdFrom: at(110), createdTo: at(120) },
      { overdueAt: at(1000) },
      { visibleTo: { unitId: 'u-hwc' } },
      { visibleTo: { reporterId: 'u-col-1' }, states: ['registered', 'closed'] },
      { notOverdueAt: at(1000), states: ['dispatched', 'processing'] },
      { caseNumberPrefix: '20990102' },
      { caseNumberPrefix: '2099010100007' },
      { text: 'jiefang RD' },
      { text: '100%_' },
      { text: 'litter', before: made[30]!.id },
    ];
    const ours = new Set(made.map((c) => c.id));
    for (const f of filters) {
      const got = await s.peer.cases.list({ ...f, createdFrom: f.createdFrom ?? at(100) }, page);
      const want = made
        .filter((c) => matchesFilter(c, { ...f, createdFrom: f.createdFrom ?? at(100) }))
        .map((c) => c.id)
        .sort()
        .reverse();
      expect(
        got.items.map((c) => c.id),
        JSON.stringify(f),
      ).toEqual(want);
      expect(got.total).toBe(want.length);
      expect(got.items.every((c) => ours.has(c.id) && !('history' in c))).toBe(true);
    }
    // a page inside a several-state list (PostgreSQL merges one index scan per state)
    const several: CaseFilter = { states: ['dispatched', 'processing', 'registered'], createdFrom: at(100) };
    const all = made
      .filter((c) => matchesFilter(c, several))
      .map((c) => c.id)
      .sort()
      .reverse();
    const mid = await s.peer.cases.list(several, { offset: 3, limit: 4 });
    expect(mid.items.map((c) => c.id)).toEqual(all.slice(3, 7));
    expect(mid.total).toBe(all.length);
    // hand-counted: 8 of each state; overdue = with the unit (dispatched/processing), odd i (deadline at 90)
    expect((await s.store.cases.list({ states: ['reported'], createdFrom: at(100) }, page)).total).toBe(8);
    expect((await s.store.cases.list({ overdueAt: at(1000), createdFrom: at(100) }, page)).total).toBe(8);
    const p2 = await s.store.cases.list({ createdFrom: at(100) }, { offset: 10, limit: 5 });
    expect(p2.total).toBe(40);
    expect(p2.items.map((c) => c.createdAt)).toEqual([at(129), at(128), at(127), at(126), at(125)]);
    expect(p2.items[0].historyLength).toBe(2);
    const counts = await s.store.cases.countByState();
    expect(counts.dispatched).toBeGreaterThanOrEqual(8);
  });

  it.skipIf(skip)(
    'finds evidence owners and duplicate candidates by category, cell, zone and window',
    async () => {
      const base = { lat: 26.8932, lon: 112.572, category: '01.06' };
      const near = fixtureCase({ ...base, at: at(300), lat: 26.8933, evidence: ['att-dup.jpg'] });
      const far = fixtureCase({ ...base, at: at(301), lat: 26.9 });
      const other = fixtureCase({ ...base, at: at(302), category: '01.07' });
      const closed = advance(fixtureCase({ ...base, at: at(303) }), 'close', 'closed', at(304));
      const zone = fixtureCase({
        at: at(305),
        category: '01.06',
        deviceId: 'cam-1',
        zoneId: 'z-1',
        lat: 27,
        lon: 113,
      });
      const old = fixtureCase({ ...base, at: at(-3000) });
      for (const c of [near, far, other, closed, zone, old])
        await s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
      expect(await s.store.cases.byEvidence('att-dup.jpg')).toEqual([near.id]);
      const q = {
        category: '01.06',
        lat: base.lat,
        lon: base.lon,
        metres: 50,
        deviceId: 'cam-1',
        zoneId: 'z-1',
        limit: 5,
      };
      const got = await s.peer.cases.duplicateCandidates({ ...q, since: at(0) });
      expect(got.map((c) => c.id)).toEqual([zone.id, near.id]);
      const noWindow = await s.peer.cases.duplicateCandidates(q);
      expect(noWindow.map((c) => c.id)).toEqual([zone.id, near.id, old.id]);
      expect((await s.peer.cases.duplicateCandidates({ ...q, limit: 1 })).map((c) => c.id)).toEqual([
        zone.id,
      ]);
      expect(
        (await s.peer.cases.duplicateCandidates({ ...q, excludeId: zone.id, zoneId: undefined })).map(
          (c) => c.id,
        ),
      ).toEqual([near.id, old.id]);
      // a place whose cells would be too many (60 km): the category's open cases, by the exact test
      const wide = { ...q, metres: 60_000, deviceId: undefined, zoneId: undefined, since: at(0) };
      expect((await s.peer.cases.duplicateCandidates(wide)).map((c) => c.id)).toEqual([
        zone.id,
        far.id,
        near.id,
      ]);
    },
  );

  it.skipIf(skip)('idempotency keys: one winner per key, expiry honoured', async () => {
    const c1 = fixtureCase({ at: at(400) });
    const c2 = fixtureCase({ at: at(401) });
    const key = (c: CaseRecord, expiresAt: string) => ({
      key: 'u-op:k-1',
      userId: 'u-op',
      requestSha256: 'ab',
      status: 201,
      caseId: c.id,
      at: c.createdAt,
      expiresAt,
    });
    const r = await Promise.allSettled([
      s.store.cases.commit({ cases: [{ case: c1, expectedVersion: 0 }], idempotency: key(c1, at(10_000)) }),
      s.peer.cases.commit({ cases: [{ case: c2, expectedVersion: 0 }], idempotency: key(c2, at(10_000)) }),
    ]);
    expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    const lost = r.find((x) => x.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(Duplicate);
    // the loser's case was not written either (one transaction)
    const winner = r[0].status === 'fulfilled' ? c1 : c2;
    const loser = winner === c1 ? c2 : c1;
    expect(await s.store.cases.get(loser.id)).toBeUndefined();
    const seen = await s.store.idempotency.get('u-op:k-1', new Date(at(500)));
    expect(seen?.caseId).toBe(winner.id);
    expect(await s.store.idempotency.get('u-op:k-1', new Date(at(20_000)))).toBeUndefined();
    const purged = await s.store.idempotency.purgeExpired(new Date(at(20_000)));
    if (s.store.kind === 'postgres') expect(purged).toBe(1);
  });

  it.skipIf(skip)(
    'incident revisions: owned by the first gateway, each applied once, none lost',
    async () => {
      const id = '01JINC00000000000000000001';
      const k = (rev: number, gatewayId = 'gw-a') => ({ incidentId: id, rev, gatewayId });
      expect(await s.store.cases.applyIncident(k(0), revisionChange(id, 0, 'gw-a', at(600)))).toBe('applied');
      expect(await s.peer.cases.applyIncident(k(0), revisionChange(id, 0, 'gw-a', at(600)))).toBe(
        'duplicate',
      );
      await expect(
        s.peer.cases.applyIncident(k(1, 'gw-b'), revisionChange(id, 1, 'gw-b', at(601))),
      ).rejects.toBeInstanceOf(IncidentOwnedElsewhere);
      // revisions 1..12 out of order, each twice, half on each instance, all at once
      const revs = [6, 2, 11, 1, 8, 12, 4, 3, 10, 5, 9, 7];
      const outcomes = await Promise.all(
        [...revs, ...revs].map((rev, i) =>
          (i % 2 ? s.peer : s.store).cases.applyIncident(
            k(rev),
            revisionChange(id, rev, 'gw-a', at(610 + rev)),
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 'applied')).toHaveLength(12);
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(12);
      const inc = (await s.store.cases.getIncident(id))!;
      expect([...inc.revs].sort((a, b) => a - b)).toEqual([0, ...[...revs].sort((a, b) => a - b)]);
      expect(inc.latest).toEqual(snap(12));
      const c = (await s.store.cases.get(inc.caseId))!;
      const applied = c.case.history.filter((h) => h.action === 'incident_update').map((h) => h.data?.rev);
      expect([...applied].sort((a, b) => Number(a) - Number(b))).toEqual([...revs].sort((a, b) => a - b));
      // PostgreSQL (two instances) applies them in revision order: each waits for the one before
      if (s.store.kind === 'postgres') expect(applied).toEqual([...revs].sort((a, b) => a - b));
      expect(c.case.history.map((h) => h.seq)).toEqual(c.case.history.map((_, i) => i + 1));
      expect(c.version).toBe(13);
    },
  );

  it.skipIf(skip)('notifies each committed case change once, in commit order', async () => {
    const start = (await s.store.notifications.after(0, 100_000)).at(-1)?.seq ?? 0;
    const c = fixtureCase({ at: at(700) });
    await s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
    const c2 = advance(c, 'register', 'registered', at(701));
    await s.store.cases.commit({ cases: [{ case: c2, expectedVersion: 1 }] });
    await s.store.cases.commit({ cases: [{ case: c2, expectedVersion: 1 }] }).catch(() => {});
    const n = await s.peer.notifications.after(start, 10);
    expect(n.map((x) => [x.caseId, x.version, x.state])).toEqual([
      [c.id, 1, 'reported'],
      [c.id, 2, 'registered'],
    ]);
    expect(await s.peer.notifications.trim(n[0].seq)).toBeGreaterThanOrEqual(1);
    expect((await s.peer.notifications.after(start, 10)).map((x) => x.version)).toEqual([2]);
  });

  it.skipIf(skip)('scoring: month close is refused once closed (also by another instance)', async () => {
    const audit = (action: 'close' | 'reopen' | 'bonus_create', month?: string) => ({
      at: at(800),
      by: 'u-admin',
      action,
      month,
    });
    const closed = (by: string) => ({
      month: '2026-09',
      closedAt: at(800),
      closedBy: by,
      levels: {},
      keys: ['k1'],
    });
    const r = await Promise.allSettled([
      s.store.scoring.closeMonth(closed('a'), audit('close', '2026-09')),
      s.peer.scoring.closeMonth(closed('b'), audit('close', '2026-09')),
    ]);
    expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      MonthAlreadyClosed,
    );
    expect(await s.store.scoring.closedMonths()).toEqual(['2026-09']);
    expect((await s.peer.scoring.closedMonth('2026-09'))?.keys).toEqual(['k1']);
    await s.store.scoring.reopenMonth('2026-09', audit('reopen', '2026-09'));
    await expect(s.peer.scoring.reopenMonth('2026-09', audit('reopen', '2026-09'))).rejects.toBeInstanceOf(
      MonthNotClosed,
    );
    expect(await s.store.scoring.closedMonths()).toEqual([]);
    const bonus = {
      id: 'b-1',
      month: '2026-09',
      unitId: 'u-hwc',
      points: 2,
      reason: '抢险 emergency work',
      state: 'pending' as const,
      createdBy: 'u-admin',
      createdAt: at(801),
    };
    await s.store.scoring.putBonus(bonus, audit('bonus_create', '2026-09'));
    await s.store.scoring.putBonus({ ...bonus, points: 3 }, audit('bonus_create', '2026-09'));
    expect((await s.peer.scoring.bonuses('2026-09')).map((b) => b.points)).toEqual([3]);
    expect(await s.peer.scoring.bonuses('2026-08')).toEqual([]);
    await s.store.scoring.setMonthConfig(
      { month: '2026-09', includedItems: ['cases'], setBy: 'u-admin', setAt: at(802) },
      audit('bonus_create'),
    );
    expect((await s.peer.scoring.monthConfig('2026-09'))?.includedItems).toEqual(['cases']);
    const log = await s.peer.scoring.audit({ offset: 0, limit: 100 });
    expect(log.map((a) => a.action)).toEqual([
      'close',
      'reopen',
      'bonus_create',
      'bonus_create',
      'bonus_create',
    ]);
  });

  it.skipIf(skip)('scoring: month aggregates per unit and grid by the indicators definitions', async () => {
    // November 2030 in +08:00, far from the other tests' cases
    const w = { month: '2030-11', startIso: '2030-10-31T16:00:00.000Z', endIso: '2030-11-30T16:00:00.000Z' };
    const mk = (day: number, unitId: string, o: Partial<CaseRecord>, grid = '430407001001001') => {
      const t = `2030-11-${String(day).padStart(2, '0')}T02:00:00.000Z`;
      let c = fixtureCase({ at: t, gridCode: grid, proposedUnitId: unitId });
      c = advance(c, 'register', 'dispatched', t, { unitId });
      return advance(c, 'dispatch', o.state ?? 'dispatched', t, o);
    };
    const cases = [
      // due in the month, closed on time
      mk(2, 'u-hwc', {
        state: 'closed',
        deadline: '2030-11-05T02:00:00.000Z',
        closedAt: '2030-11-04T02:00:00.000Z',
        evaluation: {
          onTime: true,
          reworkCount: 0,
          returnCount: 0,
          extensionCount: 0,
          firstDispatchedAt: '',
          finishedAt: '',
          closedAt: '',
          deadline: '',
          unitId: 'u-hwc',
        },
      }),
      // due, closed late, reworked once
      mk(3, 'u-hwc', {
        state: 'closed',
        deadline: '2030-11-06T02:00:00.000Z',
        closedAt: '2030-11-09T02:00:00.000Z',
        counts: { dispatches: 1, returns: 0, reworks: 1, extensions: 0 },
        evaluation: {
          onTime: false,
          reworkCount: 1,
          returnCount: 0,
          extensionCount: 0,
          firstDispatchedAt: '',
          finishedAt: '',
          closedAt: '',
          deadline: '',
          unitId: 'u-hwc',
        },
      }),
      // due, still open, returned once
      mk(4, 'u-hwc', {
        deadline: '2030-11-10T02:00:00.000Z',
        counts: { dispatches: 2, returns: 1, reworks: 0, extensions: 0 },
      }),
      // registered this month, due next month
      mk(5, 'u-hwc', { deadline: '2030-12-10T02:00:00.000Z' }, '430407001001002'),
      // another unit, due and cancelled (作废): counts nowhere, so u-sz has no row
      mk(6, 'u-sz', { state: 'cancelled', deadline: '2030-11-12T02:00:00.000Z' }),
    ];
    for (const c of cases) await s.store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
    expect(await s.peer.scoring.monthAggregates(w)).toEqual([
      {
        unitId: 'u-hwc',
        gridCode: '430407001001001',
        registered: 3,
        due: 3,
        closed: 2,
        closedOnTime: 1,
        reworked: 1,
        returned: 1,
        overdue: 2,
      },
      {
        unitId: 'u-hwc',
        gridCode: '430407001001002',
        registered: 1,
        due: 0,
        closed: 0,
        closedOnTime: 0,
        reworked: 0,
        returned: 0,
        overdue: 0,
      },
    ]);
    // the same rows as scoring's one definition applied to the cases themselves
    expect(await s.peer.scoring.monthAggregates(w)).toEqual(aggregateMonth(cases, w));
    const forMonth = (await s.peer.scoring.casesForMonth(w)).map((c) => c.id);
    expect(forMonth).toEqual(expect.arrayContaining(cases.map((c) => c.id)));
    // alive in the month: created before its end and open now or changed since its start
    const dec = { month: '2030-12', startIso: w.endIso, endIso: '2030-12-31T16:00:00.000Z' };
    const inDec = (await s.peer.scoring.casesForMonth(dec)).map((c) => c.id);
    expect(inDec).toEqual(expect.arrayContaining([cases[2].id, cases[3].id]));
    expect(inDec).not.toContain(cases[0].id); // closed in November
    expect(await s.peer.scoring.firstCaseAt()).toBeDefined();
    const full = (await s.peer.scoring.casesForMonth(w)).find((c) => c.id === cases[0].id);
    expect(full?.history).toHaveLength(3);
  });

  it.skipIf(skip)(
    'device board: older heartbeats ignored, transitions recorded once, offline intervals',
    async () => {
      const g = {
        gatewayId: 'cp-01',
        gatewayKind: 'checkpoint',
        softwareVersion: '0.1.0',
        startedAt: at(0),
        lastSentAt: at(900),
        lastReceivedAt: at(900),
        intervalS: 15,
        devices: {},
      };
      expect(await s.store.devices.putGateway(g)).toBe('stored');
      expect(await s.peer.devices.putGateway({ ...g, lastSentAt: at(899), softwareVersion: 'old' })).toBe(
        'older',
      );
      expect((await s.store.devices.gateways()).find((x) => x.gatewayId === 'cp-01')?.softwareVersion).toBe(
        '0.1.0',
      );
      for (const [m, online] of [
        [890, true],
        [905, false],
        [905, false],
        [930, true],
        [950, false],
      ] as const) {
        await s.store.devices.recordOnline('cp-01', 'cam-1', at(m), online);
        await s.peer.devices.recordOnline('cp-01', 'cam-1', at(m), online);
      }
      expect(await s.peer.devices.offlineIntervals('cp-01', 'cam-1', at(900), at(1000))).toEqual([
        { from: at(905), to: at(930) },
        { from: at(950) },
      ]);
      expect(await s.peer.devices.offlineIntervals('cp-01', 'cam-1', at(935), at(945))).toEqual([]);
      await s.store.devices.recordCall('cp-01', { at: at(901), verb: 'ping', answered: true });
      await s.store.devices.recordCall('cp-01', {
        at: at(902),
        verb: 'snapshot',
        answered: false,
        error: 'timeout',
      });
      expect((await s.peer.devices.calls('cp-01', 1)).map((c) => c.verb)).toEqual(['snapshot']);
      await s.store.devices.putTrack({ vehicleId: 'v-1', gatewayId: 'veh-01', lastAt: at(903), points: [] });
      expect((await s.peer.devices.track('v-1'))?.gatewayId).toBe('veh-01');
    },
  );

  it.skipIf(skip)(
    'gateway configs: a version is written once; attachments metadata is idempotent',
    async () => {
      const cfg = (version: number, by: string) => ({
        gatewayId: 'cp-02',
        version,
        updatedAt: at(1000 + version),
        updatedBy: by,
        config: { kind: 'checkpoint' },
      });
      await s.store.gatewayConfigs.put(cfg(1, 'a'));
      const r = await Promise.allSettled([
        s.store.gatewayConfigs.put(cfg(2, 'a')),
        s.peer.gatewayConfigs.put(cfg(2, 'b')),
      ]);
      expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      expect((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
        Duplicate,
      );
      expect((await s.peer.gatewayConfigs.get('cp-02'))?.version).toBe(2);
      expect((await s.peer.gatewayConfigs.list()).map((c) => [c.gatewayId, c.version])).toEqual([
        ['cp-02', 2],
      ]);
      const ref = {
        name: 'att-0123456789abcdef0123456789abcdef.jpg',
        contentType: 'image/jpeg' as const,
        kind: 'photo' as const,
        size: 10,
        sha256: 'f'.repeat(64),
        uploadedBy: 'u-col-1',
        at: at(1100),
      };
      const bytes = new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3, 4, 5, 6, 7]);
      await s.store.attachments.put(ref, bytes);
      await s.peer.attachments.put({ ...ref, uploadedBy: 'someone-else' }, new Uint8Array([9]));
      expect((await s.peer.attachments.get(ref.name))?.uploadedBy).toBe('u-col-1');
      expect([...((await s.peer.attachments.bytes(ref.name)) ?? [])]).toEqual([...bytes]);
      expect(await s.peer.attachments.get('att-none.jpg')).toBeUndefined();
      expect(await s.peer.attachments.bytes('att-none.jpg')).toBeUndefined();
    },
  );
});

it("versionOf is the case's own version (one per change, whatever the history entries)", () => {
  const c = fixtureCase({ at: at(0) });
  expect(versionOf(c)).toBe(1);
  expect(versionOf(advance(c, 'register', 'registered', at(1)))).toBe(2);
  const closed = advance(c, 'close', 'closed', at(2));
  closed.history.push({ seq: 3, at: at(2), action: 'evaluate', actor: { id: 'system', role: 'system' } });
  expect([versionOf(closed), closed.history.length]).toEqual([2, 3]);
});
