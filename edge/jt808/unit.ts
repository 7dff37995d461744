/**
 * @module edge/jt808/unit
 * The JT/T 808 unit of a vehicle gateway: the TCP endpoint (server.ts) in, and for every terminal
 * a vehicle whose fixes go through the same pipeline as the serial vehicle unit
 * (edge/vehicle/pipeline.ts: state → rules → incidents/telemetry). Body and cover states come
 * from the vendor mapping; central's `where`, `snapshot` and `message` commands become 0x8201,
 * 0x8801 (+ the 0x0801 upload) and 0x8300.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandRequest, DeviceStatus, TrackPoint } from '../../protocol/index.js';
import type { EdgeSinks, EdgeUnit, UnitContext } from '../unit.js';
import { fixProblem } from '../vehicle/gnss/fix.js';
import { VehiclePipeline } from '../vehicle/pipeline.js';
import {
  closeEpisode,
  type EpisodeState,
  idleEpisode,
  isOpen,
  stepEpisode,
} from '../vehicle/rules/episode.js';
import { loadGeo } from '../vehicle/rules/geo.js';
import type { VehicleInput } from '../vehicle/state/index.js';
import { toTrackPoint } from '../vehicle/telemetry.js';
import type { Header } from './codec.js';
import { type Jt808Section, loadJt808Section, type SignalSource, type VendorFile } from './config.js';
import { type Message, positionsOf } from './decode.js';
import { cameraCommand, type Location, MSG, mediaAck, PLATE_COLOURS, textMessage } from './messages.js';
import { Jt808Server, NoAnswerError, normalPhone, type Session } from './server.js';

type VendorMap = VendorFile[string];

interface Vehicle {
  id: string;
  plate: string;
  phone?: string;
  vendor?: VendorMap;
  cameraChannel: number;
  pipe: VehiclePipeline;
  signals: { dumpBodyRaised?: boolean; coverOpen?: boolean };
  registration?: { maker: string; model: string; terminalId: string; plate: string; plateColour: string };
  lastLocation?: Location;
  /** blind-area points older than the last accepted fix: track only */
  late: TrackPoint[];
  counters: Record<string, number>;
  lastMessageAt: number;
  /** the terminal as equipment: offline for deviceOfflineAfterS → device_offline (93.01), as for gps/can */
  offline: EpisodeState;
}

const OFFLINE_KEY = 'device-jt808';

/**
 * Validate the `jt808:` section, load its geo and vendor files, make the unit (not started).
 * @example
 * const unit = await createJt808Unit(cfg.jt808, ctx);
 * await unit.start(sinks);
 */
export async function createJt808Unit(raw: unknown, ctx: UnitContext): Promise<Jt808Unit> {
  const baseDir = ctx.configDir ?? process.cwd();
  const { cfg, vendors } = loadJt808Section(raw, baseDir);
  const geo = loadGeo(cfg.geo, cfg.rules.routeDeviation.corridorM, baseDir);
  return new Jt808Unit(cfg, vendors, geo, ctx);
}

export class Jt808Unit implements EdgeUnit {
  readonly name = 'jt808';
  readonly server: Jt808Server;
  private readonly vehicles = new Map<string, Vehicle>();
  /** phone → vehicle id: listed phones, plus terminals matched by plate at registration (kept on disk) */
  private readonly byPhone = new Map<string, string>();
  private readonly bindingsFile: string;
  private sinks: EdgeSinks | undefined;
  private timer: NodeJS.Timeout | undefined;
  private offlineTimer: NodeJS.Timeout | undefined;
  address: { host: string; port: number } | undefined;

