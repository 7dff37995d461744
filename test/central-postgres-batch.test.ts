/**
 * central on PostgreSQL - incident revisions that arrive together are applied in batches (one
 * transaction, one statement per table: store/postgres/incident-batch.ts), and a batch ends as
 * the same revisions applied one after the other would: near cases of one batch flagged as each
 * other's duplicates, case numbers unique and without gaps, updates and new incidents mixed, a
 * second gateway citing an evidence name of the first refused, two changes of one case one
 * after the other; one change PostgreSQL refuses fails alone and the rest of its batch is
 * applied; PostgreSQL gone under a batch fails its revisions at once as unavailable (503).
 * Centrals in-process (no NATS) on a database of their own (the last through a TCP proxy that
 * cuts connections); skipped with a message when 127.0.0.1:5432 does not answer.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotOf } from '../central/cases/incident-record.js';
import { type Central, createCentral } from '../central/central.js';
import { RefusedMessage } from '../central/ingest/refused.js';
import { StoreUnavailable } from '../central/store/contract/errors.js';
import { fixtureCase } from '../central/store/contract/fixtures.js';
import type { CaseChange, IncidentBatchStats, IncidentView } from '../central/store/contract/index.js';
import { evidenceBucket, Incident, type IncidentInput, newId } from '../protocol/index.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { litterIncident } from './central-helpers.js';
import { createTestDatabase, postgresUnreachable, type TestDatabase } from './support/postgres.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { until } from './support/until.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`central postgres batch: skipped: ${pgDown}`);

let db: TestDatabase;
let central: Central;
let sql: postgres.Sql;
let url: string;

const stats = () => ({ ...central.store.cases.batchStats! });
const since = (before: IncidentBatchStats) => {
  const now = stats();
  return {
    batches: now.batches - before.batches,
    revisions: now.revisions - before.revisions,
    fallbacks: now.fallbacks - before.fallbacks,
  };
};

/** `groups` places ~1 km apart, `each` cameras a few metres apart at each (one zone per camera) */
function places(groups: number, each: number, prefix: string): IncidentInput[][] {
  return Array.from({ length: groups }, (_, g) =>
    Array.from({ length: each }, (_, k) => {
      const camera = `${prefix}-${g}-${k}`;
      return litterIncident({
        deviceId: camera,
        location: {
          source: 'fixed',
          lat: ZHENGXIANG.lat + (g % 6) * 0.01 + k * 0.00002,
          lon: ZHENGXIANG.lon + Math.floor(g / 6) * 0.01,
          cameraId: camera,
          zoneId: 'z1',
        },
      });
    }),
  );
}

const ingestAll = (list: IncidentInput[]) =>
  Promise.allSettled(list.map((i) => central.svc.ingestIncident(Incident.parse(i))));

async function caseOf(incidentId: string) {
  const inc = await central.store.cases.getIncident(incidentId);
  return inc && (await central.store.cases.get(inc.caseId));
}

const counter = async () =>
  (await sql<{ seq: number }[]>`select seq from case_numbers`).reduce((a, r) => a + r.seq, 0);
const sequences = async () =>
  (await sql<{ n: string }[]>`select case_number as n from cases where case_number is not null`)
    .map((r) => Number(r.n.slice(8)))
    .sort((a, b) => a - b);

