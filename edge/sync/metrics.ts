/**
 * @module edge/sync/metrics
 * A gateway's configuration sync on its Prometheus registry (edge/metrics.ts): the synced
 * version running (0 = the local file), versions applied and refused, and whether the KV watch
 * is up.
 */
import type { Registry } from 'prom-client';
import { readAtScrape } from '../prom.js';
import type { SyncStats } from './index.js';

export function registerSyncMetrics(reg: Registry, gateway: string, stats: () => SyncStats): void {
  const add = (type: 'gauge' | 'counter', name: string, help: string, read: (s: SyncStats) => number) =>
    readAtScrape(reg, type, name, help, [], () => [[{ gateway }, read(stats())]]);
  add(
    'gauge',
    'cg_config_version',
    'synced configuration version running (0 = local file)',
    (s) => s.version ?? 0,
  );
  add('counter', 'cg_config_applied_total', 'synced versions applied', (s) => s.applied);
  add(
    'counter',
    'cg_config_refused_total',
    'synced versions refused (invalid); the old one kept running',
    (s) => s.refused,
  );
  add('gauge', 'cg_config_watching', '1 while the KV watch is up', (s) => (s.watching ? 1 : 0));
}
