/**
 * @module bench/ingest-pg
 * Central on PostgreSQL (issue 14's benchmarks, ingest side), against baselines in the same run:
 * - ingest: incidents/s persisted as cases by central's real `NatsIngest` on a `PgStore` holding
 *   10k / 100k / 1M cases (a year of the demo city, bulk-loaded), each round paired with a bare
 *   JetStream consume + ack of the same backlog, the same window of messages timed
 *   (bench/lib/central `bareConsume`): the ratio to bare, and each size against the smallest
 *   (storage must not make ingest O(all cases));
 * - start and memory: central as its own process (`central/main.ts --store …`, the field build
 *   `dist/central/main.js` where it exists) from spawn to the first case list answered 200, and
 *   its peak RSS after list and queue requests, at each size against an empty database;
 * - two instances vs one: the same backlog ingested by two central processes sharing the
 *   consumer on one database, against one process; time until every incident is a case.
 * Needs PostgreSQL on 127.0.0.1:5432 (databases made and dropped here). BENCH_PG_SIZES changes the
 * sweep (default 10000,100000,1000000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createCentral } from '../central/central.js';
import { PgStore } from '../central/store/postgres/index.js';
import { CONSUMERS, STREAMS } from '../protocol/index.js';
import { provisionStreams } from '../protocol/transport.js';
import { startNatsServer } from '../sim/nats-server.js';
import { spawnTs } from '../sim/processes.js';
import { jetstreamManager, connect as rawConnect } from '../test/support/nats-raw.js';
import { createTestDatabase, postgresUnreachable } from '../test/support/postgres.js';
import { until } from '../test/support/until.js';
import {
  bareConsume,
  CENTRAL_ENTRY,
  centralEntryNote,
  connect,
  incidents,
  publishBacklog,
} from './lib/central.js';
import { seedPostgres } from './lib/pg-load.js';
import { postgresCpuSeconds, statusMB } from './lib/proc.js';
import { latency, ms, type Summary, summarize } from './lib/stats.js';
import type { Benchmark, Ratio } from './lib/types.js';

const BACKLOG = 6000;
/**
 * the incidents timed at each size: the 1,001st to the 5,000th (the steady rate, without
 * central's start and its consumer's first pull; the same window at every size)
 */
const WINDOW = { from: 1000, to: 5000 };
const MEASURED = WINDOW.to - WINDOW.from;
const SIZES = (process.env.BENCH_PG_SIZES ?? '10000,100000,1000000').split(',').filter(Boolean).map(Number);
const AUTH = { authorization: 'Bearer demo-operator' };

const k = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

/** A database holding `n` generated cases (the newest 500 unconfirmed, six weeks still open). */
async function seeded(n: number) {
  const db = await createTestDatabase(`ingest_pg_${n}`);
  const pg = new PgStore({ url: db.url, max: 4 });
  await pg.open();
  const t0 = Date.now();
  if (n > 0) await seedPostgres(pg, { n, days: 365, end: new Date(), reported: 500, openDays: 45 });
  await pg.close();
  return { ...db, loadS: (Date.now() - t0) / 1000 };
}

