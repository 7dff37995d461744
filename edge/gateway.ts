/**
 * @module edge/gateway
 * The gateway core: runs the device pipelines of one gateway (cameras or a vehicle), makes what
 * they produce durable in the outbox, delivers it over NATS, answers central's commands and sends
 * heartbeats. The pipelines never see NATS (edge/unit.ts is the contract).
 * @example
 *   const gw = await startGateway(loadGatewayConfig('gw.yaml'), { log });
 *   ...
 *   await gw.stop();
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CommandReply,
  CommandRequest,
  type DeviceStatus,
  decode,
  encode,
  GatewayStatus,
  gatewayInboxPrefix,
  Incident,
  incidentMsgId,
  newId,
  type RunningModel,
  subjects,
  Telemetry,
  type TrackPoint,
  validate,
} from '../protocol/index.js';
import { connectNats, type Link } from '../protocol/transport.js';
import type { GatewayConfig } from './config.js';
import { Deliverer } from './outbox/deliver.js';
import { Outbox } from './outbox/index.js';
import { ConfigSync, loadPersistedConfig, type SyncStats } from './sync/index.js';
import { createReplayUnit } from './sync/replay.js';
import type { EdgeSinks, EdgeUnit, EvidenceImage, IncidentDraft, UnitContext } from './unit.js';

export const SOFTWARE_VERSION = '0.1.0';

export type Logger = UnitContext['log'] & { child?(b: object): Logger };

export interface GatewayOptions {
  log: Logger;
  /** make the units; the default loads edge/camera or edge/vehicle by the config's kind */
  createUnits?: (cfg: GatewayConfig, ctx: UnitContext) => Promise<EdgeUnit[]>;
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

type CameraModule = { createCameraUnits(section: unknown, ctx: UnitContext): Promise<EdgeUnit[]> };
type VehicleModule = { createVehicleUnit(section: unknown, ctx: UnitContext): Promise<EdgeUnit> };
type Jt808Module = { createJt808Unit(section: unknown, ctx: UnitContext): Promise<EdgeUnit> };

/** Load only the pipeline this gateway needs (a vehicle box never loads onnxruntime). Also `--check`'s second pass. */
export async function defaultUnits(cfg: GatewayConfig, ctx: UnitContext): Promise<EdgeUnit[]> {
  if (cfg.replay !== undefined) {
    const replay = createReplayUnit(cfg.replay, ctx);
    if (cfg.cameras === undefined && cfg.vehicle === undefined && cfg.jt808 === undefined) return [replay];
    return [replay, ...(await deviceUnits(cfg, ctx))];
  }
  return deviceUnits(cfg, ctx);
}

