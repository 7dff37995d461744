/**
 * @module bench/lib/types
 * The shape every benchmark file exports and the result it returns.
 */
import type { Summary } from './stats.js';

/** Subject against a baseline measured in the same run on the same input. */
export interface Ratio {
  label: string;
  /** subject / baseline, per paired run */
  value: Summary;
  subject: string;
  baseline: string;
  /** how to read it, e.g. "higher is better; 1.0 = as fast as the baseline" */
  meaning: string;
}

export interface BenchResult {
  name: string;
  title: string;
  ratios: Ratio[];
  /** absolute figures, each a median and spread over repeated runs or samples */
  figures: Record<string, Summary>;
  /** what was used, what was not available, what limits the number */
  notes: string[];
  /** filled by the runner */
  peakRssMB?: number;
  wallS?: number;
  at?: string;
  error?: string;
}

export interface Benchmark {
  name: string;
  title: string;
  /** seconds it may run before the runner kills it, where more than BENCH_TIMEOUT_S (300) */
  timeoutS?: number;
  run(): Promise<Omit<BenchResult, 'name' | 'title'>>;
}
