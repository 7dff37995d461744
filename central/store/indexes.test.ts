/**
 * The store's incremental indexes answer exactly what a scan over every case answers:
 * duplicate proposals (open cases by place and camera zone), cases by state, the newest-first
 * list, list queries, and `listCases` with every filter and the cursor (on the memory and the
 * lowdb store, and the lowdb store reopened) — on random cases changed in random batches.
 */

import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { newId } from '../../protocol/index.js';
import { freshDataDir } from '../../test/support/data-dir.js';
import type { User } from '../auth/roles.js';
import type { CaseRecord } from '../cases/model.js';
import { CaseQuery, listCases } from '../cases/query.js';
import { CaseService } from '../cases/service.js';
import { CASE_STATE_NAMES, type CaseState } from '../cases/workflow.js';
import { SEED_DIR } from '../central.js';
import { loadCity } from '../city/index.js';
import type { AttachmentStore } from '../evidence/attachments.js';
import { ScoringStore } from '../scoring/store.js';
import { matchesFilter } from './contract/derive.js';
import { scanDuplicates } from './contract/fixtures.js';
import type { CaseFilter } from './contract/index.js';
import { LowdbAdapter } from './contract/lowdb-adapter.js';
import type { CaseStore } from './index.js';
import { LowdbCaseStore } from './lowdb.js';
import { MemoryCaseStore } from './memory.js';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = prng(20261128);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
const CATS = ['01.02', '01.03', '02.01'];
const UNITS = ['dc-hw', 'dc-sz', undefined];
const T0 = Date.parse('2026-03-01T00:00:00Z');

/** positions packed into ~600 m around a point so that radii of 10 m..5 km all find neighbours */
function randomCase(i: number): CaseRecord {
  const at = new Date(T0 + i * 60_000 + Math.floor(rnd() * 30_000));
  const positioned = rnd() < 0.85;
  const zoned = rnd() < 0.4;
  return {
    id: newId(at.getTime()),
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    source: pick(['ai', 'collector', 'vehicle'] as const),
    reporter: { id: pick(['cp-01', 'u-collector']), role: 'system' },
    refs: {
      incidentIds: [],
      deviceId: zoned ? pick(['cam-1', 'cam-2', undefined]) : undefined,
      zoneId: zoned ? pick(['z1', 'z2', 'z3']) : undefined,
    },
    state: pick(CASE_STATE_NAMES),
    category: pick(CATS),
    description: 'x',
    location: positioned
      ? { lat: 30.25 + (rnd() - 0.5) * 0.006, lon: 120.15 + (rnd() - 0.5) * 0.006 }
      : { gridCode: '330102001001001' },
    unitId: pick(UNITS),
    deadlineSpec: { value: 2, unit: 'workHours' },
    counts: { dispatches: 0, returns: 0, reworks: 0, extensions: 0 },
    evidence: [],
    verificationEvidence: [],
    duplicateCandidates: [],
    mergedFrom: [],
    history: [],
  };
}

async function randomStore(n: number): Promise<MemoryCaseStore> {
  const store = new MemoryCaseStore();
  const ids: string[] = [];
  for (let i = 0; i < n; ) {
    const batch: CaseRecord[] = [];
    for (let k = Math.floor(rnd() * 8); k >= 0 && i < n; k--, i++) {
      if (ids.length && rnd() < 0.35) {
        // a transition or an edit of an existing case: state, place, zone may all change
        const c = structuredClone(store.getCase(pick(ids))!);
        c.state = pick(CASE_STATE_NAMES) as CaseState;
        if (rnd() < 0.2 && c.location.lat !== undefined) c.location.lat += (rnd() - 0.5) * 0.001;
        if (rnd() < 0.1) c.refs.zoneId = pick(['z1', 'z2', undefined]);
        batch.push(c);
      } else {
        batch.push(randomCase(i));
      }
    }
    await store.commit({ cases: batch });
    for (const c of batch) if (!ids.includes(c.id)) ids.push(c.id);
    if (rnd() < 0.1) store.allCases(); // interleave reads so the newest-first merge runs mid-stream
  }
  return store;
}

