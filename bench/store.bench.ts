/**
 * @module bench/store
 * The PostgreSQL store against the lowdb store, both through the storage contract
 * (`PgStore` and `LowdbAdapter` over `LowdbCaseStore`), per operation, at 10k and at 100k stored
 * cases (a year of the demo city's cases with realistic lives, bench/lib/cases.ts):
 * - create: commit one new case (PostgreSQL: one transaction with its history row, evidence
 *   names and notification; lowdb: memory + the journal line, group-committed)
 * - transition: read a case, register it, commit at the version read
 * - queue: the confirmation queue's first page (state `reported`, newest first, total)
 * - unit list: one unit's open cases, first page
 * Interleaved A/B runs (bench/lib/stats `paired`): PostgreSQL's ops/s as a fraction of lowdb's
 * in the same run. PostgreSQL is the machine's own (127.0.0.1:5432) in a database made and
 * dropped here; the stored cases are bulk-inserted (the same rows the store writes), lowdb's
 * are written as its month partitions and loaded by `open()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScoringStore } from '../central/scoring/store.js';
import { advance, fixtureCase } from '../central/store/contract/fixtures.js';
import type { CentralStore, StoredCase } from '../central/store/contract/index.js';
import { LowdbAdapter } from '../central/store/contract/lowdb-adapter.js';
import { LowdbCaseStore } from '../central/store/lowdb.js';
import { PgStore } from '../central/store/postgres/index.js';
import { createTestDatabase, postgresUnreachable } from '../test/support/postgres.js';
import { generateCases, writePartitions } from './lib/cases.js';
import { demoCity } from './lib/central.js';
import { bulkLoad } from './lib/pg-load.js';
import type { Summary } from './lib/stats.js';
import { paired, summarize } from './lib/stats.js';
import type { Benchmark, Ratio } from './lib/types.js';

const SIZES = [10_000, 100_000];
const BATCH = 40;
const RUNS = 5;
const END = new Date('2026-11-30T16:00:00Z');

/** The four operations on one store; created cases feed the transitions. */
function ops(store: CentralStore, unitId: string) {
  const fresh: StoredCase[] = [];
  let t = END.getTime();
  return {
    async create() {
      for (let i = 0; i < BATCH; i++) {
        const c = fixtureCase({
          at: new Date(++t).toISOString(),
          gridCode: '430407001001001',
          lat: 26.89,
          lon: 112.57,
        });
        await store.cases.commit({ cases: [{ case: c, expectedVersion: 0 }] });
        fresh.push({ case: c, version: 1 });
      }
      return BATCH;
    },
    async transition() {
      for (let i = 0; i < BATCH; i++) {
        const next = fresh.shift();
        if (!next) throw new Error('no created case left to transition');
        const cur = (await store.cases.get(next.case.id))!;
        const c = advance(cur.case, 'register', 'registered', new Date(++t).toISOString());
        await store.cases.commit({ cases: [{ case: c, expectedVersion: cur.version }] });
      }
      return BATCH;
    },
    async queue() {
      for (let i = 0; i < BATCH; i++)
        await store.cases.list({ states: ['reported'] }, { offset: 0, limit: 50 });
      return BATCH;
    },
    async unitList() {
      for (let i = 0; i < BATCH; i++)
        await store.cases.list(
          { unitId, states: ['dispatched', 'processing', 'extension_pending', 'returned', 'feedback'] },
          { offset: 0, limit: 50 },
        );
      return BATCH;
    },
  };
}

const bench: Benchmark = {
  name: 'store',
  title: 'PostgreSQL vs lowdb store: create / transition / list at 10k and 100k cases',
  async run() {
    const down = await postgresUnreachable();
    if (down) throw new Error(down);
    const all = generateCases(demoCity(), { n: SIZES.at(-1)!, days: 365, end: END, reported: 2000 });
    const unitId = all.find((c) => c.unitId)?.unitId ?? '';
    const db = await createTestDatabase('bench_store');
    const dir = mkdtempSync(join(tmpdir(), 'cg-bench-store-'));
    const ratios: Ratio[] = [];
    const figures: Record<string, Summary> = {};
    const notes: string[] = [];
    const pg = new PgStore({ url: db.url, max: 4 });
    try {
      await pg.open();
      let loaded = 0;
      for (const size of SIZES) {
        const add = all.slice(loaded, size);
        const t0 = Date.now();
        await bulkLoad(pg, [add]);
        loaded = size;
        const pgLoadS = (Date.now() - t0) / 1000;
        // lowdb: a fresh directory with the first `size` cases as partitions, loaded by open()
        const lowDir = join(dir, `low-${size}`);
        writePartitions(join(lowDir, 'cases'), all.slice(0, size));
        const low = new LowdbAdapter(
          new LowdbCaseStore({ dir: join(lowDir, 'cases') }),
          new ScoringStore(lowDir),
        );
        const t1 = Date.now();
        await low.open();
        const lowOpenS = (Date.now() - t1) / 1000;
        notes.push(
          `${size / 1000}k: PostgreSQL bulk load of ${add.length} cases ${pgLoadS.toFixed(1)} s, lowdb open ${lowOpenS.toFixed(1)} s`,
        );
        const a = ops(pg, unitId);
        const b = ops(low, unitId);
        for (const op of ['create', 'transition', 'queue', 'unitList'] as const) {
          const p = await paired(a[op], b[op], { runs: RUNS, warmup: 1 });
          const k = `${size / 1000}k`;
          ratios.push({
            label: `${op} at ${k}: PostgreSQL/lowdb speed`,
            value: p.ratio,
            subject: `PgStore ${op}`,
            baseline: `LowdbAdapter ${op}`,
            meaning: 'PostgreSQL ops/s as a fraction of lowdb; 1.0 = as fast, < 1 = slower',
          });
          figures[`${op} ${k} PostgreSQL`] = summarize(p.subject, 'ops/s');
          figures[`${op} ${k} lowdb`] = summarize(p.baseline, 'ops/s');
        }
        await low.close();
        rmSync(lowDir, { recursive: true, force: true });
      }
      notes.push(
        `PostgreSQL 15 on the same 2-core box (synchronous_commit on: every commit is fsynced); lowdb with fsync off (its default: a SIGKILL loses nothing, a power cut may). Single client, one operation at a time: latency per operation, not throughput under concurrency.`,
      );
    } finally {
      await pg.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
    return { ratios, figures, notes };
  },
};
export default bench;
