/**
 * @module edge/vehicle/vehicle-unit
 * The vehicle unit: serial GNSS (NMEA) and SLCAN CAN in, vehicle state and rules in the middle,
 * incidents and bounded-rate telemetry out through the gateway core's sinks. The state machines
 * are pure (state/, rules/); this file only wires devices, clocks and sinks around them.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  type CommandRequest,
  type DeviceStatus,
  formatIssues,
  type IncidentKind,
} from '../../protocol/index.js';
import type { EdgeSinks, EdgeUnit, UnitContext } from '../unit.js';
import { loadUnitState, saveUnitState } from '../unit-state.js';
import { CanSignalDecoder, type Dbc, parseDbc, SlcanReader, slcanSetup } from './can/index.js';
import { VehicleSection } from './config.js';
import { type Fix, FixAssembler, fixProblem } from './gnss/fix.js';
import { NmeaReader } from './gnss/nmea.js';
import { draftFor } from './incidents.js';
import { VehiclePipeline } from './pipeline.js';
import {
  closeEpisode,
  type EpisodeState,
  type IncidentRef,
  idleEpisode,
  isOpen,
  stepEpisode,
} from './rules/episode.js';
import { loadGeo } from './rules/geo.js';
import { type Details, RULES, type RuleKey, type RulesState } from './rules/index.js';
import { SerialLine } from './serial/line.js';
import { applyCanMessage, pollDigitalInputs, type SignalState } from './signals.js';
import type { VehicleInput } from './state/index.js';

/** After this long without NMEA bytes the open epoch is complete: emit it. */
const EPOCH_QUIET_MS = 150;
/** No CAN frames this long after setup: send the SLCAN setup again. */
const SETUP_RETRY_MS = 2000;

/**
 * What a vehicle unit keeps on disk between runs: its rule and device episodes, which hold the
 * open incidents with their ids and revisions.
 */
export interface SavedVehicle {
  v: 2;
  vehicleId: string;
  plate: string;
  episodes: RulesState['episodes'];
  details: RulesState['details'];
  offline: Record<DeviceKey, EpisodeState>;
  last?: VehicleInput;
}

const vehicleStateFile = (dataDir: string, id: string) =>
  join(dataDir, 'vehicles', `${encodeURIComponent(id)}.json`);

/**
 * A vehicle's saved state; one written before v2 (its incident ids in a list of their own beside
 * the episodes, keyed by rule or `device-<key>`) is read into the episodes. An open episode the
 * list had no id for had no incident: it starts over (idle).
 */
export function loadSavedVehicle(file: string, log: UnitContext['log']): SavedVehicle | undefined {
  const saved = loadUnitState<Omit<SavedVehicle, 'v'> & { v: 1 | 2; open?: [string, IncidentRef][] }>(
    file,
    log,
  );
  if (saved?.v === 2) return saved as SavedVehicle;
  if (saved?.v !== 1) return undefined;
  const ids = new Map(saved.open ?? []);
  const withId = (key: string, ep: EpisodeState): EpisodeState => {
    if (!isOpen(ep)) return ep;
    const ref = ids.get(key);
    return ref ? { ...ep, incident: { id: ref.id, rev: ref.rev } } : idleEpisode();
  };
  const episodes = Object.fromEntries(
    Object.entries(saved.episodes).map(([k, ep]) => [k, withId(k, ep)]),
  ) as SavedVehicle['episodes'];
  const offline = Object.fromEntries(
    Object.entries(saved.offline).map(([d, ep]) => [d, withId(`device-${d}`, ep)]),
  ) as SavedVehicle['offline'];
  const { open: _, ...rest } = saved;
  return { ...rest, v: 2, episodes, offline };
}

/**
 * Validate the `vehicle:` section, load its GeoJSON and DBC, and make the unit (not started).
 * Throws with a message naming the vehicle and the field when something is wrong.
 * @example
 * const unit = await createVehicleUnit(cfg.vehicle, ctx);
 * await unit.start(sinks);
 */
