/**
 * @module edge/sync/metrics
 * Prometheus lines for a gateway's configuration sync, to append to edge/metrics.ts's output:
 * the synced version running (0 = the local file), versions applied and refused, and whether
 * the KV watch is up.
 */
import type { SyncStats } from './index.js';

export function renderSyncMetrics(gatewayId: string, s: SyncStats): string {
  const gid = `gateway="${gatewayId}"`;
  return [
    '# HELP cg_config_version synced configuration version running (0 = local file)',
    '# TYPE cg_config_version gauge',
    `cg_config_version{${gid}} ${s.version ?? 0}`,
    '# TYPE cg_config_applied_total counter',
    `cg_config_applied_total{${gid}} ${s.applied}`,
    '# HELP cg_config_refused_total synced versions refused (invalid); the old one kept running',
    '# TYPE cg_config_refused_total counter',
    `cg_config_refused_total{${gid}} ${s.refused}`,
    '# TYPE cg_config_watching gauge',
    `cg_config_watching{${gid}} ${s.watching ? 1 : 0}`,
    '',
  ].join('\n');
}
