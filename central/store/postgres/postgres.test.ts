/**
 * store postgres - what only the PostgreSQL store has: migrations recorded and applied once, a
 * failing migration refuses to start and is named, an unreachable server is StoreUnavailable
 * (503), list filters and the queue are answered from indexes. Each test uses its own database
 * (created and dropped here); skipped with a message when 127.0.0.1:5432 does not answer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../sim/nats-server.js';
import {
  createTestDatabase,
  postgresUnreachable,
  type TestDatabase,
} from '../../../test/support/postgres.js';
import { MigrationFailed, StoreUnavailable, statusOfStoreError } from '../contract/errors.js';
import { fixtureCase } from '../contract/fixtures.js';
import { PgStore, redactUrl } from './index.js';
import { MIGRATIONS } from './migrations.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`store postgres: skipped: ${pgDown}`);

const dbs: TestDatabase[] = [];
const stores: PgStore[] = [];
afterAll(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dbs.splice(0)) await d.drop();
});

async function fresh(label: string, o: Partial<ConstructorParameters<typeof PgStore>[0]> = {}) {
  const db = await createTestDatabase(label);
  dbs.push(db);
  const store = new PgStore({ url: db.url, max: 2, ...o });
  stores.push(store);
  return { db, store };
}

describe.skipIf(!!pgDown)('store postgres', () => {
  it('applies the migrations once and records them; a second instance applies none', async () => {
    const { db, store } = await fresh('migrate');
    await store.open();
    expect(store.applied).toEqual(MIGRATIONS.map((m) => m.name));
    const recorded = await store.sql<{ name: string }[]>`select name from schema_migrations order by name`;
    expect(recorded.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    const second = new PgStore({ url: db.url, max: 1 });
    stores.push(second);
    await second.open();
    expect(second.applied).toEqual([]);
  });

  it('a failing migration refuses to start, is named, and leaves nothing of itself behind', async () => {
    const bad = { name: '003_broken', sql: 'create table half (x int); select no_such_function();' };
    const { store } = await fresh('badmig', { migrations: [...MIGRATIONS, bad] });
    const err = await store.open().catch((e) => e);
    expect(err).toBeInstanceOf(MigrationFailed);
    expect((err as MigrationFailed).migration).toBe('003_broken');
    expect((err as Error).message).toMatch(/003_broken.*no_such_function/);
    const recorded = await store.sql<{ name: string }[]>`select name from schema_migrations order by name`;
    expect(recorded.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    const [half] = await store.sql`select to_regclass('half') as t`;
    expect(half.t).toBeNull();
  });

  it('an unreachable server is StoreUnavailable (503), with the URL but not the password', async () => {
    const port = await freePort();
    const store = new PgStore({ url: `postgres://postgres:secret@127.0.0.1:${port}/x`, connectTimeoutS: 2 });
    stores.push(store);
    const err = await store.open().catch((e) => e);
    expect(err).toBeInstanceOf(StoreUnavailable);
    expect(statusOfStoreError(err)).toBe(503);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).not.toContain('secret');
    // every repository call maps the same way (the API answers 503, not 500)
    const listErr = await store.cases.list({}, { offset: 0, limit: 1 }).catch((e) => e);
    expect(listErr).toBeInstanceOf(StoreUnavailable);
    expect(redactUrl('postgres://a:b@h:1/d')).toBe('postgres://a@h:1/d');
  });

  it('answers the list filters and the confirmation queue from indexes', async () => {
    const { store } = await fresh('plans');
    await store.open();
    const t0 = Date.parse('2026-10-01T00:00:00Z');
    for (let i = 0; i < 200; i++) {
      const c = fixtureCase({ at: new Date(t0 + i * 60_000).toISOString(), gridCode: '430407001001001' });
      await store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
    }
    await store.sql`analyze cases`;
    const plan = async (where: string) => {
      // force the planner's hand on a small table: an index must exist for the plan to use one
      const rows = await store.sql.begin(async (tx) => {
        await tx`set local enable_seqscan = off`;
        return tx.unsafe(`explain select id from cases where ${where}`);
      });
      return rows.map((r) => Object.values(r)[0]).join('\n');
    };
    const wanted: [string, string][] = [
      ["state = 'reported'", 'cases_state_id'],
      ["unit_id = 'u-hwc'", 'cases_unit_id'],
      ["grid_code = '430407001001001'", 'cases_grid_id'],
      ["category = '01.04'", 'cases_category_id'],
      ["source = 'citizen'", 'cases_source_id'],
      ["reporter_id = 'u-op'", 'cases_reporter_id'],
      ["collector_id = 'col-1'", 'cases_collector_id'],
      ["created_at >= '2026-10-01' and created_at < '2026-10-02'", 'cases_created'],
      ['with_unit and deadline < now()', 'cases_overdue'],
      [
        "is_open and category = '01.04' and cell_y between 1 and 2 and cell_x between 1 and 2",
        'cases_open_cell',
      ],
      [
        "is_open and zone_id is not null and category = '01.04' and device_id = 'c' and zone_id = 'z'",
        'cases_open_zone',
      ],
      ["registered_at >= '2026-10-01'", 'cases_registered'],
      ["deadline >= '2026-10-01' and deadline < '2026-11-01'", 'cases_deadline'],
      // scoring: the month aggregates (registered or due in the month) and the month's cases
      [
        "(registered_at >= '2026-10-01' and registered_at < '2026-11-01') or (deadline >= '2026-10-01' and deadline < '2026-11-01')",
        'cases_registered',
      ],
      [
        "(registered_at >= '2026-10-01' and registered_at < '2026-11-01') or (deadline >= '2026-10-01' and deadline < '2026-11-01')",
        'cases_deadline',
      ],
      ["is_open and created_at < '2026-11-01'", 'on cases_open_'], // a partial index over the open cases
      ["updated_at >= '2026-10-10' and created_at < '2026-11-01'", 'cases_updated'],
    ];
    for (const [where, index] of wanted) expect(await plan(where), where).toContain(index);
  });
});
