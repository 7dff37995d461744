/**
 * fault - a central SIGKILLed holding incidents the server handed it but it never acknowledged:
 * how long until the surviving instance (the same durable `central-ingest`) gets them. Two
 * centrals on one PostgreSQL database (of its own, skipped when 127.0.0.1:5432 does not answer)
 * and one nats-server. A is stopped (SIGSTOP), so what the server hands it waits unread in its
 * socket; the backlog is published, B takes the rest, then A is SIGKILLed. JetStream redelivers
 * A's share only when the consumer's ack wait has run out since its delivery: the test prints
 * how long that took and expects it within the ack wait (10 s, `ACK_WAIT_MS` in
 * central/ingest/consumer.ts, was 30 s) and a margin, with every incident's case stored once.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSUMERS, STREAMS } from '../protocol/index.js';
import type { Link } from '../protocol/transport.js';
import { api, type CentralProcess, litterIncident, publishIncident } from './central-helpers.js';
import { type CentralsOnPostgres, startCentralsOnPostgres } from './support/centrals-on-postgres.js';
import { postgresUnreachable } from './support/postgres.js';
import { until } from './support/until.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`central redelivery after SIGKILL: skipped: ${pgDown}`);

const INCIDENTS = 400;
let env: CentralsOnPostgres | undefined;
let nc: Link;
let sql: postgres.Sql;
let centrals: CentralProcess[];

const consuming = async (c: CentralProcess) =>
  (await api(c.url, '/api/health', undefined)).body?.components?.['consumer incidents']?.ok === true;

describe.skipIf(!!pgDown)('a central SIGKILLed with unacknowledged incidents', () => {
  beforeAll(async () => {
    env = await startCentralsOnPostgres('redelivery', 2);
    ({ nc, sql, centrals } = env);
    for (const c of centrals) await until(() => consuming(c) || undefined, `${c.url} consuming`, 30_000);
  }, 120_000);
  afterAll(async () => {
    await env?.dispose();
  });

  it('the survivor has every incident within the ack wait of its delivery to the dead one', async () => {
    const [a] = centrals as [CentralProcess, CentralProcess];
    a.child.kill('SIGSTOP');
    const made = Array.from({ length: INCIDENTS }, () => litterIncident());
    for (let i = 0; i < made.length; i += 50)
      await Promise.all(made.slice(i, i + 50).map((x) => publishIncident(nc, x)));
    const published = Date.now();
    const state = () => nc.consumerState(STREAMS.incidents.name, CONSUMERS.centralIngest);
    const cases = async () => (await sql<{ n: number }[]>`select count(*)::int as n from cases`)[0]!.n;
    // everything delivered; what B had is stored: the rest sits in the stopped A
    const held = await until(
      async () => {
        const s = await state();
        return s && s.pending === 0 && s.ackPending > 0 && (await cases()) + s.ackPending === INCIDENTS
          ? s.ackPending
          : undefined;
      },
      "B's share stored, A's held",
      60_000,
    );
    await a.kill();
    const killed = Date.now();
    await until(async () => ((await cases()) === INCIDENTS ? true : undefined), 'every case', 60_000, 200);
    const done = Date.now();
    const [r] = await sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct doc->'refs'->'incidentIds'->>0)::int as distinct from cases`;
    console.log(
      `[redelivery] ${held} of ${INCIDENTS} held by the SIGKILLed instance; all stored ${((done - published) / 1000).toFixed(1)} s after publishing, ${((done - killed) / 1000).toFixed(1)} s after the kill`,
    );
    expect(r).toEqual({ n: INCIDENTS, distinct: INCIDENTS });
    expect(held).toBeGreaterThan(0);
    expect(done - published).toBeLessThan(10_000 + 8_000);
  }, 120_000);
});