describe.skipIf(!!pgDown)('central on PostgreSQL - incident batches', () => {
  beforeAll(async () => {
    db = await createTestDatabase('batches');
    central = await createCentral({ storeUrl: db.url, instance: 'a', logLevel: 'silent' });
    await central.storeReady;
    url = (await central.start({ port: 0 })).url;
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end();
    await central?.stop();
    await db?.drop();
  });

  const groups = places(30, 3, 'cam');

  it('90 incidents at once: a few batches; near ones flagged as each other’s duplicates, numbered 1..90', async () => {
    const before = stats();
    const outcomes = await ingestAll(groups.flat());
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : String(o.reason)))).toEqual(
      Array(90).fill('created'),
    );
    const ran = since(before);
    expect(ran.fallbacks).toBe(0);
    expect(ran.revisions).toBe(90);
    expect(ran.batches).toBeLessThan(30);
    // the three cases of a place name each other (the later the earlier), none of another place
    for (const group of groups) {
      const cases = await Promise.all(group.map((i) => caseOf(i.id)));
      const ids = new Set(cases.map((c) => c!.case.id));
      for (const c of cases) for (const d of c!.case.duplicateCandidates) expect(ids.has(d)).toBe(true);
      const missed = [...ids].filter((a) =>
        [...ids].some(
          (b) =>
            a < b &&
            !cases.find((c) => c!.case.id === a)!.case.duplicateCandidates.includes(b) &&
            !cases.find((c) => c!.case.id === b)!.case.duplicateCandidates.includes(a),
        ),
      );
      expect(missed).toEqual([]);
    }
    expect(await sequences()).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    expect(await counter()).toBe(90);
    // and on /api/metrics (scraped from loopback), for the operators
    const text = await (await fetch(`${url}/api/metrics`)).text();
    const now = stats();
    expect(text).toContain(`cg_central_incident_batches_total{outcome="committed"} ${now.batches}`);
    expect(text).toContain(`cg_central_incident_batch_revisions_total ${now.revisions}`);
  });

  it('updates and new incidents in one go: each update once on its case, the new numbered 91..100', async () => {
    const updates = groups.flat().map((i) => ({ ...i, rev: 1, lifecycle: 'update' as const }));
    const fresh = places(10, 1, 'new').flat();
    const before = stats();
    const outcomes = await ingestAll([...updates, ...fresh]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : String(o.reason)))).toEqual([
      ...Array(90).fill('updated'),
      ...Array(10).fill('created'),
    ]);
    expect(since(before).fallbacks).toBe(0);
    for (const i of updates) {
      const c = (await caseOf(i.id))!;
      expect(c.version).toBe(2);
      expect(c.case.history.filter((h) => h.action === 'incident_update')).toHaveLength(1);
    }
    // the batch reserved a number for every revision and gave back those the updates did not use
    expect(await sequences()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await counter()).toBe(100);
    // the same revisions again: duplicates, nothing written
    const again = await ingestAll(updates.slice(0, 20));
    expect(again.map((o) => (o.status === 'fulfilled' ? o.value : o.reason))).toEqual(
      Array(20).fill('duplicate'),
    );
  });

  it('two gateways citing one evidence name at once: the first keeps it, the second is refused', async () => {
    const cite = (gatewayId: string, camera: string) =>
      litterIncident({
        gatewayId,
        deviceId: camera,
        location: {
          source: 'fixed',
          lat: ZHENGXIANG.lat + 0.05,
          lon: ZHENGXIANG.lon,
          cameraId: camera,
          zoneId: 'z1',
        },
        evidence: [
          {
            role: 'violation',
            bucket: evidenceBucket(gatewayId),
            name: 'shared-name.jpg',
            contentType: 'image/jpeg',
            size: 100,
            sha256: 'a'.repeat(64),
          },
        ],
      });
    const [first, second] = await ingestAll([cite('cp-01', 'cam-e1'), cite('cp-02', 'cam-e2')]);
    expect(first).toEqual({ status: 'fulfilled', value: 'created' });
    expect(second!.status).toBe('rejected');
    expect((second as PromiseRejectedResult).reason).toBeInstanceOf(RefusedMessage);
    expect(String((second as PromiseRejectedResult).reason)).toMatch(
      /shared-name\.jpg is already used by cp-01/,
    );
  });

  it('two revisions in one batch changing the same case: the second waits for the next batch and sees the first', async () => {
    const x = fixtureCase({
      at: new Date().toISOString(),
      source: 'ai',
      reporterId: 'cp-01',
      category: '05.05',
    });
    await central.store.cases.commit({ cases: [{ case: x, expectedVersion: 0 }] });
    const latest = snapshotOf(Incident.parse(litterIncident()));
    // an incident that lands on case x (as revisions of incidents whose cases were merged do)
    const onX =
      (incidentId: string) =>
      async (v: IncidentView): Promise<CaseChange> => {
        const cur = (await v.getCase(x.id))!;
        const c = structuredClone(cur.case);
        const at = new Date().toISOString();
        c.history.push({
          seq: c.history.length + 1,
          at,
          action: 'incident_update',
          actor: { id: 'cp-01', role: 'system' },
          data: { incidentId, rev: 0 },
        });
        c.version = cur.version + 1;
        const revision = { rev: 0, lifecycle: 'new' as const, observedAt: at, receivedAt: at, evidence: [] };
        const incident = {
          id: incidentId,
          caseId: x.id,
          gatewayId: 'cp-01',
          firstSeenAt: at,
          revs: [0],
          latest,
        };
        return {
          cases: [{ case: c, expectedVersion: cur.version }],
          incident: { ...incident, revisions: [revision] },
        };
      };
    const ids = [newId(), newId()];
    const before = stats();
    const outcomes = await Promise.all(
      ids.map((id) =>
        central.store.cases.applyIncident({ incidentId: id, rev: 0, gatewayId: 'cp-01' }, onX(id)),
      ),
    );
    expect(outcomes).toEqual(['applied', 'applied']);
    // one batch of two, the second deferred into a batch of its own: not failed, not one at a time
    expect(since(before)).toEqual({ batches: 2, revisions: 3, fallbacks: 0 });
    const after = (await central.store.cases.get(x.id))!;
    expect(after.version).toBe(3);
    expect(after.case.history.map((h) => h.data?.incidentId)).toEqual([undefined, ...ids]);
  });

  it('one change PostgreSQL refuses fails alone: the rest of its batch is applied', async () => {
    // a rule of the database's own (as a DBA's constraint would): no case from camera zone "z-bad"
    await sql.unsafe(`
      create function refuse_bad_zone() returns trigger language plpgsql as $$
      begin raise exception 'zone z-bad is refused here'; end $$;
      create trigger refuse_bad_zone before insert on cases
        for each row when (new.zone_id = 'z-bad') execute function refuse_bad_zone();`);
    const list = places(20, 1, 'f').flat();
    list[7] = { ...list[7]!, location: { ...list[7]!.location, zoneId: 'z-bad' } };
    const before = stats();
    const outcomes = await ingestAll(list);
    expect(since(before).fallbacks).toBeGreaterThanOrEqual(1);
    expect(
      outcomes
        .map((o) => (o.status === 'fulfilled' ? o.value : String(o.reason)))
        .filter((o) => o === 'created'),
    ).toHaveLength(19);
    expect(String((outcomes[7] as PromiseRejectedResult).reason)).toMatch(/zone z-bad is refused here/);
    for (const [n, i] of list.entries()) expect(!!(await caseOf(i.id))).toBe(n !== 7);
    // once the rule is gone, the refused one applies when it comes again
    await sql`drop trigger refuse_bad_zone on cases`;
    expect(await central.svc.ingestIncident(Incident.parse(list[7]))).toBe('created');
    const numbers = await sequences();
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('PostgreSQL gone under a batch: its revisions fail at once as unavailable, and the store says 503 after', async () => {
    // a central of its own, reaching the database through a proxy that can cut every connection
    const proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
    const via = new URL(db.url);
    via.port = String(proxy.port);
    const other = await createCentral({ storeUrl: via.toString(), instance: 'b', logLevel: 'silent' });
    try {
      await other.storeReady;
      expect(await other.svc.ingestIncident(Incident.parse(places(1, 1, 'cut-0').flat()[0]!))).toBe(
        'created',
      );
      proxy.cut();
      const list = places(200, 1, 'cut').flat();
      // the driver would hold the revisions until the server is back: they must fail now
      const outcomes = await Promise.race([
        Promise.allSettled(list.map((i) => other.svc.ingestIncident(Incident.parse(i)))),
        new Promise<'held'>((r) => setTimeout(() => r('held'), 5000)),
      ]);
      expect(outcomes).not.toBe('held');
      for (const o of outcomes as PromiseSettledResult<unknown>[]) {
        expect(o.status).toBe('rejected');
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailable);
      }
      // and the next call is refused at once (503), not held
      await expect(other.store.cases.get(newId())).rejects.toBeInstanceOf(StoreUnavailable);
      proxy.restore();
      // back: the same revisions apply once the guard's probe reached the server again
      await until(
        async () =>
          (await other.svc.ingestIncident(Incident.parse(list[0]!)).catch(() => undefined)) === 'created',
        'ingest after PostgreSQL is back',
        20_000,
        200,
      );
    } finally {
      proxy.restore();
      await other.stop();
      await proxy.close();
    }
  }, 40_000);
});