async function deviceUnits(cfg: GatewayConfig, ctx: UnitContext): Promise<EdgeUnit[]> {
  if (cfg.kind === 'checkpoint') {
    const mod = (await import(['./camera', 'index.js'].join('/'))) as CameraModule;
    return mod.createCameraUnits(cfg.cameras, ctx);
  }
  const units: EdgeUnit[] = [];
  if (cfg.vehicle !== undefined) {
    const mod = (await import(['./vehicle', 'index.js'].join('/'))) as VehicleModule;
    units.push(await mod.createVehicleUnit(cfg.vehicle, ctx));
  }
  // trucks whose own JT/T 808 terminals report over TCP
  if (cfg.jt808 !== undefined) {
    const mod = (await import(['./jt808', 'index.js'].join('/'))) as Jt808Module;
    units.push(await mod.createJt808Unit(cfg.jt808, ctx));
  }
  if (cfg.cameras === undefined) return units;
  // a vehicle camera runs the same vision pipeline; `where` then carries a fresh frame
  const cams = (await import(['./camera', 'index.js'].join('/'))) as CameraModule;
  return [...units, ...(await cams.createCameraUnits(cfg.cameras, ctx))];
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

export function configVersion(cfg: GatewayConfig): string {
  return createHash('sha256').update(JSON.stringify(cfg)).digest('hex').slice(0, 12);
}

export async function startGateway(initial: GatewayConfig, opts: GatewayOptions): Promise<Gateway> {
  /** the local file's configuration; a synced version is merged onto it */
  let localCfg = initial;
  const log = opts.log;
  const startedAt = new Date();
  mkdirSync(initial.dataDir, { recursive: true });
  const sync = new ConfigSync({
    gatewayId: initial.gatewayId,
    dataDir: initial.dataDir,
    local: () => localCfg,
    apply: (next) => applyConfig(next),
    log,
  });
  // A restart without NATS comes back with the last synced version, not the older file.
  const kept = initial.configSync ? loadPersistedConfig(initial, log) : undefined;
  if (kept) sync.restored(kept.version);
  let cfg = kept?.config ?? initial;
  const outbox = await Outbox.open({
    dir: join(cfg.dataDir, 'outbox'),
    budgetBytes: cfg.outbox.budgetMB * 1024 * 1024,
    repair: opts.repair,
    log,
  });
  const counters = { incidents: 0, telemetry: 0, invalidDrafts: 0, commands: 0, badCommands: 0 };
  const ctx: UnitContext = {
    gatewayId: cfg.gatewayId,
    dataDir: join(cfg.dataDir, 'units'),
    configDir: opts.configDir,
    log,
  };

  const sinks: EdgeSinks = {
    async incident(draft: IncidentDraft, images: EvidenceImage[] = []) {
      const full = { ...draft, v: 1 as const, gatewayId: cfg.gatewayId, evidence: [] };
      const checked = validate(Incident, full);
      if (!checked.ok) {
        counters.invalidDrafts++;
        log.error(
          { kind: draft.kind, reason: checked.reason },
          'pipeline produced an invalid incident; not sent',
        );
        throw new Error(`invalid incident: ${checked.reason}`);
      }
      const inc = checked.value;
      const named = images.map((img) => ({
        ...img,
        name: `${inc.id}-r${inc.rev}-${img.role}.${img.contentType === 'image/png' ? 'png' : 'jpg'}`,
      }));
      await outbox.add('incident', subjects.incident(cfg.gatewayId), incidentMsgId(inc), inc, named);
      counters.incidents++;
      log.info(
        { id: inc.id, rev: inc.rev, lifecycle: inc.lifecycle, kind: inc.kind, device: inc.deviceId },
        'incident queued',
      );
    },
    telemetry(vehicleId: string, points: TrackPoint[]) {
      const msg = {
        v: 1 as const,
        gatewayId: cfg.gatewayId,
        vehicleId,
        sentAt: new Date().toISOString(),
        points,
      };
      const checked = validate(Telemetry, msg);
      if (!checked.ok) {
        counters.invalidDrafts++;
        log.warn({ vehicleId, reason: checked.reason }, 'invalid telemetry batch dropped');
        return;
      }
      counters.telemetry++;
      outbox
        .add('telemetry', subjects.telemetry(cfg.gatewayId), `${cfg.gatewayId}.t.${newId()}`, checked.value)
        .catch((e) => log.error({ err: (e as Error).message }, 'telemetry not stored'));
    },
  };

  const makeUnits = opts.createUnits ?? defaultUnits;
  let units = await makeUnits(cfg, ctx);
  for (const u of units) await u.start(sinks);
  log.info({ gatewayId: cfg.gatewayId, units: units.map((u) => u.name) }, 'gateway started');

  let nc: Link | undefined;
  let linkUp = false;
  let deliverer: Deliverer | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let beatNow: (() => void) | undefined;
  const abort = new AbortController();

  const status = (): GatewayStatus => {
    const o = outbox.stats();
    const devices: DeviceStatus[] = units.flatMap((u) => {
      try {
        return u.devices();
      } catch (e) {
        log.warn({ unit: u.name, err: (e as Error).message }, 'unit devices() failed');
        return [];
      }
    });
    return {
      v: 1,
      gatewayId: cfg.gatewayId,
      gatewayKind: cfg.kind,
      sentAt: new Date().toISOString(),
      startedAt: startedAt.toISOString(),
      softwareVersion: SOFTWARE_VERSION,
      configVersion: sync.reportedVersion() ?? configVersion(cfg),
      configRefused: sync.stats.lastRefused,
      intervalS: cfg.heartbeatS,
      outbox: {
        depth: o.depth,
        oldestPendingAgeS: o.oldestPendingAgeS,
        droppedTelemetry: o.droppedTelemetry,
        droppedEvidence: o.droppedEvidence,
        droppedIncidents: o.droppedIncidents,
        writeFailures: o.writeFailures,
      },
      devices,
      models: runningModels(units),
    };
  };

  /** "Where are you" to a vehicle with a camera also answers "what do you see now". */
  const vehicleSnapshot = async (answered: EdgeUnit, req: CommandRequest): Promise<unknown> => {
    for (const u of units) {
      if (u === answered || !u.command) continue;
      try {
        const snap = await u.command({ ...req, verb: 'snapshot', deviceId: undefined }, sinks);
        if (snap !== undefined) return snap;
      } catch (e) {
        return { error: (e as Error).message };
      }
    }
    return undefined;
  };

  const handleCommand = async (data: Uint8Array): Promise<CommandReply> => {
    const answeredAt = () => new Date().toISOString();
    const r = decode(CommandRequest, data);
    if (!r.ok) {
      counters.badCommands++;
      return {
        v: 1,
        requestId: 'unknown',
        ok: false,
        error: `bad command: ${r.reason}`,
        answeredAt: answeredAt(),
      };
    }
    const req = r.value;
    counters.commands++;
    log.info({ verb: req.verb, deviceId: req.deviceId, by: req.by }, 'command from central');
    try {
      if (req.verb === 'ping')
        return {
          v: 1,
          requestId: req.requestId,
          ok: true,
          answeredAt: answeredAt(),
          data: { status: status() },
        };
      if (req.verb === 'reload_config') {
        if (!opts.reloadConfig) throw new Error('this gateway was started without a config file to reload');
        localCfg = opts.reloadConfig();
        await applyConfig(localCfg);
        sync.restored(undefined);
        return {
          v: 1,
          requestId: req.requestId,
          ok: true,
          answeredAt: answeredAt(),
          data: { configVersion: configVersion(cfg) },
        };
      }
      for (const u of units) {
        const out = await u.command?.(req, sinks);
        if (out === undefined) continue;
        if (req.verb === 'where' && cfg.kind === 'vehicle') out.snapshot = await vehicleSnapshot(u, req);
        return { v: 1, requestId: req.requestId, ok: true, answeredAt: answeredAt(), data: out };
      }
      throw new Error(`no device here answers ${req.verb}${req.deviceId ? ` for ${req.deviceId}` : ''}`);
    } catch (e) {
      // a device behind this gateway that did not answer is an equipment finding at central
      const noAnswer = (e as { deviceNoAnswer?: boolean }).deviceNoAnswer === true;
      return {
        v: 1,
        requestId: req.requestId,
        ok: false,
        error: (e as Error).message.slice(0, 512),
        answeredAt: answeredAt(),
        ...(noAnswer ? { data: { noAnswer: true, deviceId: req.deviceId ?? null } } : {}),
      };
    }
  };

  /**
   * Swap to a new configuration live: build the new units first (a pipeline that cannot be built
   * from it throws here and the old units keep running), then stop the old ones and start the new.
   * Serialised, so a reload command and a synced version never interleave.
   */
  let applying: Promise<unknown> = Promise.resolve();
  const applyConfig = (next: GatewayConfig): Promise<void> => {
    const run = applying.then(async () => {
      const nextUnits = await makeUnits(next, ctx);
      for (const u of units) await u.stop();
      const previous = units;
      try {
        for (const u of nextUnits) await u.start(sinks);
      } catch (e) {
        for (const u of nextUnits) await u.stop().catch(() => undefined);
        for (const u of previous) await u.start(sinks);
        throw e;
      }
      const rearm = next.heartbeatS !== cfg.heartbeatS;
      cfg = next;
      units = nextUnits;
      // tell central at once which version runs now, and follow a new heartbeat period
      if (heartbeat && beatNow && rearm) {
        clearInterval(heartbeat);
        heartbeat = setInterval(beatNow, cfg.heartbeatS * 1000);
      }
      setTimeout(() => beatNow?.(), 0); // after the caller recorded the version
      log.info({ gatewayId: cfg.gatewayId, units: units.map((u) => u.name) }, 'configuration applied');
    });
    applying = run.catch(() => undefined);
    return run;
  };

  // Connect in the background: detection and the outbox work with NATS down.
  const link = {
    ...cfg.nats,
    inboxPrefix: cfg.nats.inboxPrefix ?? gatewayInboxPrefix(cfg.gatewayId),
    name: `gateway ${cfg.gatewayId}`,
    log,
  };
  const linkReady = connectNats(link, abort.signal)
    .then((conn) => {
      nc = conn;
      linkUp = true;
      // isClosed() stays false while the client reconnects: follow the link's real state
      conn.onStatus((s) => {
        if (s.type === 'disconnect') linkUp = false;
        else if (s.type === 'reconnect') linkUp = true;
      });
      deliverer = new Deliverer(outbox, conn, log, cfg.gatewayId);
      deliverer.start();
      const sub = conn.subscribe(subjects.all.command(cfg.gatewayId));
      void (async () => {
        for await (const m of sub) {
          const reply = await handleCommand(m.data);
          if (m.reply) m.respond(encode(CommandReply, reply));
        }
      })();
      const beat = () => {
        if (!conn.isClosed()) conn.publish(subjects.status(cfg.gatewayId), encode(GatewayStatus, status()));
      };
      beatNow = beat;
      beat();
      heartbeat = setInterval(beat, cfg.heartbeatS * 1000);
      if (cfg.configSync) sync.start(conn);
    })
    .catch((e) => {
      if (!abort.signal.aborted) log.error({ err: (e as Error).message }, 'NATS link failed');
    });

  return {
    get config() {
      return cfg;
    },
    outbox,
    sinks,
    counters,
    connected: () => !!nc && !nc.isClosed() && linkUp,
    status,
    deliveryStats: () => deliverer?.stats,
    syncStats: () => sync.stats,
    async stop() {
      abort.abort();
      if (heartbeat) clearInterval(heartbeat);
      await sync.stop();
      for (const u of units)
        await u
          .stop()
          .catch((e) => log.warn({ unit: u.name, err: (e as Error).message }, 'unit stop failed'));
      await deliverer?.stop();
      await nc?.drain().catch(() => undefined);
      await Promise.race([linkReady, new Promise((r) => setTimeout(r, 100))]);
      log.info({ gatewayId: cfg.gatewayId }, 'gateway stopped');
    },
  };
}
