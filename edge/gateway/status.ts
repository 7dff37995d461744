/**
 * @module edge/gateway/status
 * The heartbeat's content: who this gateway is, which configuration and models it runs, its
 * outbox and every device's state.
 */
import { createHash } from 'node:crypto';
import type { DeviceStatus, GatewayStatus, RunningModel } from '../../protocol/index.js';
import type { GatewayConfig } from '../config.js';
import type { OutboxStats } from '../outbox/index.js';
import type { EdgeUnit, UnitContext } from '../unit.js';

export const SOFTWARE_VERSION = '0.1.0';

export function configVersion(cfg: GatewayConfig): string {
  return createHash('sha256').update(JSON.stringify(cfg)).digest('hex').slice(0, 12);
}

/** The models the units run, one entry per model file (name, version, sha256) with all its cameras. */
export function runningModels(units: readonly EdgeUnit[]): RunningModel[] {
  const byKey = new Map<string, RunningModel>();
  for (const u of units)
    for (const m of u.models?.() ?? []) {
      const k = `${m.task}:${m.name}:${m.version}:${m.sha256}`;
      const had = byKey.get(k);
      if (had) had.cameraIds = [...new Set([...had.cameraIds, ...m.cameraIds])];
      else byKey.set(k, { ...m, cameraIds: [...m.cameraIds] });
    }
  return [...byKey.values()];
}

export interface StatusInputs {
  cfg: GatewayConfig;
  units: readonly EdgeUnit[];
  outbox: OutboxStats;
  startedAt: Date;
  /** the synced version running, when one does */
  syncedVersion?: string;
  configRefused?: GatewayStatus['configRefused'];
  log: UnitContext['log'];
}

export function gatewayStatus(s: StatusInputs): GatewayStatus {
  const o = s.outbox;
  const devices: DeviceStatus[] = s.units.flatMap((u) => {
    try {
      return u.devices();
    } catch (e) {
      s.log.warn({ unit: u.name, err: (e as Error).message }, 'unit devices() failed');
      return [];
    }
  });
  return {
    v: 1,
    gatewayId: s.cfg.gatewayId,
    gatewayKind: s.cfg.kind,
    sentAt: new Date().toISOString(),
    startedAt: s.startedAt.toISOString(),
    softwareVersion: SOFTWARE_VERSION,
    configVersion: s.syncedVersion ?? configVersion(s.cfg),
    configRefused: s.configRefused,
    intervalS: s.cfg.heartbeatS,
    outbox: {
      depth: o.depth,
      oldestPendingAgeS: o.oldestPendingAgeS,
      droppedTelemetry: o.droppedTelemetry,
      droppedEvidence: o.droppedEvidence,
      droppedIncidents: o.droppedIncidents,
      writeFailures: o.writeFailures,
    },
    devices,
    models: runningModels(s.units),
  };
}
