/**
 * @module bench/child
 * Runs ONE benchmark in its own process so its peak RSS is its own:
 *   node --import tsx bench/child.ts <name> <out.json>
 */
import { writeFileSync } from 'node:fs';
import { BENCHMARKS } from './benchmarks.js';
import type { BenchResult } from './lib/types.js';

const [name, outFile] = process.argv.slice(2);
const load = BENCHMARKS[name];
if (!load || !outFile) {
  console.error(`usage: child.ts <${Object.keys(BENCHMARKS).join('|')}> <out.json>`);
  process.exit(2);
}
const t0 = Date.now();
const { default: b } = await load();
let result: BenchResult;
try {
  result = { name, title: b.title, ...(await b.run()) };
} catch (e) {
  result = {
    name,
    title: b.title,
    ratios: [],
    figures: {},
    notes: [],
    error: (e as Error).stack ?? String(e),
  };
}
result.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
result.wallS = Math.round((Date.now() - t0) / 100) / 10;
result.at = new Date().toISOString();
writeFileSync(outFile, JSON.stringify(result));
// handles left by clients (sockets, timers) must not keep a finished benchmark alive
process.exit(result.error ? 1 : 0);