export async function createVehicleUnit(raw: unknown, ctx: UnitContext): Promise<EdgeUnit> {
  const r = VehicleSection.safeParse(raw);
  if (!r.success) throw new Error(`vehicle section: ${formatIssues(r.error)}`);
  const cfg = r.data;
  const baseDir = (ctx as UnitContext & { configDir?: string }).configDir ?? process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const geo = loadGeo(cfg.geo, cfg.rules.routeDeviation.corridorM, baseDir);
  let dbc: Dbc | undefined;
  if (cfg.can) {
    dbc = parseDbc(readFileSync(abs(cfg.can.dbc), 'utf8'));
    verifyDbcSignals(cfg, dbc);
  }
  return new VehicleUnit(cfg, ctx, geo, dbc);
}

/** Every mapped CAN signal exists in the DBC. */
export function verifyDbcSignals(cfg: VehicleSection, dbc: Dbc): void {
  const names = new Set(dbc.messages.flatMap((m) => m.signals.map((s) => s.name)));
  for (const [key, map] of Object.entries(cfg.can?.signals ?? {}))
    if (map && !names.has(map.signal))
      throw new Error(
        `vehicle ${cfg.id}: can.signals.${key}.signal "${map.signal}" is not in ${cfg.can!.dbc}`,
      );
}

type DeviceKey = 'gps' | 'can' | 'di';
const DEVICE_KEYS: readonly DeviceKey[] = ['gps', 'can', 'di'];

class VehicleUnit implements EdgeUnit {
  readonly name: string;
  private started = false;
  private readonly signals: SignalState = { can: {} };
  /** state → rules → incidents and telemetry, shared with the JT/T 808 unit */
  private readonly pipe: VehiclePipeline;
  private readonly nmea: NmeaReader;
  private readonly fixes: FixAssembler;
  private readonly slcan: SlcanReader | undefined;
  private readonly can: CanSignalDecoder | undefined;
  private gps: SerialLine | undefined;
  private canLine: SerialLine | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private quiet: NodeJS.Timeout | undefined;
  private lastFixAt = 0;
  private lastNoFixAt = 0;
  private lastCanAt = 0;
  private lastSetupAt = 0;
  private diError: string | undefined;
  private readonly offline: Record<DeviceKey, EpisodeState> = {
    gps: idleEpisode(),
    can: idleEpisode(),
    di: idleEpisode(),
  };
  private readonly rejected: Record<string, number> = {};
  /** receiver health from the last good fix, for the heartbeat */
  private receiver: { sats?: number; hdop?: number; mode?: number } = {};

  constructor(
    private readonly cfg: VehicleSection,
    private readonly ctx: UnitContext,
    geo: ReturnType<typeof loadGeo>,
    dbc: Dbc | undefined,
  ) {
    this.name = `vehicle:${cfg.id}`;
    this.pipe = new VehiclePipeline({
      id: cfg.id,
      plate: cfg.plate,
      geo,
      rules: cfg.rules,
      telemetry: cfg.telemetry,
      maxJumpKmh: cfg.gnss.maxJumpKmh,
      log: ctx.log,
      pointSignals: () => this.pointSignals(),
      // an episode that starts or ends changes what a restart must take back
      onRuleEvent: () => this.save(),
    });
    const pivot = Date.parse(`${cfg.gnss.rolloverPivot}T00:00:00Z`);
    this.fixes = new FixAssembler((f) => this.onFix(f), { rolloverPivotMs: pivot });
    this.nmea = new NmeaReader((s) => this.fixes.push(s));
    if (dbc && cfg.can) {
      const dec = new CanSignalDecoder(dbc);
      const map = cfg.can.signals;
      this.can = dec;
      this.slcan = new SlcanReader(
        (frame) => {
          this.lastCanAt = Date.now();
          // the host clock stamps live frames, so a transfer whose sender went quiet times out (T1)
          const m = dec.push({ ...frame, t: frame.t ?? this.lastCanAt });
          if (m) applyCanMessage(this.signals, m, map);
        },
        (why) =>
          ctx.log.warn({ device: 'can', vehicle: cfg.id, err: why }, 'SLCAN adapter refused a command'),
      );
    }
  }

