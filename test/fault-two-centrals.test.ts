/**
 * fault - two central processes on one PostgreSQL database and one nats-server, consuming the
 * same durable incident consumer (a database of its own, created and dropped here; skipped with
 * a message when 127.0.0.1:5432 does not answer). 120 incidents, each a `new` and an `update`
 * revision, plus a resend of every tenth `new` under another JetStream id: the revisions of one
 * incident may land on different instances, and each must apply once and in revision order
 * (the incident's advisory lock, and a revision waits for the one before it). Prints produced/delivered/cases/duplicates/lost.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, Incident, incidentMsgId, subjects } from '../protocol/index.js';
import type { Link } from '../protocol/transport.js';
import { type CentralProcess, litterIncident, publishIncident } from './central-helpers.js';
import { type CentralsOnPostgres, startCentralsOnPostgres } from './support/centrals-on-postgres.js';
import { postgresUnreachable } from './support/postgres.js';
import { until } from './support/until.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`two centrals on PostgreSQL: skipped: ${pgDown}`);

const INCIDENTS = 120;
let env: CentralsOnPostgres | undefined;
let nc: Link;
let sql: postgres.Sql;
let centrals: CentralProcess[];

/** cg_central_messages_received_total{kind="incident"} of one instance */
async function received(c: CentralProcess): Promise<number> {
  const text = await (await fetch(`${c.url}/api/metrics`)).text();
  return Number(/cg_central_messages_received_total\{kind="incident"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe.skipIf(!!pgDown)('two centrals on one PostgreSQL and one NATS', () => {
  beforeAll(async () => {
    // one after the other: the second finds the schema applied
    env = await startCentralsOnPostgres('two_centrals', 2);
    ({ nc, sql, centrals } = env);
  }, 120_000);
  afterAll(async () => {
    await env?.dispose();
  });

  it('every revision applied once: 0 duplicated, 0 lost', async () => {
    const made = Array.from({ length: INCIDENTS }, () => litterIncident());
    let produced = 0;
    for (const [i, inc] of made.entries()) {
      await publishIncident(nc, inc);
      await publishIncident(nc, { ...inc, rev: 1, lifecycle: 'update', confidence: 0.95 });
      produced += 2;
      if (i % 10 === 0) {
        await nc.publishStored(subjects.incident(inc.gatewayId), encode(Incident, inc), {
          msgId: `${incidentMsgId(inc)}-again`,
        });
        produced++;
      }
    }
    const ids = made.map((m) => m.id);
    await until(
      async () => {
        const [r] = await sql<{ n: number }[]>`
          select count(*)::int as n from incident_revisions where incident_id = any(${ids})`;
        return r!.n === 2 * INCIDENTS;
      },
      'every revision stored',
      90_000,
    );
    const perIncident = await sql<{ id: string; cases: number; updates: number }[]>`
      select i.id,
        (select count(*)::int from cases c where c.doc->'refs'->'incidentIds' ? i.id) as cases,
        (select count(*)::int from case_history h where h.case_id = i.case_id and h.action = 'incident_update') as updates
      from incidents i where i.id = any(${ids})`;
    const cases = perIncident.reduce((n, r) => n + r.cases, 0);
    const duplicates = perIncident.filter((r) => r.cases > 1 || r.updates > 1).length;
    const lost = INCIDENTS - perIncident.filter((r) => r.cases === 1 && r.updates === 1).length;
    const [numbers] = await sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct case_number)::int as distinct from cases`;
    const each = await Promise.all(centrals.map(received));
    const delivered = each.reduce((a, b) => a + b, 0);
    // a `new` applied after its `update` (they reached different instances): out of revision order
    const [late] = await sql<{ n: number }[]>`
      select count(*)::int as n from case_history
      where action = 'incident_update' and (entry->'data'->>'rev')::int = 0`;
    console.log(
      `[two centrals] produced ${produced}, delivered ${delivered} (${each.join(' + ')}), cases ${cases}, duplicates ${duplicates}, lost ${lost}, new after update ${late!.n}`,
    );
    expect(perIncident).toHaveLength(INCIDENTS);
    expect(duplicates).toBe(0);
    expect(late!.n).toBe(0); // every incident's revisions applied in revision order
    expect(lost).toBe(0);
    expect(cases).toBe(INCIDENTS);
    expect(numbers!.distinct).toBe(numbers!.n); // no 案卷号 handed out twice
    expect(delivered).toBeGreaterThanOrEqual(produced);
  }, 180_000);
});
