/**
 * @module bench/api
 * Central's HTTP API under concurrent load (autocannon, 200 connections, from this process) with
 * a year of cases in the store, against the same requests on a central holding one day of
 * cases: case list (first page, all cases, as an operator), the operator's work queue (state
 * filter), the intake queue (`state=reported`, 20,000 unconfirmed cases in the year: issue 13's
 * finding 9), the work queue again with every request a page of its own (identical requests at one
 * store revision share one page, central/cases/page-cache.ts: this is the cost without that), and
 * `register` transitions on distinct unconfirmed cases. Central runs as its own
 * process (the field build `dist/central/main.js` where it exists, else `central/main.ts` through
 * tsx), so the load generator does not share its event loop, but it does
 * share the 2 cores. Each load also reports its p99 without each connection's first answer
 * ("connected"): autocannon opens its 200 connections at once and their first requests carry the
 * connection setup. BENCH_YEAR_CASES (default 240000 = 20,000 a month) sets the year,
 * BENCH_API_CONNECTIONS (default 200) the connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { PgStore } from '../central/store/postgres/index.js';
import { startNatsServer } from '../sim/nats-server.js';
import { spawnTs } from '../sim/processes.js';
import { createTestDatabase, postgresUnreachable } from '../test/support/postgres.js';
import { until } from '../test/support/until.js';
import { generateCases, writePartitions } from './lib/cases.js';
import { CENTRAL_ENTRY, centralEntryNote, demoCity } from './lib/central.js';
import { seedPostgres } from './lib/pg-load.js';
import { cpuSeconds, statusMB } from './lib/proc.js';
import { latency, type Summary, settleHeap, summarize } from './lib/stats.js';
import type { Benchmark, Ratio } from './lib/types.js';

const YEAR = Number(process.env.BENCH_YEAR_CASES ?? 240_000);
const DAY_CASES = Math.round(YEAR / 365);
const DURATION_S = 8;
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 200);
const TRANSITIONS = 1500;
/** unconfirmed cases in the year: the intake queue finding 9 measured (20k reported) */
const REPORTED = 20_000;
/** cases younger than this are still open (dispatched, processing, feedback, ...): the work queue */
const OPEN_DAYS = 45;
const QUEUE = '/api/cases?state=dispatched,processing,feedback&limit=50';
const INTAKE = '/api/cases?state=reported&limit=50';
/** offsets the distinct-page queue load cycles through: more than it asks for in a second */
const DISTINCT_PAGES = 2000;
const AUTH = { authorization: 'Bearer demo-operator', 'content-type': 'application/json' };

interface Load {
  p50: number;
  p99: number;
  /**
   * p99 of every answer but each connection's first: autocannon writes a connection's first
   * request as it starts connecting, so 200 connections opened at once put 200 requests of
   * connection setup and a cold burst into the tail (3 % of a run's requests); consoles keep their
   * connections, so this is the latency they live with
   */
  p99Connected: number;
  rps: number;
  non2xx: number;
  /** answers by status code, and `timeouts` (autocannon's 10 s) */
  codes: Record<string, number>;
  /** central's CPU time (user + system) per answered request: what the load on the box inflates least */
  cpuMs: number;
}

async function cannon(pid: number, o: autocannon.Options): Promise<Load> {
  const cpu0 = cpuSeconds(pid);
  const connected = new WeakSet<object>();
  const later: number[] = [];
  const run = autocannon({ connections: CONNECTIONS, headers: AUTH, ...o }).on(
    'response',
    (client, _s, _b, ms) => {
      if (connected.has(client)) later.push(ms);
      else connected.add(client);
    },
  );
  // the typings lack what autocannon 8 reports per status code and the timeouts
  const r = (await run) as autocannon.Result & {
    timeouts: number;
    statusCodeStats?: Record<string, { count: number }>;
  };
  const codes: Record<string, number> = { timeouts: r.timeouts };
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) codes[code] = v.count;
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    p99Connected: latency(later).p99 ?? 0,
    rps: r.requests.average,
    non2xx: r.non2xx + r.errors,
    codes,
    cpuMs: ((cpuSeconds(pid) - cpu0) * 1000) / Math.max(1, (r.requests as { total?: number }).total ?? 0),
  };
}