/** Central as a process on `url`: seconds from spawn to a case list answered 200, peak RSS after load. */
async function processStart(storeUrl: string, natsUrl: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cg-bench-pg-'));
  const t0 = Date.now();
  const { proc, match } = await spawnTs({
    name: 'central',
    script: CENTRAL_ENTRY,
    args: ['--port', '0', '--nats', natsUrl, '--data', dataDir, '--demo', '--store', storeUrl],
    env: { LOG_LEVEL: 'warn', CG_API_RATE_PER_S: '1000000', CG_API_BURST: '1000000' },
    readyLine: /central listening on (http:\/\/\S+)/,
    readyTimeoutMs: 120_000,
  });
  try {
    const url = match![1];
    await until(
      async () => (await fetch(`${url}/api/cases?limit=50`, { headers: AUTH })).status === 200,
      'first case list answered',
      120_000,
      5,
    );
    const startS = (Date.now() - t0) / 1000;
    for (const path of ['/api/cases?limit=50', '/api/cases?state=reported&limit=50', '/api/dashboard'])
      for (let i = 0; i < 20; i++) await (await fetch(url + path, { headers: AUTH })).arrayBuffer();
    const rss = statusMB(proc.child.pid!, 'VmHWM');
    return { startS, rss };
  } finally {
    await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Seconds until `instances` central processes on one fresh database made the whole backlog cases. */
async function instancesIngest(instances: number): Promise<number> {
  const nats = await startNatsServer();
  const db = await createTestDatabase(`instances_${instances}`);
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const procs: Awaited<ReturnType<typeof spawnTs>>['proc'][] = [];
  const dirs: string[] = [];
  const nc = await connect(nats.url);
  try {
    await provisionStreams(nc);
    for (let i = 0; i < instances; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'cg-bench-pg-'));
      dirs.push(dataDir);
      const { proc } = await spawnTs({
        name: `central-${i}`,
        script: CENTRAL_ENTRY,
        args: [
          '--port',
          '0',
          '--nats',
          nats.url,
          '--data',
          dataDir,
          '--store',
          db.url,
          '--instance',
          `i${i}`,
        ],
        env: { LOG_LEVEL: 'warn' },
        readyLine: /central listening on/,
        readyTimeoutMs: 120_000,
      });
      procs.push(proc);
    }
    // every instance is bound to the shared consumer before the backlog arrives
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = process.hrtime.bigint();
    await publishBacklog(nc, incidents(BACKLOG, 11));
    await until(
      async () => Number((await sql`select count(*)::int as n from cases`)[0].n) >= BACKLOG,
      `${BACKLOG} cases from ${instances} instance(s)`,
      300_000,
      20,
    );
    return ms(t0) / 1000;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await nc.close();
    await sql.end();
    await db.drop();
    await nats.dispose();
  }
}