describe('store indexes', () => {
  it('duplicate proposals equal a scan over every case', async () => {
    const store = await randomStore(3000);
    let nonEmpty = 0;
    for (let i = 0; i < 400; i++) {
      const probe = randomCase(100_000 + i);
      for (const m of [10, 50, 300, 5000]) {
        const indexed = scanDuplicates(store.duplicateCandidates(probe, m), probe, m);
        const scanned = scanDuplicates(store.allCases(), probe, m);
        expect(indexed, `probe ${i} radius ${m}`).toEqual(scanned);
        if (scanned.length) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(200);
  });

  it('finds neighbours across the antimeridian and near a pole like a scan does', async () => {
    const store = new MemoryCaseStore();
    const mk = (lat: number, lon: number) => ({
      ...randomCase(0),
      state: 'reported' as const,
      category: '01.02',
      location: { lat, lon },
    });
    const cases = [mk(10, 179.9999), mk(10, -179.9999), mk(89.9999, 0), mk(89.9999, 180)];
    await store.commit({ cases });
    for (const p of [mk(10, -179.99995), mk(89.99995, 90)]) {
      const scanned = scanDuplicates(store.allCases(), p, 50);
      expect(scanned.length).toBe(2);
      expect(scanDuplicates(store.duplicateCandidates(p, 50), p, 50)).toEqual(scanned);
    }
  });

  it('counts by state, cases in a state and the newest-first list match a scan', async () => {
    const store = await randomStore(2000);
    const all = store.allCases();
    expect(all.map((c) => c.id)).toEqual(
      [...all]
        .map((c) => c.id)
        .sort()
        .reverse(),
    );
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    for (const c of all) expect(c).toBe(store.getCase(c.id));
    const counts = store.countByState();
    for (const s of CASE_STATE_NAMES) {
      const scanned = all.filter((c) => c.state === s);
      expect(counts.get(s) ?? 0).toBe(scanned.length);
      expect(new Set(store.casesInState(s).map((c) => c.id))).toEqual(new Set(scanned.map((c) => c.id)));
    }
  });

  it('list queries answer what a filter over every case answers', async () => {
    const store = await randomStore(1500);
    const svc = new CaseService({
      store: new LowdbAdapter(store, new ScoringStore(tmpdir())),
      city: loadCity(SEED_DIR),
      attachments: {} as AttachmentStore,
      now: () => new Date(T0 + 86400_000),
    });
    const admin = { id: 'u-admin', role: 'admin' } as User;
    const handler = { id: 'u-h', role: 'unit_handler', unitId: 'dc-hw' } as User;
    const queries = [
      {},
      { offset: '40', limit: '7' },
      { state: 'reported' },
      { state: 'reported,dispatched,reported', limit: '500' },
      { state: 'closed,feedback', offset: '30', limit: '5' },
      { state: 'closed', category: '01.02', offset: '3' },
      { unitId: 'dc-hw', limit: '20' },
      { overdue: 'false', source: 'ai' },
    ];
    for (const raw of queries)
      for (const u of [admin, handler]) {
        const q = CaseQuery.parse(raw);
        const got = await listCases(svc, q, u);
        const want = store
          .allCases()
          .filter(
            (c) =>
              svc.canSee(u, c) &&
              (!q.state || q.state.includes(c.state)) &&
              (!q.unitId || c.unitId === q.unitId) &&
              (!q.category || c.category === q.category) &&
              (!q.source || q.source.includes(c.source)) &&
              (!q.overdue || svc.isOverdue(c) === (q.overdue === 'true')),
          );
        expect(got.total, JSON.stringify(raw)).toBe(want.length);
        expect(got.items.map((c) => c.id)).toEqual(want.slice(q.offset, q.offset + q.limit).map((c) => c.id));
      }
  });
});

/** A case of random age (so ids arrive out of order too) with the list's filter fields spread. */
function listedCase(i: number): CaseRecord {
  const c = randomCase(i);
  const at = rnd() < 0.2 ? T0 + Math.floor(rnd() * i * 60_000) : Date.parse(c.createdAt);
  return {
    ...c,
    id: newId(at),
    createdAt: new Date(at).toISOString(),
    reporter: {
      id: pick(['cp-01', 'cp-02', 'u-c1']),
      role: 'system',
      collectorId: pick(['col-1', undefined]),
    },
    location:
      rnd() < 0.5 ? { ...c.location, gridCode: pick(['330102001001001', '330102001001002']) } : c.location,
    deadline: rnd() < 0.6 ? new Date(T0 + Math.floor(rnd() * 4000 * 60_000)).toISOString() : undefined,
  };
}

/** Commit `n` new cases and changes to stored ones in random batches (every indexed field may change). */
async function fill(store: CaseStore, n: number): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < n; ) {
    const batch = new Map<string, CaseRecord>();
    for (let k = Math.floor(rnd() * 8); k >= 0 && i < n; k--, i++) {
      if (ids.length && rnd() < 0.4) {
        const c = structuredClone(batch.get(pick(ids)) ?? store.getCase(pick(ids))!);
        c.state = pick(CASE_STATE_NAMES) as CaseState;
        if (rnd() < 0.3) c.unitId = pick(UNITS);
        if (rnd() < 0.1) c.category = pick(CATS);
        if (rnd() < 0.1) c.reporter = { ...c.reporter, id: pick(['cp-01', 'cp-02', 'u-c1']) };
        if (rnd() < 0.1) c.location = { ...c.location, gridCode: pick(['330102001001001', undefined]) };
        batch.set(c.id, c);
      } else {
        const c = listedCase(i);
        batch.set(c.id, c);
      }
    }
    await store.commit({ cases: [...batch.values()] });
    for (const id of batch.keys()) if (!ids.includes(id)) ids.push(id);
    if (rnd() < 0.05) store.listCases({}, { offset: 0, limit: 1 }); // reads mid-stream: in-place inserts from then on
  }
}

