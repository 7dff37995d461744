/**
 * @module bench/lowdb-scale
 * How the lowdb store scales: the cost of one transition commit with 1k cases stored vs with a
 * year's 100k (each with an 8-entry history), the checkpoint of one month, and reopening.
 * A ratio near 1 for commits means no whole-database rewrite per transition.
 *
 *   nice -n 10 npx tsx bench/lowdb-scale.ts [cases=100000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseRecord } from '../central/cases/model.js';
import { LowdbCaseStore } from '../central/store/lowdb.js';
import { newId } from '../protocol/index.js';

const N = Number(process.argv[2] ?? 100_000);
const YEAR_START = Date.parse('2026-01-01T00:00:00Z');
const SPACING = (365 * 86400_000) / N;

function fake(i: number): CaseRecord {
  const t = YEAR_START + i * SPACING;
  const at = new Date(t).toISOString();
  return {
    id: newId(t),
    createdAt: at,
    updatedAt: at,
    source: 'collector',
    reporter: { id: 'u-collector', role: 'collector', collectorId: 'col-001' },
    refs: { incidentIds: [] },
    state: 'closed',
    category: '01.02',
    description: '路面暴露垃圾，请及时清理',
    location: { lat: 30.2, lon: 120.1, gridCode: '330102001001001', streetId: 'dc-s001', areaId: 'dc' },
    unitId: 'dc-hw',
    deadlineSpec: { value: 2, unit: 'workHours' },
    counts: { dispatches: 1, returns: 0, reworks: 0, extensions: 0 },
    evidence: [
      { name: `att-${i}.jpg`, contentType: 'image/jpeg', role: 'photo', origin: 'upload', addedAt: at },
    ],
    verificationEvidence: [],
    duplicateCandidates: [],
    mergedFrom: [],
    history: Array.from({ length: 8 }, (_, k) => ({
      seq: k + 1,
      at,
      action: 'dispatch' as const,
      actor: { id: 'u-operator', role: 'operator' as const },
      note: '处理意见',
    })),
  };
}

async function commitCost(s: LowdbCaseStore, n: number): Promise<number> {
  const last = s.allCases()[0];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = structuredClone(last);
    c.updatedAt = new Date().toISOString();
    await s.commit({ cases: [c] });
  }
  return (performance.now() - t0) / n;
}

async function fill(s: LowdbCaseStore, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 1000)
    await s.commit({ cases: Array.from({ length: Math.min(1000, to - i) }, (_, k) => fake(i + k)) });
  await s.checkpoint();
}

const dir = mkdtempSync(join(tmpdir(), 'cg-central-store-bench-'));
try {
  const s = new LowdbCaseStore({ dir, checkpointMs: 3_600_000 });
  await s.open();
  await fill(s, 0, 1000);
  const small = await commitCost(s, 200);
  await fill(s, 1000, N);
  const large = await commitCost(s, 200);
  let t0 = performance.now();
  await s.checkpoint();
  const checkpoint = performance.now() - t0;
  await s.close();
  t0 = performance.now();
  const r = new LowdbCaseStore({ dir });
  await r.open();
  const reopen = performance.now() - t0;
  const heapMb = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  await r.close();
  console.log(
    JSON.stringify(
      {
        cases: r.allCases().length,
        commitMsAt1k: +small.toFixed(3),
        commitMsAtN: +large.toFixed(3),
        ratio: +(large / small).toFixed(2),
        checkpointOneMonthMs: Math.round(checkpoint),
        reopenMs: Math.round(reopen),
        heapMbAfterReopen: heapMb,
      },
      null,
      1,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
