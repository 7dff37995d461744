/**
 * @module test/support/centrals-on-postgres
 * The setup the multi-instance tests share: one nats-server with the streams provisioned, a
 * database of the suite's own on the machine's PostgreSQL, a direct connection to it for the
 * test's checks, and `n` central processes on both (started one after the other: the first
 * applies the schema). `dispose()` stops and drops everything, whatever was started.
 */
import postgres from 'postgres';
import { connectNats, type Link, provisionStreams } from '../../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../../sim/nats-server.js';
import { type CentralProcess, spawnCentral } from '../central-helpers.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface CentralsOnPostgres {
  server: NatsServerHandle;
  /** the test's own link (publishing, consumer state) */
  nc: Link;
  db: TestDatabase;
  /** the test's own connection to the database, for its checks */
  sql: postgres.Sql;
  centrals: CentralProcess[];
  dispose(): Promise<void>;
}

export async function startCentralsOnPostgres(label: string, n: number): Promise<CentralsOnPostgres> {
  const server = await startNatsServer();
  const nc = await connectNats({ servers: server.url, name: 'test', log: { info() {}, warn() {} } });
  await provisionStreams(nc);
  const db = await createTestDatabase(label);
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  const centrals: CentralProcess[] = [];
  const dispose = async () => {
    for (const c of centrals) await c.stop();
    await sql.end();
    await db.drop();
    await nc.close();
    await server.dispose();
  };
  try {
    for (let i = 0; i < n; i++) centrals.push(await spawnCentral({ natsUrl: server.url, storeUrl: db.url }));
  } catch (e) {
    await dispose();
    throw e;
  }
  return { server, nc, db, sql, centrals, dispose };
}
