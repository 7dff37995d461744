/**
 * central on PostgreSQL - near-duplicate incidents arriving at the same moment are flagged as
 * each other's duplicates, as they are when they arrive one after the other. Incidents commit
 * concurrently on a shared store (distinct incidents on one instance, and every incident across
 * instances), so two duplicate searches may run side by side and each miss the other's new case.
 * Two centrals (in-process, no NATS) on one database of their own each ingest half of six
 * incidents of one category a few metres apart, all at once: every pair of the six cases (a case names at most five) must
 * be flagged. Skipped with a message when 127.0.0.1:5432 does not answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { Incident } from '../protocol/index.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { litterIncident } from './central-helpers.js';
import { createTestDatabase, postgresUnreachable, type TestDatabase } from './support/postgres.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`central postgres duplicates: skipped: ${pgDown}`);

let db: TestDatabase;
const centrals: Central[] = [];

describe.skipIf(!!pgDown)('central on PostgreSQL - concurrent near duplicates', () => {
  beforeAll(async () => {
    db = await createTestDatabase('near_dups');
    for (const instance of ['a', 'b']) {
      const c = await createCentral({ storeUrl: db.url, instance, logLevel: 'silent' });
      await c.storeReady;
      centrals.push(c);
    }
  });
  afterAll(async () => {
    for (const c of centrals.splice(0)) await c.stop();
    await db?.drop();
  });

  it('six incidents a few metres apart, ingested at once through two instances: every pair flagged', async () => {
    const incidents = Array.from({ length: 6 }, (_, i) =>
      Incident.parse(
        litterIncident({
          deviceId: `cam-${i}`,
          location: {
            source: 'fixed',
            lat: ZHENGXIANG.lat + i * 0.00001,
            lon: ZHENGXIANG.lon,
            cameraId: `cam-${i}`,
            zoneId: `z${i}`,
          },
        }),
      ),
    );
    const outcomes = await Promise.all(incidents.map((inc, i) => centrals[i % 2].svc.ingestIncident(inc)));
    expect(outcomes).toEqual(Array(6).fill('created'));
    const page = await centrals[0].store.cases.list({}, { offset: 0, limit: 50 });
    expect(page.total).toBe(6);
    // as one after the other: every pair of these cases is flagged, the later one naming the earlier
    const named = new Map(page.items.map((c) => [c.id, new Set(c.duplicateCandidates ?? [])]));
    const missed: string[] = [];
    for (const [a, of] of named)
      for (const [b, ob] of named) if (a < b && !of.has(b) && !ob.has(a)) missed.push(`${a}~${b}`);
    expect(missed).toEqual([]);
  });
});