const bench: Benchmark = {
  name: 'ingest-pg',
  // a million cases take minutes to generate and bulk-load
  timeoutS: 1800,
  title:
    'central on PostgreSQL: ingest vs bare JetStream at 10k/100k/1M stored, start + RSS, two instances vs one',
  async run() {
    const down = await postgresUnreachable();
    if (down) throw new Error(down);
    const server = await startNatsServer();
    const nc = await connect(server.url);
    const admin = await rawConnect({ servers: server.url });
    const ratios: Ratio[] = [];
    const figures: Record<string, Summary> = {};
    const notes: string[] = [
      `backlog ${BACKLOG} incidents from 8 gateways; incidents ${WINDOW.from + 1}-${WINDOW.to} timed at each store size (central and the bare consume alike); ${centralEntryNote()}`,
    ];
    try {
      await provisionStreams(nc);
      await publishBacklog(nc, incidents(BACKLOG));
      const jsm = await jetstreamManager(admin);
      await bareConsume(server.url, BACKLOG, 'bench-bare-warm');
      const empty = await seeded(0);
      const base = await processStart(empty.url, server.url).finally(() => empty.drop());
      figures['central start (spawn → first list 200) @empty'] = summarize([base.startS], 's');
      figures['central peak RSS @empty'] = summarize([base.rss], 'MB');
      let firstRate: number | undefined;
      for (const [round, size] of SIZES.entries()) {
        const db = await seeded(size);
        notes.push(`${k(size)}: bulk load ${db.loadS.toFixed(0)} s (COPY, indexes rebuilt after)`);
        try {
          const bare = await bareConsume(server.url, WINDOW.to, `bench-bare-${round}`, WINDOW.from);
          await jsm.consumers.delete(STREAMS.incidents.name, CONSUMERS.centralIngest).catch(() => undefined);
          const dataDir = mkdtempSync(join(tmpdir(), 'cg-bench-pg-'));
          const central = await createCentral({
            demo: true,
            dataDir,
            storeUrl: db.url,
            natsUrl: server.url,
            instance: 'bench',
            logLevel: 'silent',
          });
          let rate: number;
          const reg: number[] = [];
          try {
            await central.storeReady;
            await central.start({ port: 0 });
            const ingested = (n: number) => () => (central.counters.ingested.incident ?? 0) >= n;
            await until(
              ingested(WINDOW.from),
              `${WINDOW.from} incidents ingested at ${size} stored`,
              600_000,
              1,
            );
            const t0 = process.hrtime.bigint();
            const cpu0 = process.cpuUsage();
            const pgCpu0 = postgresCpuSeconds();
            await until(ingested(WINDOW.to), `${WINDOW.to} incidents ingested at ${size} stored`, 600_000, 1);
            rate = MEASURED / (ms(t0) / 1000);
            // where the CPU went: central (this process) and PostgreSQL, per incident
            const cpu = process.cpuUsage(cpu0);
            figures[`central CPU per incident @${k(size)}`] = summarize(
              [(cpu.user + cpu.system) / 1000 / MEASURED],
              'ms',
            );
            const pgCpu1 = postgresCpuSeconds();
            if (pgCpu0 !== undefined && pgCpu1 !== undefined)
              figures[`PostgreSQL CPU per incident @${k(size)}`] = summarize(
                [((pgCpu1 - pgCpu0) * 1000) / MEASURED],
                'ms',
              );
            // transitions at this size: register 100 unconfirmed cases one by one
            const op = central.users.byToken('demo-operator')!;
            const page = await central.store.cases.list({ states: ['reported'] }, { offset: 0, limit: 100 });
            for (const c of page.items) {
              const t1 = process.hrtime.bigint();
              await central.svc.act(c.id, 'register', {}, op);
              reg.push(ms(t1));
            }
          } finally {
            await central.stop().catch(() => undefined);
            rmSync(dataDir, { recursive: true, force: true });
          }
          firstRate ??= rate;
          ratios.push({
            label: `ingest/bare-consume @${k(size)} stored`,
            value: summarize([rate / bare], 'x'),
            subject: `central NatsIngest → PgStore, ${size} cases stored`,
            baseline: 'bare JetStream pull consume + ack of the same backlog (this round)',
            meaning: '1.0 = ingest costs nothing beyond consuming; issue 14 asks ≥ 0.5',
          });
          if (size !== SIZES[0])
            ratios.push({
              label: `ingest @${k(size)} / @${k(SIZES[0])} stored`,
              value: summarize([rate / firstRate], 'x'),
              subject: `ingest rate with ${size} stored`,
              baseline: `ingest rate with ${SIZES[0]} stored (this run)`,
              meaning: '1.0 = store size does not matter; issue 14 asks within 20 % (0.8-1.2)',
            });
          figures[`bare consume+ack round ${round + 1}`] = summarize([bare], 'msgs/s');
          figures[`ingest @${k(size)} stored`] = summarize([rate], 'incidents/s');
          figures[`register @${k(size)} stored`] = latency(reg);
          const p = await processStart(db.url, server.url);
          figures[`central start (spawn → first list 200) @${k(size)}`] = summarize([p.startS], 's');
          figures[`central peak RSS @${k(size)}`] = summarize([p.rss], 'MB');
          ratios.push({
            label: `start @${k(size)} / @empty`,
            value: summarize([p.startS / base.startS], 'x'),
            subject: `central process start on PostgreSQL with ${size} cases`,
            baseline: 'the same on an empty database',
            meaning: '1.0 = start does not grow with stored cases; issue 14 asks < 3 s at 1M',
          });
        } finally {
          await db.drop();
        }
      }
      const one = await instancesIngest(1);
      const two = await instancesIngest(2);
      figures['backlog → cases, one instance'] = summarize([BACKLOG / one], 'incidents/s');
      figures['backlog → cases, two instances'] = summarize([BACKLOG / two], 'incidents/s');
      ratios.push({
        label: 'two instances / one (ingest throughput)',
        value: summarize([one / two], 'x'),
        subject: `two central processes sharing the consumer, ${BACKLOG} incidents, fresh database`,
        baseline: 'one central process, the same backlog',
        meaning: '2.0 = scales linearly; 1.0 = the second instance adds nothing (2 cores, one PostgreSQL)',
      });
      return { ratios, figures, notes };
    } finally {
      await nc.close();
      await admin.close();
      await server.dispose();
    }
  },
};
export default bench;
