/**
 * @module bench/scoring
 * Monthly scoring of a month of 20,000 cases over the demo city's organisation (254 units, the
 * 200+ assessed ones scored): `ScoringService.monthly.monthScores` (events + indicators + the weighted
 * level result), `indicators` and `annual` (12 months), against a floor: one bare pass over
 * the same cases counting them per unit (what any scorer must at least do).
 *
 * PostgreSQL (when 127.0.0.1:5432 answers): the same month (October, 5,000 cases) scored through
 * the storage contract with 10k and with 100k cases stored (the rest from the 9 months before,
 * bulk-loaded as bench/store.bench.ts does), interleaved runs: scoring reads the month's
 * aggregates and the month's cases only, so the ratio should stay near 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orgFromCity } from '../central/scoring/org.js';
import { loadRules } from '../central/scoring/rules.js';
import { ScoringService } from '../central/scoring/service.js';
import { ScoringStore } from '../central/scoring/store.js';
import { LowdbAdapter } from '../central/store/contract/lowdb-adapter.js';
import { MemoryCaseStore } from '../central/store/memory.js';
import { PgStore } from '../central/store/postgres/index.js';
import { createTestDatabase, postgresUnreachable } from '../test/support/postgres.js';
import { generateCases } from './lib/cases.js';
import { demoCity } from './lib/central.js';
import { bulkLoad } from './lib/pg-load.js';
import { paired, rate, summarize } from './lib/stats.js';
import type { Benchmark, BenchResult } from './lib/types.js';

const N = 20_000;
const MONTH = '2026-10';
const PG_MONTH_CASES = 5_000;
const PG_SIZES = [10_000, 100_000] as const;

/** October scored on PostgreSQL with 10k and with 100k stored cases. */
async function onPostgres(city: ReturnType<typeof demoCity>): Promise<Partial<BenchResult>> {
  const down = await postgresUnreachable();
  if (down) return { notes: [`PostgreSQL part skipped: ${down}`] };
  const month = generateCases(city, {
    n: PG_MONTH_CASES,
    days: 31,
    end: new Date('2026-10-31T16:00:00Z'),
    reported: 50,
    seed: 7,
  });
  const older = generateCases(city, {
    n: PG_SIZES[1] - PG_MONTH_CASES,
    days: 273,
    end: new Date('2026-09-30T16:00:00Z'),
    reported: 0,
    seed: 8,
  });
  const opened: { pg: PgStore; drop: () => Promise<void> }[] = [];
  try {
    const svcs: ScoringService[] = [];
    const notes: string[] = [];
    for (const size of PG_SIZES) {
      const db = await createTestDatabase(`bench_scoring_${size}`);
      const pg = new PgStore({ url: db.url, max: 4 });
      opened.push({ pg, drop: db.drop });
      await pg.open();
      const t0 = Date.now();
      // the 10k store holds October and the newest older cases (those still open in October)
      await bulkLoad(pg, [[...month, ...older.slice(older.length - (size - PG_MONTH_CASES))]]);
      notes.push(`PostgreSQL ${size / 1000}k: bulk load ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      svcs.push(
        new ScoringService({
          store: pg.scoring,
          org: orgFromCity(city),
          rules: loadRules(),
          utcOffsetMinutes: 480,
          now: () => new Date('2026-11-02T01:00:00Z'),
        }),
      );
    }
    const score = (svc: ScoringService) => async () => {
      await svc.monthly.monthScores(MONTH);
      return 1;
    };
    const p = await paired(score(svcs[1]), score(svcs[0]), { runs: 5, warmup: 1 });
    const toMs = (rates: number[]) => rates.map((r) => 1000 / r);
    return {
      ratios: [
        {
          label: 'PostgreSQL monthScores 100k/10k stored speed',
          value: p.ratio,
          subject: 'monthly.monthScores on PgStore with 100k cases stored',
          baseline: 'the same month on PgStore with 10k cases stored',
          meaning: '1.0 = scoring a month does not slow down with the cases stored; < 1 = slower at 100k',
        },
      ],
      figures: {
        'PostgreSQL monthScores @10k': summarize(toMs(p.baseline), 'ms'),
        'PostgreSQL monthScores @100k': summarize(toMs(p.subject), 'ms'),
      },
      notes: [
        ...notes,
        `PostgreSQL: October = ${PG_MONTH_CASES} generated cases; the stores differ only in older cases (Jan–Sep)`,
      ],
    };
  } finally {
    for (const o of opened) {
      await o.pg.close();
      await o.drop();
    }
  }
}

const bench: Benchmark = {
  name: 'scoring',
  title: 'scoring a month of 20,000 cases, 200+ units; on PostgreSQL at 10k vs 100k stored',
  async run() {
    const city = demoCity();
    const org = orgFromCity(city);
    // October in China: 2026-09-30T16:00Z .. 2026-10-31T16:00Z; lives finish by Nov 2
    const cases = generateCases(city, {
      n: N,
      days: 31,
      end: new Date('2026-10-31T16:00:00Z'),
      reported: 200,
    });
    const dir = mkdtempSync(join(tmpdir(), 'cg-bench-scoring-'));
    try {
      const caseStore = new MemoryCaseStore();
      await caseStore.commit({ cases, incidents: [], idempotency: [] });
      const store = new LowdbAdapter(caseStore, new ScoringStore(dir));
      await store.open();
      const svc = new ScoringService({
        store: store.scoring,
        org,
        rules: loadRules(),
        utcOffsetMinutes: 480,
        now: () => new Date('2026-11-02T01:00:00Z'),
      });
      const assessed = svc.tree.members(svc.ctx.level(undefined), svc.rules).length;
      let members = 0;
      const month = async () => {
        members = (await svc.monthly.monthScores(MONTH)).result.members.length;
        return 1;
      };
      const floor = () => {
        const per = new Map<string, number>();
        for (const c of cases) {
          const u = c.unitId ?? c.proposedUnitId ?? '';
          if (c.createdAt.startsWith(MONTH)) per.set(u, (per.get(u) ?? 0) + 1);
        }
        return per.size > 0 ? 1 : 0;
      };
      const p = await paired(month, floor, { runs: 7, warmup: 1 });
      const toMs = (rates: number[]) => rates.map((r) => 1000 / r);
      const ind = await rate(
        async () => {
          await svc.monthly.indicators(MONTH);
          return 1;
        },
        { runs: 5 },
      );
      const annual = await rate(
        async () => {
          await svc.monthly.annual(2026);
          return 1;
        },
        { runs: 3 },
      );
      const pg = await onPostgres(city);
      return {
        ratios: [
          ...(pg.ratios ?? []),
          {
            label: 'monthScores/floor-pass speed',
            value: p.ratio,
            subject: 'ScoringService.monthly.monthScores (root level, lowdb adapter)',
            baseline: 'one bare pass over the same cases counting per unit',
            meaning: 'monthScores speed as a fraction of the floor; 1.0 = as cheap as one pass',
          },
        ],
        figures: {
          'monthScores (root)': summarize(toMs(p.subject), 'ms'),
          'floor pass': summarize(toMs(p.baseline), 'ms'),
          indicators: summarize(toMs(ind), 'ms'),
          'annual (12 months)': summarize(toMs(annual), 'ms'),
          ...pg.figures,
        },
        notes: [
          ...(pg.notes ?? []),
          `${N} generated cases in ${MONTH} (lives as central records them, bench/lib/cases.ts), org of ${svc.tree.units.size} units from the demo city seed, ${assessed} members at the root level, ${members} scored`,
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