  constructor(
    private readonly cfg: Jt808Section,
    vendors: VendorFile,
    private readonly geo: ReturnType<typeof loadGeo>,
    private readonly ctx: UnitContext,
  ) {
    for (const v of cfg.vehicles) {
      this.vehicles.set(v.id, this.makeVehicle(v.id, v.plate, vendors[v.vendor], v.cameraChannel, v.phone));
      if (v.phone) this.byPhone.set(normalPhone(v.phone), v.id);
    }
    this.bindingsFile = join(ctx.dataDir, 'jt808-bindings.json');
    for (const [phone, id] of Object.entries(readJson(this.bindingsFile)))
      if (this.vehicles.has(id) && !this.byPhone.has(phone)) this.byPhone.set(phone, id);
    this.server = new Jt808Server({
      host: cfg.listen.host,
      port: cfg.listen.port,
      authTimeoutS: cfg.authTimeoutS,
      idleTimeoutS: cfg.offlineAfterS,
      subpackageTimeoutS: cfg.subpackageTimeoutS,
      maxSubpackages: cfg.maxSubpackages,
      maxConnections: cfg.maxConnections,
      secretFile: join(ctx.dataDir, 'jt808.secret'),
      register: (phone, reg) => this.register(phone, reg),
      vehicleOf: (phone) => this.byPhone.get(phone),
      onMessage: (s, h, m) => this.onMessage(s, h, m),
      log: ctx.log,
    });
  }

  private makeVehicle(
    id: string,
    plate: string,
    vendor: VendorMap | undefined,
    cameraChannel: number,
    phone?: string,
  ): Vehicle {
    const v: Vehicle = {
      id,
      plate,
      phone,
      vendor,
      cameraChannel,
      signals: {},
      late: [],
      counters: {},
      lastMessageAt: 0,
      offline: idleEpisode(),
      pipe: undefined as unknown as VehiclePipeline,
    };
    v.pipe = new VehiclePipeline({
      id,
      plate,
      geo: this.geo,
      rules: this.cfg.rules,
      telemetry: this.cfg.telemetry,
      maxJumpKmh: this.cfg.maxJumpKmh,
      log: this.ctx.log,
      pointSignals: () =>
        Object.fromEntries(Object.entries(v.signals).filter(([, x]) => x !== undefined)) as Record<
          string,
          boolean
        >,
      // a rule episode starts: ask the terminal's camera for a photo, it becomes the incident's evidence
      onRuleEvent: (e) => {
        if (e.event.type === 'start') this.snapshot(v).catch(() => count(v, 'evidencePhotoFailed'));
      },
    });
    v.pipe.attach(this.sinks);
    return v;
  }

  async start(sinks: EdgeSinks): Promise<void> {
    this.sinks = sinks;
    for (const v of this.vehicles.values()) v.pipe.attach(sinks);
    this.address = await this.server.listen();
    this.ctx.log.info({ address: this.address, vehicles: this.vehicles.size }, 'JT/T 808 endpoint listening');
    this.timer = setInterval(() => this.flush(), this.cfg.telemetry.maxBatchDelayS * 1000);
    this.offlineTimer = setInterval(() => this.checkOffline(Date.now()), 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.offlineTimer);
    await this.server.close();
    const now = Date.now();
    for (const v of this.vehicles.values()) {
      v.pipe.closeRules();
      for (const e of closeEpisode(v.offline, now)) this.emitOffline(v, e, 'gateway stopped');
      v.offline = idleEpisode();
    }
    this.flush();
    await Promise.all([...this.vehicles.values()].map((v) => v.pipe.settled()));
  }

  private flush(): void {
    for (const v of this.vehicles.values()) {
      v.pipe.telemetry.flush();
      if (!v.late.length || !this.sinks) continue;
      const pts = v.late.splice(0);
      try {
        this.sinks.telemetry(v.id, pts);
      } catch (e) {
        this.ctx.log.error({ vehicle: v.id, err: (e as Error).message }, 'telemetry batch not taken');
      }
    }
  }