  async start(sinks: EdgeSinks): Promise<void> {
    this.pipe.attach(sinks);
    this.started = true;
    this.restore();
    const { cfg, ctx } = this;
    this.gps = new SerialLine({
      name: 'gps',
      path: cfg.gnss.port,
      baudRate: cfg.gnss.baud,
      log: ctx.log,
      onData: (b) => {
        this.nmea.push(b);
        clearTimeout(this.quiet);
        this.quiet = setTimeout(() => this.fixes.flush(), EPOCH_QUIET_MS);
      },
    });
    this.gps.start();
    if (cfg.can && this.slcan) {
      const slcan = this.slcan;
      const bitrate = cfg.can.bitrate;
      this.canLine = new SerialLine({
        name: 'can',
        path: cfg.can.port,
        baudRate: cfg.can.baud,
        log: ctx.log,
        onData: (b) => slcan.push(b),
        onOpen: (write) => {
          this.lastSetupAt = Date.now();
          write(slcanSetup(bitrate));
        },
      });
      this.canLine.start();
    }
    if (cfg.di) {
      const di = cfg.di;
      const poll = () => {
        pollDigitalInputs(this.signals, di).then((e) => {
          this.diError = e;
        });
      };
      poll();
      this.timers.push(setInterval(poll, di.pollMs));
    }
    this.timers.push(setInterval(() => this.tick(Date.now()), 1000));
    this.timers.push(setInterval(() => this.pipe.telemetry.flush(), cfg.telemetry.maxBatchDelayS * 1000));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.quiet);
    await Promise.all([this.gps?.stop(), this.canLine?.stop()]);
    this.fixes.flush();
    // open episodes stay open: the next start (restart, reload) continues them with their ids
    this.pipe.telemetry.flush();
    await this.pipe.settled();
    if (this.started) this.save();
  }

  private save(): void {
    const state: SavedVehicle = {
      v: 2,
      vehicleId: this.cfg.id,
      plate: this.cfg.plate,
      episodes: this.pipe.rstate.episodes,
      details: this.pipe.rstate.details,
      offline: this.offline,
      last: this.pipe.last,
    };
    try {
      saveUnitState(vehicleStateFile(this.ctx.dataDir, this.cfg.id), state);
    } catch (e) {
      this.ctx.log.error({ vehicle: this.cfg.id, err: (e as Error).message }, 'vehicle state not saved');
    }
  }

  /**
   * Take back the open episodes of the previous run so their incidents keep their ids; one of a
   * rule the config now disables, or of a vehicle no longer configured here, ends with that reason.
   */
  private restore(): void {
    const dir = join(this.ctx.dataDir, 'vehicles');
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    for (const f of files) {
      const saved = loadSavedVehicle(join(dir, f), this.ctx.log);
      if (!saved) continue;
      const mine = saved.vehicleId === this.cfg.id;
      const vehicle = { id: saved.vehicleId, plate: saved.plate };
      const end = (key: string, kind: IncidentKind, ep: EpisodeState, t: number, details: Details) => {
        for (const e of closeEpisode(ep, t))
          this.pipe.emitDraft(draftFor(vehicle, { key, kind, event: e, details, at: saved.last }));
      };
      const t = saved.last?.t ?? Date.now();
      for (const r of RULES) {
        const ep = saved.episodes[r.key] ?? idleEpisode();
        if (mine && this.cfg.rules[r.key].enabled) {
          this.pipe.rstate.episodes[r.key] = ep;
          this.pipe.rstate.details[r.key] = saved.details[r.key] ?? {};
        } else
          end(r.key, r.kind, ep, t, {
            ...saved.details[r.key],
            endReason: mine ? 'rule disabled in config' : 'vehicle removed from config',
          });
      }
      for (const d of DEVICE_KEYS) {
        const ep = saved.offline[d] ?? idleEpisode();
        if (mine && (d === 'gps' || (d === 'can' ? this.cfg.can : this.cfg.di))) this.offline[d] = ep;
        else
          end(`device-${d}`, 'device_offline', ep, Date.now(), {
            device: d,
            endReason: mine ? 'device removed from config' : 'vehicle removed from config',
          });
      }
      if (mine) {
        this.pipe.last = saved.last;
        this.ctx.log.info({ vehicle: this.cfg.id, open: this.openKeys() }, 'vehicle state restored');
      } else rmSync(join(dir, f), { force: true });
    }
  }

  private onFix(f: Fix): void {
    const problem = fixProblem(f, Date.now());
    if (problem) {
      this.rejected[problem] = (this.rejected[problem] ?? 0) + 1;
      if (problem === 'no fix') this.lastNoFixAt = Date.now();
      return;
    }
    this.lastFixAt = Date.now();
    this.receiver = { sats: f.sats, hdop: f.hdop, mode: f.mode === '3d' ? 3 : 2 };
    const input: VehicleInput = {
      t: f.t!,
      lat: f.lat!,
      lon: f.lon!,
      speedKmh: (f.speedMps ?? 0) * 3.6,
      track: f.track,
      altM: f.altM,
      dumpBodyRaised: this.signals.dumpBodyRaised,
      coverOpen: this.signals.coverOpen,
    };
    this.pipe.fix(input);
  }

  private pointSignals(): Record<string, number | boolean> {
    const s: Record<string, number | boolean> = {};
    if (this.signals.dumpBodyRaised !== undefined) s.dumpBodyRaised = this.signals.dumpBodyRaised;
    if (this.signals.coverOpen !== undefined) s.coverOpen = this.signals.coverOpen;
    for (const [k, v] of Object.entries(this.signals.can).slice(0, 16)) s[k] = v;
    return s;
  }

  private emit(e: Parameters<VehiclePipeline['emit']>[0]): void {
    this.pipe.emit(e);
    this.save();
  }

  /** Host-clock checks: SLCAN re-setup, device offline episodes. */
  private tick(now: number): void {
    // an adapter that was reset (or powered after us) forgets it was opened: set it up again
    const line = this.canLine;
    if (
      line?.state.open &&
      this.cfg.can &&
      now - Math.max(this.lastCanAt, this.lastSetupAt) > SETUP_RETRY_MS
    ) {
      this.lastSetupAt = now;
      line.write(slcanSetup(this.cfg.can.bitrate));
    }
    const status = this.deviceState(now);
    for (const d of DEVICE_KEYS) {
      const st = status[d];
      if (!st) continue;
      const out = stepEpisode(
        this.offline[d],
        { t: now, active: !st.online },
        { minDurationS: this.cfg.deviceOfflineAfterS, endAfterS: 0 },
      );
      this.offline[d] = out.state;
      for (const e of out.events)
        this.emit({
          key: `device-${d}`,
          kind: 'device_offline',
          event: e,
          details: { device: d, deviceId: `${this.cfg.id}-${d}`, error: st.error ?? 'back online' },
          at: this.pipe.last,
        });
    }
  }

  private deviceState(now: number): Partial<Record<DeviceKey, { online: boolean; error?: string }>> {
    const out: Partial<Record<DeviceKey, { online: boolean; error?: string }>> = {};
    const gps = this.gps?.state;
    const stale = this.cfg.gnss.staleAfterS * 1000;
    if (gps) {
      const error = !gps.open
        ? (gps.error ?? 'port not open')
        : now - (gps.lastDataAt ?? 0) > stale
          ? `no data from the receiver for more than ${this.cfg.gnss.staleAfterS} s`
          : now - this.lastFixAt > stale
            ? this.lastNoFixAt > this.lastFixAt
              ? 'no fix: the receiver reports no position'
              : 'no valid fix (rejected by the sanity check)'
            : undefined;
      out.gps = { online: !error, error };
    }
    const can = this.canLine?.state;
    if (can && this.cfg.can) {
      const error = !can.open
        ? (can.error ?? 'port not open')
        : now - this.lastCanAt > this.cfg.can.staleAfterS * 1000
          ? `no CAN frames for more than ${this.cfg.can.staleAfterS} s`
          : undefined;
      out.can = { online: !error, error };
    }
    // digital inputs are equipment too: unreadable for deviceOfflineAfterS → the same 93.01 incident
    if (this.cfg.di) out.di = { online: !this.diError, error: this.diError };
    return out;
  }

  devices(): DeviceStatus[] {
    const now = Date.now();
    const st = this.deviceState(now);
    const iso = (t?: number) => (t ? new Date(t).toISOString() : undefined);
    const list: DeviceStatus[] = [];
    if (st.gps)
      list.push({
        id: `${this.cfg.id}-gps`,
        type: 'gps',
        online: st.gps.online,
        lastSeenAt: iso(this.lastFixAt || undefined),
        error: st.gps.error,
        counters: {
          ...this.nmea.counters,
          ...Object.fromEntries(Object.entries(this.rejected).map(([k, v]) => [`fix ${k}`, v])),
          outOfOrder: this.pipe.vstate.dropped.outOfOrder,
          jumps: this.pipe.vstate.dropped.jumps,
          reopens: this.gps!.state.reopens,
          ...Object.fromEntries(
            Object.entries({
              satellitesUsed: this.receiver.sats,
              hdop: this.receiver.hdop,
              fixMode: this.receiver.mode,
            }).filter(([, v]) => v !== undefined && Number.isFinite(v)),
          ),
          ruleErrors: this.pipe.rstate.errors,
          telemetryPoints: this.pipe.telemetry.sampled,
        },
      });
    if (st.can && this.slcan && this.can)
      list.push({
        id: `${this.cfg.id}-can`,
        type: 'can',
        online: st.can.online,
        lastSeenAt: iso(this.lastCanAt || undefined),
        error: st.can.error,
        counters: { ...this.slcan.counters, ...this.can.j1939.counters, unknownPgn: this.can.unknownPgn },
      });
    if (st.di) list.push({ id: `${this.cfg.id}-di`, type: 'di', online: st.di.online, error: st.di.error });
    return list;
  }

  async command(req: CommandRequest): Promise<Record<string, unknown> | undefined> {
    if (req.verb !== 'where' || (req.deviceId && req.deviceId !== this.cfg.id)) return undefined;
    const v = this.pipe.last;
    return {
      vehicleId: this.cfg.id,
      plate: this.cfg.plate,
      position: v
        ? { t: new Date(v.t).toISOString(), lat: v.lat, lon: v.lon, altM: v.altM ?? null, source: 'gps' }
        : null,
      speedKmh: v ? Math.round(v.speedKmh * 10) / 10 : null,
      speedMps: v ? Math.round((v.speedKmh / 3.6) * 100) / 100 : null,
      trackDeg: v?.track ?? null,
      fixAgeS: this.lastFixAt ? Math.round((Date.now() - this.lastFixAt) / 100) / 10 : null,
      signals: this.pointSignals(),
      openIncidents: this.openKeys(),
      devices: this.devices().map((d) => ({ id: d.id, type: d.type, online: d.online, error: d.error })),
    };
  }

  /** Keys with an open incident: rules, then devices (`device-gps`, …). */
  private openKeys(): string[] {
    const devices = DEVICE_KEYS.filter((d) => isOpen(this.offline[d])).map((d) => `device-${d}`);
    return [...this.pipe.openRules(), ...devices];
  }

  /** for tests: which rules currently have an open episode */
  activeRules(): RuleKey[] {
    return this.pipe.activeRules();
  }
}
