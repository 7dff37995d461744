/**
 * @module bench/store-scale
 * Per-operation cost of central's case path as the store grows: one incident through
 * `CaseService.ingestIncident` (from-incident → duplicate search → LowdbCaseStore.commit with its
 * journal append), one `register` transition, one list query (`listCases`, first page, no filter
 * and `state=reported`), one metrics count — each with N generated cases stored (a year, with
 * histories). In-process, no NATS: this isolates central's own cost from JetStream's.
 *
 *   nice -n 10 npx tsx bench/store-scale.ts [sizes=10000,100000]
 *   nice -n 10 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/store-scale.ts 100000
 */

import { CaseQuery, listCases } from '../central/cases/query.js';
import { Incident } from '../protocol/index.js';
import { centralWithCases, incidents } from './lib/central.js';

const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
const INCIDENTS = 500;
const TRANSITIONS = 200;
const LISTS = 20;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];
async function time(
  n: number,
  f: (i: number) => unknown,
): Promise<{ p50: number; p99: number; mean: number }> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f(i);
    xs.push(performance.now() - t0);
  }
  const r = (x: number) => +x.toFixed(3);
  return { p50: r(median(xs)), p99: r(p99(xs)), mean: r(xs.reduce((a, b) => a + b, 0) / n) };
}

for (const n of sizes) {
  const lc = await centralWithCases(n, { reported: Math.min(n, 2000) });
  try {
    const { svc, users } = lc.central;
    const store = lc.central.embedded!;
    const op = users.byToken('demo-operator')!;
    const admin = users.byToken('demo-admin') ?? op;
    const reported = store
      .allCases()
      .filter((c) => c.state === 'reported')
      .slice(0, TRANSITIONS);
    const incs = incidents(INCIDENTS, n).map((i) => Incident.parse(i));
    const ingest = await time(INCIDENTS, (i) => svc.ingestIncident(incs[i]));
    const register = await time(reported.length, (i) => svc.act(reported[i].id, 'register', {}, op));
    const listAll = await time(LISTS, () => listCases(svc, CaseQuery.parse({}), admin));
    const listReported = await time(LISTS, () =>
      listCases(svc, CaseQuery.parse({ state: 'reported' }), admin),
    );
    const stateCount = await time(LISTS, () => store.countByState());
    console.log(
      JSON.stringify({
        stored: n,
        openS: lc.openS,
        ingestMs: ingest,
        registerMs: register,
        listAllMs: listAll,
        listReportedMs: listReported,
        countByStateMs: stateCount,
      }),
    );
  } finally {
    await lc.dispose();
  }
}
