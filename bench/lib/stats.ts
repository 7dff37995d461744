/**
 * @module bench/lib/stats
 * Summaries of repeated measurements: median and spread (min/max), percentiles of latency
 * samples, and the repeat loop every benchmark uses.
 */

export interface Summary {
  /** what was measured, e.g. "sentences/s" */
  unit: string;
  median: number;
  min: number;
  max: number;
  /** number of repeated runs (or samples for latency) */
  n: number;
  p50?: number;
  p99?: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** Summary of repeated throughput/time runs. */
export function summarize(values: readonly number[], unit: string): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { unit, median: quantile(s, 0.5), min: s[0], max: s[s.length - 1], n: s.length };
}

/** Summary of latency samples, with p50 and p99. */
export function latency(samplesMs: readonly number[], unit = 'ms'): Summary {
  const s = [...samplesMs].sort((a, b) => a - b);
  return { ...summarize(s, unit), p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
}

/**
 * Run `once` `runs` times after `warmup` unmeasured runs; each returns the work count it did;
 * the result is work per second per run.
 */
export async function rate(
  once: () => number | Promise<number>,
  opts: { runs?: number; warmup?: number } = {},
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < (opts.warmup ?? 1); i++) await once();
  for (let i = 0; i < (opts.runs ?? 7); i++) {
    const t0 = process.hrtime.bigint();
    const work = await once();
    const ns = Number(process.hrtime.bigint() - t0);
    out.push(work / (ns / 1e9));
  }
  return out;
}

/**
 * Interleaved A/B: alternate subject and baseline run by run, so machine noise (other
 * processes on a shared box) hits both alike. Returns both rate lists and the median ratio of
 * the paired runs (subject / baseline).
 */
export async function paired(
  subject: () => number | Promise<number>,
  baseline: () => number | Promise<number>,
  opts: { runs?: number; warmup?: number } = {},
): Promise<{ subject: number[]; baseline: number[]; ratio: Summary }> {
  const a: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < (opts.warmup ?? 1); i++) {
    await subject();
    await baseline();
  }
  for (let i = 0; i < (opts.runs ?? 7); i++) {
    const [x] = await rate(subject, { runs: 1, warmup: 0 });
    const [y] = await rate(baseline, { runs: 1, warmup: 0 });
    a.push(x);
    b.push(y);
    r.push(x / y);
  }
  return { subject: a, baseline: b, ratio: summarize(r, 'x') };
}

export const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/**
 * Collect the benchmark process's own garbage (a generated year is ~1 GB) before a measurement,
 * so the load generator does not run a major GC on the shared cores while it measures. Needs
 * `--expose-gc` (bench/run.ts passes it); a no-op without.
 */
export function settleHeap(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
