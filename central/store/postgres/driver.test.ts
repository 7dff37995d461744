/**
 * store postgres - the driver's transactions stay on their own connection under a saturated
 * pool. postgres.js 3.4.9 can write a transaction's BEGIN without reserving the connection when
 * the BEGIN is pipelined behind busy queries (porsager/postgres#823, #1189): the transaction
 * then fails with UNSAFE_TRANSACTION (seen here as one 500 in 1,500 concurrent `register`
 * calls), or its connection goes back to the pool with the transaction open and unrelated
 * queries run inside it. patches/postgres+3.4.9.patch applies the upstream fix (#1218) at
 * install time; this test fails without it. Skipped with a message when 127.0.0.1:5432 does not
 * answer.
 */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { PG_ADMIN_URL, postgresUnreachable } from '../../../test/support/postgres.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`store postgres driver: skipped: ${pgDown}`);

describe.skipIf(!!pgDown)('store postgres - driver transactions', () => {
  it('begin pipelined behind busy connections: every transaction commits on its own connection', async () => {
    // max_pipeline (queries per connection in flight, default 100) is missing from the driver's types
    const sql = postgres(PG_ADMIN_URL, { max: 3, onnotice: () => {}, ...({ max_pipeline: 2 } as object) });
    const failures: string[] = [];
    try {
      // three connections open (the pool connects lazily)
      await Promise.all(Array.from({ length: 3 }, () => sql`select pg_sleep(0.05)`));
      for (let round = 0; round < 10; round++) {
        // every connection busy, one query pipelined behind each, then transactions (queries are
        // sent when awaited; execute() sends these first, as concurrent requests do)
        const busy = Array.from({ length: 3 }, () => sql`select pg_sleep(0.2)`.execute());
        const plain = Array.from({ length: 3 }, () => sql`select 1`.execute());
        const txs = Array.from({ length: 5 }, (_, i) =>
          sql.begin(async (tx) => {
            const [{ pid }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
            return { i, pid };
          }),
        );
        const r = await Promise.allSettled([...busy, ...plain, ...txs]);
        for (const x of r) if (x.status === 'rejected') failures.push((x.reason as Error).message);
      }
    } finally {
      await sql.end({ timeout: 2 });
    }
    expect(failures).toEqual([]);
  });
});
