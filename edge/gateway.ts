/**
 * @module edge/gateway
 * The gateway core: runs the device pipelines of one gateway (cameras or a vehicle), makes what
 * they produce durable in the outbox, delivers it over NATS, answers central's commands and sends
 * heartbeats. The pipelines never see NATS (edge/unit.ts is the contract). Each step is its own
 * module under edge/gateway/; this file only puts them together.
 * @example
 *   const gw = await startGateway(loadGatewayConfig('gw.yaml'), { log });
 *   ...
 *   await gw.stop();
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { GatewayStatus } from '../protocol/index.js';
import type { GatewayConfig } from './config.js';
import { commandHandler, serveCommands } from './gateway/commands.js';
import { Heartbeats } from './gateway/heartbeats.js';
import { GatewayLink } from './gateway/link.js';
import { defaultUnits } from './gateway/registry.js';
import { outboxSinks } from './gateway/sinks.js';
import { configVersion, gatewayStatus } from './gateway/status.js';
import { RunningUnits, type UnitFactory } from './gateway/units.js';
import { serveGatewayMetrics } from './metrics.js';
import { Deliverer } from './outbox/deliver.js';
import { Outbox } from './outbox/index.js';
import { ConfigSync, loadPersistedConfig, type SyncStats } from './sync/index.js';
import type { EdgeSinks, UnitContext } from './unit.js';

export { defaultUnits, PIPELINES } from './gateway/registry.js';
export { configVersion, runningModels, SOFTWARE_VERSION } from './gateway/status.js';

export type Logger = UnitContext['log'] & { child?(b: object): Logger };

export interface GatewayOptions {
  log: Logger;
  /** make the units; the default builds those of edge/gateway/registry.ts the config turns on */
  createUnits?: UnitFactory;
  /** re-read the configuration for the reload_config command */
  reloadConfig?: () => GatewayConfig;
  /** folder of the config file, handed to the units for relative paths */
  configDir?: string;
  /** open a damaged outbox: keep its readable entries, move the damaged log aside */
  repair?: boolean;
}

export interface Gateway {
  readonly config: GatewayConfig;
  readonly outbox: Outbox;
  readonly sinks: EdgeSinks;
  /** incidents accepted into the outbox, telemetry batches accepted, drafts refused as invalid */
  readonly counters: {
    incidents: number;
    telemetry: number;
    invalidDrafts: number;
    commands: number;
    badCommands: number;
  };
  connected(): boolean;
  status(): GatewayStatus;
  deliveryStats(): Deliverer['stats'] | undefined;
  /** configuration sync from central: applied/refused counts, the synced version running */
  syncStats(): SyncStats;
  stop(): Promise<void>;
}

export async function startGateway(initial: GatewayConfig, opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log;
  const startedAt = new Date();
  mkdirSync(initial.dataDir, { recursive: true });

  // config: the local file, or the last synced version kept on disk (a restart without NATS)
  /** the local file's configuration; a synced version is merged onto it */
  let localCfg = initial;
  const sync = new ConfigSync({
    gatewayId: initial.gatewayId,
    dataDir: initial.dataDir,
    local: () => localCfg,
    apply: (next) => applyConfig(next),
    log,
  });
  const kept = initial.configSync ? loadPersistedConfig(initial, log) : undefined;
  if (kept) sync.restored(kept.version);
  let cfg = kept?.config ?? initial;

  // outbox: everything the units produce is durable before it is delivered
  const outbox = await Outbox.open({
    dir: join(cfg.dataDir, 'outbox'),
    budgetBytes: cfg.outbox.budgetMB * 1024 * 1024,
    repair: opts.repair,
    log,
  });
  const counters = { incidents: 0, telemetry: 0, invalidDrafts: 0, commands: 0, badCommands: 0 };
  const sinks = outboxSinks(outbox, () => cfg.gatewayId, counters, log);

  // units: the device pipelines
  const ctx: UnitContext = {
    gatewayId: cfg.gatewayId,
    dataDir: join(cfg.dataDir, 'units'),
    configDir: opts.configDir,
    log,
  };
  const units = new RunningUnits(opts.createUnits ?? defaultUnits, ctx, sinks);
  await units.start(cfg);
  log.info({ gatewayId: cfg.gatewayId, units: units.names }, 'gateway started');

  const status = (): GatewayStatus =>
    gatewayStatus({
      cfg,
      units: units.list,
      outbox: outbox.stats(),
      startedAt,
      syncedVersion: sync.reportedVersion(),
      configRefused: sync.stats.lastRefused,
      log,
    });
  let heartbeats: Heartbeats | undefined;
  const applyConfig = (next: GatewayConfig): Promise<void> =>
    units.swap(next, () => {
      cfg = next;
      // follow a new period, and tell central at once which version runs now (after the caller recorded it)
      heartbeats?.every(cfg.heartbeatS);
      setTimeout(() => heartbeats?.beat(), 0);
      log.info({ gatewayId: cfg.gatewayId, units: units.names }, 'configuration applied');
    });

  // commands: central's requests, answered by the core or the unit that owns the device
  const handleCommand = commandHandler({
    units: () => units.list,
    sinks,
    kind: () => cfg.kind,
    status,
    reload: async () => {
      if (!opts.reloadConfig) throw new Error('this gateway was started without a config file to reload');
      localCfg = opts.reloadConfig();
      await applyConfig(localCfg);
      sync.restored(undefined);
      return configVersion(cfg);
    },
    counters,
    log,
  });

  // link: once NATS is up, delivery, commands, heartbeats and config sync start on it
  let deliverer: Deliverer | undefined;
  const link = new GatewayLink(cfg, log, (nc) => {
    deliverer = new Deliverer(outbox, nc, log, cfg.gatewayId);
    deliverer.start();
    serveCommands(nc, cfg.gatewayId, handleCommand);
    heartbeats = new Heartbeats(nc, cfg.gatewayId, status);
    heartbeats.start(cfg.heartbeatS);
    if (cfg.configSync) sync.start(nc);
  });

  const gw: Gateway = {
    get config() {
      return cfg;
    },
    outbox,
    sinks,
    counters,
    connected: () => link.connected(),
    status,
    deliveryStats: () => deliverer?.stats,
    syncStats: () => sync.stats,
    async stop() {
      link.abort();
      heartbeats?.stop();
      metrics?.close();
      await sync.stop();
      await units.stop();
      await deliverer?.stop();
      await link.close();
      log.info({ gatewayId: cfg.gatewayId }, 'gateway stopped');
    },
  };

  // metrics: Prometheus /metrics and /health on 127.0.0.1
  const metrics: Server | undefined =
    cfg.metricsPort === undefined ? undefined : await serveGatewayMetrics(gw, cfg.metricsPort);
  if (metrics) log.info({ address: metrics.address() }, 'metrics on /metrics, health on /health');
  return gw;
}
