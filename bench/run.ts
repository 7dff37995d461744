/**
 * @module bench/run
 * `npm run bench` runs every benchmark; `npm run bench -- nmea camera` runs the ones named.
 * Each benchmark runs in its own child process (own peak RSS, own crash), one after another;
 * the table goes to stdout and the results are merged into bench/results/latest.json (one entry
 * per benchmark, each with its own time, plus the machine it ran on).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHMARKS } from './benchmarks.js';
import { consoleTable, updateBenchmarksMd } from './lib/report.js';
import type { BenchResult } from './lib/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const OUT = join(HERE, 'results', 'latest.json');
/** a benchmark that runs longer than this is killed and reported as failed */
const PER_BENCH_S = Number(process.env.BENCH_TIMEOUT_S ?? 300);

const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = args.filter((a) => !BENCHMARKS[a]);
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
const names = args.length ? args : Object.keys(BENCHMARKS);

function machine() {
  const git = (a: string[]) => {
    try {
      return execFileSync('git', a, { cwd: ROOT }).toString().trim();
    } catch {
      return undefined;
    }
  };
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model,
    node: process.version,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    commit: git(['rev-parse', '--short', 'HEAD']),
    at: new Date().toISOString(),
  };
}

async function runOne(name: string): Promise<BenchResult> {
  // a benchmark that loads a million cases may say it needs longer than the default
  const limitS = Math.max(PER_BENCH_S, (await BENCHMARKS[name]()).default.timeoutS ?? 0);
  const dir = mkdtempSync(join(tmpdir(), 'cg-bench-'));
  const file = join(dir, 'result.json');
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // --expose-gc: a benchmark collects its own set-up garbage before it measures (bench/lib/stats `settleHeap`)
      ['--max-old-space-size=8192', '--expose-gc', '--import', 'tsx', join(HERE, 'child.ts'), name, file],
      {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' },
      },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), limitS * 1000);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      const result = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResult) : undefined;
      rmSync(dir, { recursive: true, force: true });
      if (result) return resolve(result);
      resolve({
        name,
        title: name,
        ratios: [],
        figures: {},
        notes: [],
        error: sig ? `killed by ${sig} (limit ${limitS} s)` : `exited ${code} without a result`,
      });
    });
  });
}

const before = machine();
console.log(
  `bench: ${names.join(', ')} on ${before.nproc}x ${before.cpu}, node ${before.node}, load ${before.loadavg}`,
);
const results: BenchResult[] = [];
for (const n of names) {
  console.log(`\n== ${n}`);
  const r = await runOne(n);
  results.push(r);
  if (r.error) console.log(`${n} FAILED: ${r.error}`);
}
console.log(`\n${consoleTable(results)}`);

mkdirSync(dirname(OUT), { recursive: true });
const prev = existsSync(OUT)
  ? (JSON.parse(readFileSync(OUT, 'utf8')) as { results?: Record<string, BenchResult> })
  : {};
const merged = { ...(prev.results ?? {}) };
for (const r of results) merged[r.name] = r;
const ordered = Object.fromEntries(
  Object.keys(BENCHMARKS)
    .filter((k) => merged[k])
    .map((k) => [k, merged[k]]),
);
const m = { ...machine(), loadavgBefore: before.loadavg };
writeFileSync(OUT, `${JSON.stringify({ machine: m, ran: names, results: ordered }, null, 1)}\n`);
console.log(`\nwrote ${OUT}`);
if (updateBenchmarksMd(join(ROOT, 'BENCHMARKS.md'), ordered, m))
  console.log('updated the results section of BENCHMARKS.md');
process.exit(results.some((r) => r.error) ? 1 : 0);