function randomFilter(): CaseFilter {
  const maybe = <T>(p: number, v: () => T) => (rnd() < p ? v() : undefined);
  const some = <T>(xs: readonly T[]) => Array.from({ length: Math.floor(rnd() * 4) }, () => pick(xs));
  const time = () => new Date(T0 + Math.floor(rnd() * 4000 * 60_000)).toISOString();
  return {
    states: maybe(0.5, () => some(CASE_STATE_NAMES)),
    unitId: maybe(0.25, () => pick(['dc-hw', 'dc-sz', 'none'])),
    gridCode: maybe(0.15, () => pick(['330102001001001', '330102001001002'])),
    category: maybe(0.2, () => pick(CATS)),
    sources: maybe(0.2, () => some(['ai', 'collector', 'vehicle'] as const)),
    reporterId: maybe(0.15, () => pick(['cp-01', 'cp-02', 'u-c1'])),
    collectorId: maybe(0.1, () => 'col-1'),
    createdFrom: maybe(0.15, time),
    createdTo: maybe(0.15, time),
    overdueAt: maybe(0.15, time),
    visibleTo: maybe(0.3, () =>
      pick([{ unitId: 'dc-hw' }, { reporterId: 'cp-02' }, { unitId: 'dc-sz', reporterId: 'u-c1' }, {}]),
    ),
  };
}

/** listCases against a filter over every case, sorted newest first, on 300 random filters and pages. */
function expectListsMatchScan(store: CaseStore): number {
  const all = [...store.allCases()];
  const ids = all.map((c) => c.id);
  let nonEmpty = 0;
  for (let i = 0; i < 300; i++) {
    const f = randomFilter();
    const page = {
      offset: pick([0, 0, 3, 40]),
      limit: pick([1, 7, 50, 500]),
      before: pick([undefined, undefined, pick(ids), `${pick(ids).slice(0, 25)}0`]),
    };
    const want = all
      .filter((c) => matchesFilter(c, f) && (!page.before || c.id < page.before))
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    // the cursor is part of the filter (CaseFilter.before)
    const got = store.listCases({ ...f, before: page.before }, { offset: page.offset, limit: page.limit });
    const what = JSON.stringify({ f, page });
    expect(got.total, what).toBe(want.length);
    expect(
      got.items.map((c) => c.id),
      what,
    ).toEqual(want.slice(page.offset, page.offset + page.limit).map((c) => c.id));
    for (const c of got.items) expect(c).toBe(store.getCase(c.id));
    if (got.items.length) nonEmpty++;
  }
  return nonEmpty;
}

describe('CaseStore.listCases', () => {
  it('answers what a filter over every case answers (memory store)', async () => {
    const store = new MemoryCaseStore();
    await fill(store, 3000);
    expect(expectListsMatchScan(store)).toBeGreaterThan(100);
  });

  it('answers what a filter over every case answers (lowdb store, before and after a reopen)', async () => {
    const dir = freshDataDir();
    const store = new LowdbCaseStore({ dir, checkpointMs: 3_600_000 });
    await store.open();
    await fill(store, 1500);
    await store.checkpoint();
    await fill(store, 1500); // these stay in the journal: the reopen replays them over the partitions
    expect(expectListsMatchScan(store)).toBeGreaterThan(100);
    const want = store.allCases().map((c) => c.id);
    const reopened = new LowdbCaseStore({ dir, checkpointMs: 3_600_000 });
    await reopened.open();
    try {
      expect(reopened.allCases().map((c) => c.id)).toEqual(want);
      expect(expectListsMatchScan(reopened)).toBeGreaterThan(100);
    } finally {
      await reopened.close();
    }
  });
});