  private register(
    phone: string,
    reg: { plate: string; plateColour: number; maker: string; model: string; terminalId: string },
  ) {
    let id = this.byPhone.get(phone);
    if (!id) {
      const plate = plainPlate(reg.plate);
      const byPlate = [...this.vehicles.values()].find((v) => plate && plainPlate(v.plate) === plate);
      if (byPlate?.phone && normalPhone(byPlate.phone) !== phone) return { result: 1 }; // that vehicle has another terminal
      if (byPlate) {
        id = byPlate.id;
        this.byPhone.set(phone, id);
        writeFileSync(this.bindingsFile, JSON.stringify(Object.fromEntries(this.byPhone)));
      } else if (this.cfg.acceptUnlisted) {
        id = `jt808-${phone}`.slice(0, 64);
        if (!this.vehicles.has(id))
          this.vehicles.set(id, this.makeVehicle(id, reg.plate || phone, undefined, 1, phone));
        this.byPhone.set(phone, id);
      } else return { result: 2 };
    }
    const v = this.vehicles.get(id)!;
    v.registration = {
      maker: reg.maker,
      model: reg.model,
      terminalId: reg.terminalId,
      plate: reg.plate,
      plateColour: PLATE_COLOURS[reg.plateColour] ?? String(reg.plateColour),
    };
    return { vehicleId: id };
  }

  private onMessage(s: Session, _h: Header, m: Message): void {
    const v = s.vehicleId ? this.vehicles.get(s.vehicleId) : undefined;
    if (!v) return;
    v.lastMessageAt = Date.now();
    count(v, m.kind);
    if (m.kind === 'batch' && m.batch.errors.length) count(v, 'batchItemErrors', m.batch.errors.length);
    for (const p of positionsOf(m)) this.position(v, p.location, p.blindArea);
    if (m.kind === 'mediaData') {
      s.send(MSG.multimediaAck, mediaAck(m.media.mediaId));
      const jpeg = m.media.type === 0 && m.media.format === 0 && m.data[0] === 0xff && m.data[1] === 0xd8;
      if (!jpeg) {
        count(v, 'mediaNotJpeg');
        return;
      }
      const n = v.pipe.evidence([{ role: 'violation', bytes: m.data, contentType: 'image/jpeg' }]);
      if (n) count(v, 'evidencePhotos', n);
    }
  }

  private position(v: Vehicle, loc: Location, blindArea: boolean): void {
    const problem = fixProblem(
      {
        t: loc.t,
        lat: loc.lat,
        lon: loc.lon,
        speedMps: loc.speedKmh / 3.6,
        mode: loc.fixed ? '2d' : 'none',
        talker: 'JT',
      },
      Date.now(),
    );
    if (problem) {
      count(v, `fix ${problem}`);
      return;
    }
    for (const key of ['dumpBodyRaised', 'coverOpen'] as const) {
      const src = v.vendor?.[key];
      if (src) v.signals[key] = readSignal(src, loc);
    }
    v.lastLocation = loc;
    const input: VehicleInput = {
      t: loc.t,
      lat: loc.lat,
      lon: loc.lon,
      speedKmh: loc.speedKmh,
      track: loc.course,
      altM: loc.altM,
      ...v.signals,
    };
    const step = v.pipe.fix(input);
    if (blindArea) count(v, 'blindArea');
    // a re-sent blind-area point older than what the rules saw: the track gets it, the state does not go back
    if (step.dropped === 'outOfOrder' && blindArea) {
      count(v, 'lateBlindArea');
      v.late.push(toTrackPoint(input, { blindArea: true }));
      if (v.late.length >= this.cfg.telemetry.batchSize) this.flush();
    }
  }

  /** why the vehicle's terminal is offline now, or undefined when it is online */
  private terminalError(v: Vehicle, now: number): string | undefined {
    const s = v.phone ? this.server.session(v.phone) : this.sessionOf(v);
    if (!s) return 'terminal not connected';
    if (!s.authenticated) return 'connected, not authenticated';
    if (now - s.lastAt > this.cfg.offlineAfterS * 1000)
      return `no message for more than ${this.cfg.offlineAfterS} s`;
    return undefined;
  }

