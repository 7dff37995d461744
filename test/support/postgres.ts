/**
 * @module test/support/postgres
 * A uniquely named database on the machine's PostgreSQL (127.0.0.1:5432, user postgres, trust),
 * created for one suite and dropped after it. `undefined` with the reason when the server is not
 * reachable, so the suite can skip with a message.
 * @example
 *   const db = await createTestDatabase('contract');
 *   if (!db) return; // skipped: db.reason
 *   ... new PgStore({ url: db.url }) ...
 *   await db.drop();
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const PG_ADMIN_URL = process.env.CG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Why PostgreSQL cannot be used, or undefined when it answers. */
export async function postgresUnreachable(): Promise<string | undefined> {
  const sql = postgres(PG_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return undefined;
  } catch (e) {
    return `PostgreSQL not reachable at ${PG_ADMIN_URL} (${(e as Error).message}); start it with .ci/run or pg_ctlcluster`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `cg_test_${label.replace(/\W/g, '_')}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}
