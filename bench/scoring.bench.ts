/**
 * @module bench/scoring
 * Monthly scoring of a month of 20,000 cases over the demo city's organisation (254 units, the
 * 200+ assessed ones scored): `ScoringService.monthly.monthScores` (events + indicators + the weighted
 * level result), `indicators` and `annual` (12 months), against a floor: one bare pass over
 * the same cases counting them per unit (what any scorer must at least do).
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
import { generateCases } from './lib/cases.js';
import { demoCity } from './lib/central.js';
import { paired, rate, summarize } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const N = 20_000;
const MONTH = '2026-10';

const bench: Benchmark = {
  name: 'scoring',
  title: 'scoring a month of 20,000 cases, 200+ units',
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
      return {
        ratios: [
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
        },
        notes: [
          `${N} generated cases in ${MONTH} (lives as central records them, bench/lib/cases.ts), org of ${svc.tree.units.size} units from the demo city seed, ${assessed} members at the root level, ${members} scored`,
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