  /** Host-clock check: a terminal offline for deviceOfflineAfterS is the same 93.01 incident as a gateway's device. */
  private checkOffline(now: number): void {
    for (const v of this.vehicles.values()) {
      const error = this.terminalError(v, now);
      const out = stepEpisode(
        v.offline,
        { t: now, active: !!error },
        { minDurationS: this.cfg.deviceOfflineAfterS, endAfterS: 0 },
      );
      v.offline = out.state;
      for (const e of out.events) this.emitOffline(v, e, error ?? 'back online');
    }
  }

  private emitOffline(
    v: Vehicle,
    event: Parameters<VehiclePipeline['emit']>[0]['event'],
    error: string,
  ): void {
    v.pipe.emit({
      key: OFFLINE_KEY,
      kind: 'device_offline',
      event,
      details: { device: 'jt808', deviceId: `${v.id}-jt808`.slice(0, 64), error },
      at: v.pipe.last,
    });
  }

  devices(): DeviceStatus[] {
    const now = Date.now();
    const iso = (t: number) => (t ? new Date(t).toISOString() : undefined);
    const list: DeviceStatus[] = [
      {
        id: 'jt808-endpoint',
        type: 'gps',
        online: !!this.address,
        error: this.address ? undefined : 'not listening',
        counters: {
          ...this.server.counters,
          open: this.server.openSessions(),
          ...Object.fromEntries(Object.entries(this.server.unknownIds).map(([k, n]) => [`id ${k}`, n])),
        },
      },
    ];
    for (const v of [...this.vehicles.values()].slice(0, 255)) {
      const error = this.terminalError(v, now);
      list.push({
        id: `${v.id}-jt808`.slice(0, 64),
        type: 'gps',
        online: !error,
        lastSeenAt: iso(v.lastMessageAt),
        error,
        counters: {
          ...v.counters,
          outOfOrder: v.pipe.vstate.dropped.outOfOrder,
          jumps: v.pipe.vstate.dropped.jumps,
          ruleErrors: v.pipe.rstate.errors,
          telemetryPoints: v.pipe.telemetry.sampled,
        },
      });
    }
    return list;
  }

  private sessionOf(v: Vehicle): Session | undefined {
    for (const [phone, id] of this.byPhone) if (id === v.id) return this.server.session(phone);
    return undefined;
  }

  async command(req: CommandRequest): Promise<Record<string, unknown> | undefined> {
    if (req.verb !== 'where' && req.verb !== 'snapshot' && req.verb !== 'message') return undefined;
    const listed = this.cfg.vehicles;
    const v = req.deviceId
      ? this.vehicles.get(req.deviceId)
      : listed.length === 1
        ? this.vehicles.get(listed[0]!.id)
        : undefined;
    if (!v) {
      if (req.deviceId) return undefined;
      throw new Error(`deviceId needed: this gateway has ${this.vehicles.size} JT/T 808 vehicles`);
    }
    if (req.verb === 'where') return this.where(v);
    if (req.verb === 'snapshot') return this.snapshot(v);
    return this.message(v, req.text ?? '');
  }

  private online(v: Vehicle): Session {
    const s = v.phone ? this.server.session(v.phone) : this.sessionOf(v);
    if (!s?.authenticated) throw new NoAnswerError(`${v.plate} (${v.id}): terminal not connected`);
    return s;
  }

  private async where(v: Vehicle): Promise<Record<string, unknown>> {
    const s = this.online(v);
    const { m } = await s.request(
      MSG.locationQuery,
      Buffer.alloc(0),
      (serial, _h, m) => m.kind === 'locationAnswer' && m.replySerial === serial,
      this.cfg.commandTimeoutS * 1000,
    );
    const loc = (m as Extract<Message, { kind: 'locationAnswer' }>).location;
    return {
      vehicleId: v.id,
      plate: v.plate,
      position: {
        t: new Date(loc.t).toISOString(),
        lat: loc.lat,
        lon: loc.lon,
        altM: loc.altM,
        source: 'gps',
      },
      fixed: loc.fixed,
      speedKmh: loc.speedKmh,
      trackDeg: loc.course,
      alarms: loc.alarms,
      items: loc.items,
      signals: { ...v.signals },
      openIncidents: [...v.pipe.openRules(), ...(isOpen(v.offline) ? [OFFLINE_KEY] : [])],
      registration: v.registration ?? null,
    };
  }