/** The stored cases: lowdb month partitions in the data dir, or bulk-loaded into a new database. */
async function store(n: number, dataDir: string, onPostgres: boolean) {
  const gen = {
    n,
    days: n === DAY_CASES ? 1 : 365,
    end: new Date(),
    reported: Math.min(n, REPORTED),
    // cases of the six weeks before the unconfirmed ones are still with their units: the work queue
    openDays: OPEN_DAYS,
  };
  if (!onPostgres) {
    const cases = generateCases(demoCity(), gen);
    writePartitions(join(dataDir, 'cases'), cases);
    const reported = cases.filter((c) => c.state === 'reported').slice(0, TRANSITIONS);
    return { args: [], reported: reported.map((c) => c.id), drop: async () => {} };
  }
  const db = await createTestDatabase('api_year');
  const pg = new PgStore({ url: db.url, max: 2 });
  try {
    await pg.open();
    await seedPostgres(pg, gen);
    const rows = await pg.sql<{ id: string }[]>`
      select id from cases where state = 'reported' order by id limit ${TRANSITIONS}`;
    return { args: ['--store', db.url], reported: rows.map((r) => r.id), drop: () => db.drop() };
  } finally {
    await pg.close();
  }
}

async function scenario(n: number, natsUrl: string, onPostgres = false) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cg-bench-api-'));
  const stored = await store(n, dataDir, onPostgres);
  const reported = stored.reported;
  settleHeap(); // the generated year is garbage now: collect it before autocannon measures
  let stop: (() => Promise<void>) | undefined;
  try {
    const t0 = Date.now();
    // a year takes a while to load on a busy 2-core box: wait longer than the tests' helper does
    const { proc, match } = await spawnTs({
      name: 'central',
      script: CENTRAL_ENTRY,
      args: ['--port', '0', '--nats', natsUrl, '--data', dataDir, '--demo', ...stored.args],
      // the per-token rate limit (50/s by default) would answer most load-test requests 429
      env: {
        LOG_LEVEL: 'warn',
        NODE_OPTIONS: '--max-old-space-size=4096',
        CG_API_RATE_PER_S: '1000000',
        CG_API_BURST: '1000000',
      },
      readyLine: /central listening on (http:\/\/\S+)/,
      readyTimeoutMs: 240_000,
    });
    stop = () => proc.stop();
    const url = match![1];
    const pid = proc.child.pid;
    // on PostgreSQL central listens before the store is open (503 until then): ready = a list answered
    await until(
      async () => (await fetch(`${url}/api/cases?limit=1`, { headers: AUTH })).status === 200,
      'first list answered',
      240_000,
      5,
    );
    const startS = (Date.now() - t0) / 1000;
    // one request at a time first: the cost of a request without queueing behind others (each
    // a page of its own: an identical request would be answered from the page made before it)
    const single = async (path: string) => {
      const l: number[] = [];
      for (let k = 0; k < 25; k++) {
        const t1 = process.hrtime.bigint();
        const r = await fetch(`${url}${path}&offset=${k}`, { headers: AUTH });
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
        if (k >= 5) l.push(Number(process.hrtime.bigint() - t1) / 1e6);
      }
      return latency(l);
    };
    const listOne = await single('/api/cases?limit=50');
    const queueOne = await single(QUEUE);
    const intakeOne = await single(INTAKE);
    const list = await cannon(pid!, { url: `${url}/api/cases?limit=50`, duration: DURATION_S });
    const queue = await cannon(pid!, { url: url + QUEUE, duration: DURATION_S });
    const intake = await cannon(pid!, { url: url + INTAKE, duration: DURATION_S });
    // every request a page no other asked for within the second: none is shared (PageCache)
    let j = 0;
    const queueDistinct = await cannon(pid!, {
      url,
      duration: DURATION_S,
      requests: [{ setupRequest: (req) => ({ ...req, path: `${QUEUE}&offset=${j++ % DISTINCT_PAGES}` }) }],
    });
    let i = 0;
    const act = await cannon(pid!, {
      url: url,
      amount: reported.length,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => ({
            ...req,
            path: `/api/cases/${reported[i++ % reported.length]}/actions/register`,
            body: '{}',
          }),
        },
      ],
    });
    const rss = statusMB(pid!, 'VmHWM');
    return { list, queue, intake, queueDistinct, act, startS, rss, listOne, queueOne, intakeOne };
  } finally {
    await stop?.();
    rmSync(dataDir, { recursive: true, force: true });
    await stored.drop();
  }
}

/** the load scenarios: figure label, and its field in a scenario's result */
const LOADS = [
  ['list', 'list'],
  ['queue', 'queue'],
  ['intake state=reported', 'intake'],
  ['queue, a page of its own per request', 'queueDistinct'],
  ['register', 'act'],
] as const;

const lat = (l: Load): Summary => ({
  unit: 'ms',
  median: l.p50,
  min: l.p50,
  max: l.p99,
  n: 1,
  p50: l.p50,
  p99: l.p99,
});

