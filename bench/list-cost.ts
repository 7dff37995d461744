/**
 * @module bench/list-cost
 * What one list request costs central with a year stored, without the load generator on the same
 * cores: bytes allocated per request through the whole app (`central.app.request`: auth, query
 * parse, `cases.list`, list items, JSON), for the case list, the work queue and the intake queue,
 * and the heap a year keeps resident. Bytes are read as heap growth over a batch with no garbage
 * collection inside it (a large young generation; batches that saw a GC are dropped). CPU is read
 * only in the concurrent phase: the forced collections between batches leave background sweeping
 * that process CPU time would count.
 * First, right after the year is opened (no forced GC yet), 200 list requests kept in flight for
 * 8 s: latency, CPU per request and the collector's pauses, minor and major (is GC the tail?);
 * these are identical, so they share pages as the consoles' requests do. The bytes are then
 * counted for requests that each want another page. The young generation here is the large one the byte count
 * needs, so scavenges are fewer and longer than in central (V8's default); the major collections
 * walk the same year.
 *
 *   nice -n 10 node --expose-gc --max-semi-space-size=256 --import tsx bench/list-cost.ts [cases=240000]
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { centralWithCases } from './lib/central.js';

const N = Number(process.argv[2] ?? 240_000);
const REQUESTS = 1000;
const BATCH = 50;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let gcs = 0;
/** pauses (ms) by kind while `pauses` is set: minor (scavenge) and major (mark-compact) */
let pauses: { minor: number[]; major: number[] } | undefined;
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) {
    gcs++;
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    // NODE_PERFORMANCE_GC_MAJOR = 4, MINOR = 1 (incremental marking and weak callbacks counted as major)
    if (pauses) (kind === 1 ? pauses.minor : pauses.major).push(e.duration);
  }
}).observe({ entryTypes: ['gc'] });
/** GC entries are delivered asynchronously: let them arrive before reading the count */
const settle = () => new Promise((r) => setTimeout(r, 20));

const lc = await centralWithCases(N, { reported: Math.min(N, 20_000), openDays: 45 });
try {
  const { app } = lc.central;
  const auth = { authorization: 'Bearer demo-operator' };
  // first, as central runs right after opening the year (no forced GC yet): 200 list requests
  // kept in flight for 8 s, their latency in this process and the collector's pauses
  pauses = { minor: [], major: [] };
  const lat: number[] = [];
  const c0 = process.cpuUsage();
  const until = Date.now() + 8000;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (Date.now() < until) {
        const t0 = performance.now();
        const x = await app.request('/api/cases?limit=50', { headers: auth });
        await x.arrayBuffer();
        lat.push(performance.now() - t0);
      }
    }),
  );
  const c = process.cpuUsage(c0);
  await settle();
  lat.sort((a, b) => a - b);
  const sum = (xs: number[]) => +xs.reduce((a, b) => a + b, 0).toFixed(1);
  const ms = (x: number) => +x.toFixed(1);
  const concurrent = {
    requests: lat.length,
    p50Ms: ms(lat[lat.length >> 1]!),
    p99Ms: ms(lat[Math.floor(lat.length * 0.99)]!),
    cpuMsPerRequest: +((c.user + c.system) / 1000 / lat.length).toFixed(3),
    minorGcs: pauses.minor.length,
    minorGcMs: sum(pauses.minor),
    majorGcs: pauses.major.length,
    majorGcMs: sum(pauses.major),
    longestPauseMs: ms(Math.max(0, ...pauses.minor, ...pauses.major)),
  };
  pauses = undefined;
  gc();
  const resident = process.memoryUsage().heapUsed / 2 ** 20;
  const out: Record<string, unknown> = { stored: N, residentHeapMB: +resident.toFixed(0), concurrent };
  for (const [name, path] of [
    ['list', '/api/cases?limit=50'],
    ['queue', '/api/cases?state=dispatched,processing,feedback&limit=50'],
    ['intake', '/api/cases?state=reported&limit=50'],
  ] as const) {
    // each request a page of its own (offsets 0-999): an identical one would get the page made
    // before it (central/cases/page-cache.ts), and this is what making one costs
    let page = 0;
    const one = async () => {
      const r = await app.request(`${path}&offset=${page++ % 1000}`, { headers: auth });
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
      return (await r.arrayBuffer()).byteLength;
    };
    for (let i = 0; i < 200; i++) await one(); // warm up (JIT)
    let bytes = 0;
    let counted = 0;
    let body = 0;
    for (let done = 0; done < REQUESTS; done += BATCH) {
      gc();
      await settle();
      const g0 = gcs;
      const h0 = process.memoryUsage().heapUsed;
      for (let i = 0; i < BATCH; i++) body = await one();
      const h1 = process.memoryUsage().heapUsed;
      await settle();
      if (gcs === g0) {
        bytes += h1 - h0;
        counted += BATCH;
      }
    }
    out[name] = {
      kBAllocatedPerRequest: counted ? +(bytes / 1024 / counted).toFixed(1) : 'every batch saw a GC',
      batchesWithoutGc: counted / BATCH,
      responseKB: +(body / 1024).toFixed(1),
    };
  }
  console.log(JSON.stringify(out, null, 2));
} finally {
  await lc.dispose();
}