  /** 0x8801 one photo now; the answer 0x0805 names the media id, the 0x0801 upload carries it. */
  private async snapshot(v: Vehicle): Promise<Record<string, unknown>> {
    const s = this.online(v);
    const deadline = Date.now() + this.cfg.commandTimeoutS * 1000;
    // waiting from before the command: the answer and the upload may arrive in one TCP read
    const upload = s.waitFor(
      (_h, x) => x.kind === 'mediaData' && x.media.type === 0,
      deadline - Date.now(),
      'the photo upload 0x0801',
    );
    upload.catch(() => undefined);
    const { m } = await s.request(
      MSG.camera,
      cameraCommand(v.cameraChannel),
      (serial, _h, m) => m.kind === 'cameraAnswer' && m.replySerial === serial,
      deadline - Date.now(),
    );
    const ans = m as Extract<Message, { kind: 'cameraAnswer' }>;
    if (ans.result !== 0)
      throw new Error(`${v.plate}: the terminal could not take a photo (0x0805 result ${ans.result})`);
    const { m: media } = await upload;
    const d = media as Extract<Message, { kind: 'mediaData' }>;
    if (d.data[0] !== 0xff || d.data[1] !== 0xd8)
      throw new Error(`${v.plate}: the uploaded photo is not a JPEG`);
    return {
      vehicleId: v.id,
      plate: v.plate,
      mediaId: d.media.mediaId,
      channel: d.media.channel,
      observedAt: new Date(d.location?.t ?? Date.now()).toISOString(),
      image: { contentType: 'image/jpeg', role: 'clean', base64: d.data.toString('base64') },
    };
  }

  private async message(v: Vehicle, text: string): Promise<Record<string, unknown>> {
    if (!text.trim()) throw new Error('message: text is empty');
    const s = this.online(v);
    const { m } = await s.request(
      MSG.text,
      textMessage(text, s.version),
      (serial, _h, m) => m.kind === 'terminalResponse' && m.replySerial === serial && m.replyId === MSG.text,
      this.cfg.commandTimeoutS * 1000,
    );
    const r = (m as Extract<Message, { kind: 'terminalResponse' }>).result;
    if (r !== 0) throw new Error(`${v.plate}: the terminal refused the text (0x0001 result ${r})`);
    return { vehicleId: v.id, plate: v.plate, delivered: true, text };
  }

  /** for tests: open rule episodes of a vehicle */
  activeRules(vehicleId: string) {
    return this.vehicles.get(vehicleId)?.pipe.activeRules() ?? [];
  }
}

function count(v: Vehicle, key: string, n = 1): void {
  v.counters[key] = (v.counters[key] ?? 0) + n;
}

/** One boolean signal from the vendor's source; undefined when the report lacks it. */
export function readSignal(src: SignalSource, loc: Location): boolean | undefined {
  let raw: boolean | undefined;
  if ('status' in src) raw = !!(loc.status & (1 << src.status));
  else if ('io' in src) raw = typeof loc.items.io === 'number' ? !!(loc.items.io & (1 << src.io)) : undefined;
  else if ('signals' in src)
    raw =
      typeof loc.items.extendedSignals === 'number'
        ? !!(loc.items.extendedSignals & (1 << src.signals))
        : undefined;
  else {
    const hex = loc.raw[`0x${src.item.toString(16).padStart(2, '0')}`];
    const byte = hex === undefined ? undefined : Buffer.from(hex, 'hex')[src.byte];
    raw = byte === undefined ? undefined : !!(byte & (1 << src.bit));
  }
  return raw === undefined ? undefined : raw !== src.activeLow;
}

/** Plates compare without separators and case: 湘D·A1234 = 湘DA1234 */
function plainPlate(p: string): string {
  return p.replace(/[\s·.-]/g, '').toUpperCase();
}

function readJson(file: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}