const bench: Benchmark = {
  name: 'api',
  // the year is loaded twice (lowdb, then PostgreSQL)
  timeoutS: 900,
  title: 'API list + transition latency under load, a year of cases vs one day',
  async run() {
    const nats = await startNatsServer();
    try {
      const day = await scenario(DAY_CASES, nats.url);
      const year = await scenario(YEAR, nats.url);
      const pgDown = await postgresUnreachable();
      const pg = pgDown ? undefined : await scenario(YEAR, nats.url, true);
      const ratio = (label: string, y: Load, d: Load): Ratio => ({
        label: `${label} p99 year/day`,
        value: summarize([y.p99 / d.p99], 'x'),
        subject: `${label} with ${YEAR} cases (a year)`,
        baseline: `the same requests with ${DAY_CASES} cases (a day)`,
        meaning: '1.0 = latency does not grow with stored cases; higher = slower with a year loaded',
      });
      const figures: Record<string, Summary> = {};
      for (const [k, s] of LOADS) {
        const [y, d] = [year[s], day[s]];
        figures[`${k} @year`] = lat(y);
        figures[`${k} @year, connected (p99 after each connection's first answer)`] = summarize(
          [y.p99Connected],
          'ms',
        );
        figures[`${k} @day`] = lat(d);
        figures[`${k} @year throughput`] = summarize([y.rps], 'req/s');
        figures[`${k} central CPU per request @year`] = summarize([y.cpuMs], 'ms');
        figures[`${k} central CPU per request @day`] = summarize([d.cpuMs], 'ms');
      }
      figures['list, one request at a time @year'] = year.listOne;
      figures['list, one request at a time @day'] = day.listOne;
      figures['queue, one request at a time @year'] = year.queueOne;
      figures['queue, one request at a time @day'] = day.queueOne;
      figures['intake state=reported, one request at a time @year'] = year.intakeOne;
      figures['central start @year'] = summarize([year.startS], 's');
      figures['central peak RSS @year'] = summarize([year.rss], 'MB');
      const onPg: Ratio[] = [];
      if (pg) {
        for (const [k, s] of LOADS) {
          const [p, y] = [pg[s], year[s]];
          figures[`${k} @year PostgreSQL`] = lat(p);
          figures[`${k} @year PostgreSQL, connected (p99 after each connection's first answer)`] = summarize(
            [p.p99Connected],
            'ms',
          );
          figures[`${k} @year PostgreSQL throughput`] = summarize([p.rps], 'req/s');
          figures[`${k} central CPU per request @year PostgreSQL`] = summarize([p.cpuMs], 'ms');
          onPg.push({
            label: `${k} p99 PostgreSQL/lowdb @year`,
            value: summarize([p.p99 / y.p99], 'x'),
            subject: `${k} with ${YEAR} cases in PostgreSQL (central --store)`,
            baseline: 'the same requests with the same year in lowdb (this run)',
            meaning: '1.0 = as fast; < 1 = PostgreSQL answers the tail sooner',
          });
        }
        figures['list, one request at a time @year PostgreSQL'] = pg.listOne;
        figures['queue, one request at a time @year PostgreSQL'] = pg.queueOne;
        figures['central start @year PostgreSQL'] = summarize([pg.startS], 's');
        figures['central peak RSS @year PostgreSQL'] = summarize([pg.rss], 'MB');
      }
      const bad = [year, day, ...(pg ? [pg] : [])]
        .flatMap((s) => [s.list, s.queue, s.intake, s.queueDistinct])
        .map((l) => l.non2xx);
      if (bad.some((b) => b > 0))
        throw new Error(`non-2xx answers or timeouts under load (list/queue/intake, year then day): ${bad}`);
      const answers = (l: Load) => JSON.stringify(l.codes);
      return {
        ratios: [...LOADS.map(([k, s]) => ratio(k, year[s], day[s])), ...onPg],
        figures,
        notes: [
          `autocannon ${CONNECTIONS} connections, ${DURATION_S} s per list scenario, ${TRANSITIONS} register requests (each on a distinct case); year: ${YEAR} cases, ${REPORTED} of them reported; list/queue/intake with no non-2xx answers or timeouts (autocannon's 10 s); central's API rate limit lifted (CG_API_RATE_PER_S) for the load test`,
          centralEntryNote(),
          `register answers (status: count): year ${answers(year.act)}, day ${answers(day.act)}${pg ? `, year on PostgreSQL ${answers(pg.act)}` : ''}`,
          pg
            ? `PostgreSQL: the same year bulk-loaded into a database of its own on 127.0.0.1:5432, central with --store (pool of 10 connections), same requests`
            : `PostgreSQL scenario skipped: ${pgDown}`,
          `load average at the end: ${loadavg()
            .map((l) => l.toFixed(1))
            .join(' / ')} (1/5/15 min; the box is shared)`,
          "latency figures: median column = p50, spread column = p50..p99 of autocannon's histogram (one load run each)",
        ],
      };
    } finally {
      await nats.dispose();
    }
  },
};
export default bench;
