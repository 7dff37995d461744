/**
 * @module bench/benchmarks
 * The registry: name → lazily imported benchmark, in the order `npm run bench` runs them.
 */
import type { Benchmark } from './lib/types.js';

export const BENCHMARKS: Record<string, () => Promise<{ default: Benchmark }>> = {
  nmea: () => import('./nmea.bench.js'),
  can: () => import('./can.bench.js'),
  jt808: () => import('./jt808.bench.js'),
  camera: () => import('./camera.bench.js'),
  gateway: () => import('./gateway.bench.js'),
  ingest: () => import('./ingest.bench.js'),
  api: () => import('./api.bench.js'),
  e2e: () => import('./e2e.bench.js'),
  scoring: () => import('./scoring.bench.js'),
  store: () => import('./store.bench.js'),
  'ingest-pg': () => import('./ingest-pg.bench.js'),
};
