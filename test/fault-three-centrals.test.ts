/**
 * fault - three central processes on one PostgreSQL database and a 3-node NATS cluster (every
 * stream at replicas 3), one shared durable incident consumer. A backlog of incidents from 8
 * gateway ids (published by the test over the cluster, a fifth of them with an `update`
 * revision) is drained while: one central and one NATS node are SIGKILLed and started again
 * (at a fifth of the backlog), and PostgreSQL goes away for 10 s (at half the backlog).
 *
 * PostgreSQL is taken away with a loopback TCP proxy (test/support/tcp-proxy.ts) between the
 * centrals and the server, cut for 10 s: the machine's PostgreSQL service itself is never
 * stopped (other tests use it). The test's own checks read the database directly.
 *
 * Expected: while PostgreSQL is away a write answers 503; afterwards every revision is stored
 * once, every incident has exactly one case, every update applied once and after its `new`
 * (revision order), every case's history is 1..n without a gap, no 案卷号 twice. Prints
 * produced/delivered/cases/duplicates/lost. `CG_FAULT_INCIDENTS` sets the backlog (3,000; the
 * issue's figure is 10,000). Before that: what the centrals create themselves (the gateway config
 * bucket, the board changes' stream) is at 3 replicas as well.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_STREAM } from '../central/devices/share.js';
import { CONFIG_BUCKET, CONSUMERS, type IncidentInput, STREAMS } from '../protocol/index.js';
import { connectNats, type Link, provisionStreams } from '../protocol/transport.js';
import { type CentralProcess, publishIncident, spawnCentral, TOKENS } from './central-helpers.js';
import { incidents } from './fault-kit.js';
import { type NatsCluster, startNatsCluster } from './support/nats-cluster.js';
import { createTestDatabase, postgresUnreachable, type TestDatabase } from './support/postgres.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { until } from './support/until.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`three centrals on PostgreSQL and a NATS cluster: skipped: ${pgDown}`);

// 3,000 in the suite, so it stays well inside its 600 s beside the other tests on the 2-core CI
// box; the 10,000 (CG_FAULT_INCIDENTS=10000) took 158 s for the drill on a quiet box
// (190 s with the cluster and the centrals starting) and passed with 0 lost / 0 duplicated
const INCIDENTS = Number(process.env.CG_FAULT_INCIDENTS ?? 3_000);
const GATEWAYS = 8;
const PG_OUTAGE_MS = 10_000;

let cluster: NatsCluster;
let nc: Link;
let db: TestDatabase;
let sql: postgres.Sql;
let proxy: TcpProxy;
let storeUrl: string;
const dirs: string[] = [];
const centrals: CentralProcess[] = [];

function startCentral(dataDir: string): Promise<CentralProcess> {
  return spawnCentral({
    natsUrl: cluster.urls.join(','),
    storeUrl,
    dataDir,
    args: ['--nats-replicas', '3'],
  });
}

async function casesStored(): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from cases`;
  return r!.n;
}

async function received(c: CentralProcess): Promise<number> {
  const text = await (await fetch(`${c.url}/api/metrics`)).text();
  return Number(/cg_central_messages_received_total\{kind="incident"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe.skipIf(!!pgDown)('three centrals, one PostgreSQL, a 3-node NATS cluster', () => {
  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    await cluster.ready();
    nc = await connectNats({ servers: cluster.urls, name: 'test', log: { info() {}, warn() {} } });
    // a new cluster answers JetStream before every node is a placement peer: try again until R3 fits
    await until(
      () =>
        provisionStreams(nc, [], { replicas: 3 }).then(
          () => true,
          () => false,
        ),
      'the streams at replicas 3',
      60_000,
      500,
    );
    db = await createTestDatabase('three_centrals');
    sql = postgres(db.url, { max: 2, onnotice: () => {} });
    proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
    const u = new URL(db.url);
    u.port = String(proxy.port);
    storeUrl = u.toString();
    // one after the other: the first applies the schema
    for (let i = 0; i < 3; i++) {
      dirs.push(mkdtempSync(join(tmpdir(), `cg-central-${i}-`)));
      centrals.push(await startCentral(dirs[i]!));
    }
  }, 180_000);
  afterAll(async () => {
    for (const c of centrals) await c.stop();
    await proxy?.close();
    await sql?.end();
    await db?.drop();
    await nc?.close();
    await cluster?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("what the centrals create themselves is at `--nats-replicas 3`: the config bucket, the board's stream", async () => {
    for (const stream of [`KV_${CONFIG_BUCKET}`, BOARD_STREAM.name])
      expect(
        await until(
          () =>
            nc.streamState(stream).then(
              (s) => s.replicas,
              () => undefined,
            ),
          `${stream} made`,
          60_000,
        ),
        stream,
      ).toBe(3);
  }, 90_000);

  it('SIGKILL of a central and a NATS node, PostgreSQL away 10 s: 0 lost, 0 duplicated, in order', async () => {
    const made: IncidentInput[] = [];
    for (let g = 1; g <= GATEWAYS; g++) made.push(...incidents(Math.ceil(INCIDENTS / GATEWAYS), `gw-0${g}`));
    made.length = INCIDENTS;
    const updates = made.filter((_, i) => i % 5 === 0);
    const revisions: IncidentInput[] = [];
    for (const [i, inc] of made.entries()) {
      revisions.push(inc);
      if (i % 5 === 0) revisions.push({ ...inc, rev: 1, lifecycle: 'update', confidence: 0.95 });
    }
    // a fifth as a backlog before the first fault; the rest while the faults happen
    const publish = async (list: IncidentInput[]) => {
      for (let i = 0; i < list.length; i += 200)
        await Promise.all(list.slice(i, i + 200).map((r) => publishIncident(nc, r)));
    };
    const publishing = publish(revisions);

    // mid-backlog: SIGKILL one central and one NATS node, start them again
    await until(async () => (await casesStored()) >= INCIDENTS / 5, 'a fifth of the cases', 240_000, 500);
    const killedAt = await casesStored();
    await Promise.all([centrals[1]!.kill(), cluster.nodes[1]!.kill()]);
    await new Promise((r) => setTimeout(r, 2000));
    await cluster.nodes[1]!.start();
    centrals[1] = await startCentral(dirs[1]!);

    // half way: PostgreSQL away for 10 s; writes answer 503, nothing is acked meanwhile
    await until(async () => (await casesStored()) >= INCIDENTS / 2, 'half the cases', 240_000, 500);
    const [someCase] = await sql<{ id: string }[]>`select id from cases where state = 'reported' limit 1`;
    const cutAt = await casesStored();
    proxy.cut();
    // a write while PostgreSQL is away answers 503 (asked with a deadline: an answer that never
    // comes is a failure too, and must not hold the outage open)
    const writeWhileAway = (async () => {
      const r = await fetch(`${centrals[0]!.url}/api/cases/${someCase!.id}/actions/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' },
        body: '{}',
        signal: AbortSignal.timeout(PG_OUTAGE_MS - 2000),
      });
      return String(r.status);
    })().catch((e: Error) => `no answer (${e.name})`);
    await new Promise((r) => setTimeout(r, PG_OUTAGE_MS));
    const duringCut = await casesStored(); // read directly, not through the proxy
    proxy.restore();
    const during = await writeWhileAway;
    await publishing;

    await until(
      async () => {
        const [r] = await sql<{ n: number }[]>`select count(*)::int as n from incident_revisions`;
        return r!.n >= revisions.length;
      },
      'every revision stored',
      Number(process.env.CG_FAULT_WAIT_MS ?? 420_000),
      1000,
    ).catch(async (e: Error) => {
      // what was left, for the log: the consumer, and what each central said last
      const [r] = await sql<{ n: number }[]>`select count(*)::int as n from incident_revisions`;
      const state = await nc.consumerState(STREAMS.incidents.name, CONSUMERS.centralIngest).catch(() => null);
      console.error(
        `[fault:three-centrals] stored ${r!.n} of ${revisions.length} revisions; consumer ${JSON.stringify(state)}`,
      );
      for (const [i, c] of centrals.entries())
        console.error(`--- central ${i}:\n${c.output().split('\n').slice(-25).join('\n')}`);
      throw e;
    });
    const perIncident = new Map(
      (
        await sql<{ inc: string; n: number }[]>`
          select inc, count(*)::int as n
          from cases, jsonb_array_elements_text(doc->'refs'->'incidentIds') as inc group by inc`
      ).map((r) => [r.inc, r.n]),
    );
    const updatesPerCase = await sql<{ n: number }[]>`
      select count(*)::int as n from case_history where action = 'incident_update' group by case_id`;
    const [outOfOrder] = await sql<{ n: number }[]>`
      select count(*)::int as n from case_history
      where action = 'incident_update' and (entry->'data'->>'rev')::int = 0`;
    const [gaps] = await sql<{ n: number }[]>`
      select count(*)::int as n from (
        select case_id from case_history group by case_id having count(*) <> max(seq) or min(seq) <> 1
      ) g`;
    const [numbers] = await sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct case_number)::int as distinct from cases`;
    const [stored] = await sql<{ n: number }[]>`select count(*)::int as n from incident_revisions`;
    const cases = await casesStored();
    const each = await Promise.all(centrals.map(received));
    const delivered = each.reduce((a, b) => a + b, 0);
    const lost = made.filter((m) => !perIncident.has(m.id)).length;
    const duplicates =
      [...perIncident.values()].reduce((s, n) => s + (n > 1 ? n - 1 : 0), 0) +
      updatesPerCase.reduce((s, r) => s + (r.n > 1 ? r.n - 1 : 0), 0);
    const pending = await nc.consumerState(STREAMS.incidents.name, CONSUMERS.centralIngest);
    console.log(
      `[fault:three-centrals] produced=${INCIDENTS} revisions=${revisions.length} delivered=${delivered} (${each.join(' + ')}, the restarted one counted since its restart) cases=${cases} duplicates=${duplicates} lost=${lost} updates=${updatesPerCase.length}/${updates.length} outOfOrder=${outOfOrder!.n} historyGaps=${gaps!.n} killedAt=${killedAt} pgCutAt=${cutAt} casesWhilePgAway=${duringCut} writeWhilePgAway=${during} consumerPending=${pending?.pending}/${pending?.ackPending}`,
    );
    expect(during).toBe('503');
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(cases).toBe(INCIDENTS);
    expect(stored!.n).toBe(revisions.length);
    expect(updatesPerCase).toHaveLength(updates.length);
    expect(outOfOrder!.n).toBe(0);
    expect(gaps!.n).toBe(0);
    expect(numbers!.distinct).toBe(numbers!.n);
    // the backlog was not drained before the faults: they happened mid-backlog
    expect(killedAt).toBeLessThan(INCIDENTS);
    expect(cutAt).toBeLessThan(INCIDENTS);
  }, 600_000);
});
