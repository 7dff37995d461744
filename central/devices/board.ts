/**
 * @module central/devices/board
 * Per-gateway and per-device state from heartbeats (GatewayStatus) and vehicle tracks from
 * telemetry, for the devices board and the equipment score. Online is computed on read
 * (a gateway is offline after 3 missed heartbeats); every reported device online/offline
 * change is kept (bounded) so uptime can be computed. Persisted in one lowdb file with
 * coalesced writes: `save()` resolves after a write that includes the caller's change.
 * A handset beat and a gateway call are learnt by one instance only: they are handed to
 * `onShared` listeners (devices/share.ts tells the other instances, which `applyShared` them).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { GatewayStatus, Telemetry, TrackPoint } from '../../protocol/index.js';
import { DamagedFilesError, moveAside, readJsonFile } from '../store/damage.js';

export interface DeviceState {
  id: string;
  type: string;
  online: boolean;
  lastSeenAt?: string;
  error?: string;
  counters?: Record<string, number>;
  changes: { at: string; online: boolean }[];
}
export interface GatewayState {
  gatewayId: string;
  gatewayKind: string;
  softwareVersion: string;
  configVersion?: string;
  startedAt: string;
  lastSentAt: string;
  lastReceivedAt: string;
  intervalS: number;
  outbox?: GatewayStatus['outbox'];
  devices: Record<string, DeviceState>;
  /** the models the gateway reported loaded in its last heartbeat */
  models?: GatewayStatus['models'];
  /**
   * periods central heard nothing (from the last heartbeat + grace to the next one), by central's
   * own clock: a gateway that stops reporting is offline whatever it said last
   */
  silences?: { from: string; to: string }[];
  /** set for a collector's 城管通 handset (gatewayKind `handset`) */
  handset?: HandsetState;
}
export interface HandsetState {
  /** the collector it is assigned to (collectors.json) and who used it last */
  assignedCollectorId: string;
  lastCollectorId: string;
  iccid: string;
  msisdn: string;
  gridCodes: string[];
  /** what the equipment item counts besides offline time */
  findings: { id: string; at: string; kind: 'simChanged' | 'reassigned'; detail: string }[];
}
export interface VehicleTrack {
  vehicleId: string;
  gatewayId: string;
  lastAt: string;
  points: TrackPoint[];
}
/** One call from central to a gateway (request/reply); unanswered calls are equipment findings. */
export interface CallRecord {
  at: string;
  verb: string;
  deviceId?: string;
  by?: string;
  answered: boolean;
  error?: string;
}
/** A handset's beat: its collector signed in, the SIM it reads, whom it is registered to. */
export interface HandsetBeat {
  deviceId: string;
  collectorId: string;
  iccid?: string;
  intervalS: number;
  assigned: { collectorId: string; iccid: string; msisdn: string; gridCodes: string[] };
  at: Date;
}
/** What this instance's board learnt that no stream brings to the other instances' boards. */
export type SharedChange =
  | { type: 'handsetBeat'; beat: HandsetBeat }
  | { type: 'call'; gatewayId: string; call: CallRecord };
interface BoardData {
  gateways: Record<string, GatewayState>;
  vehicles: Record<string, VehicleTrack>;
  calls?: Record<string, CallRecord[]>;
}

const MAX_CHANGES = 500;
/** missed heartbeats before a gateway counts as offline */
export const GRACE_INTERVALS = 3;

/** Keep a silence when a heartbeat arrives later than the grace after the previous one. */
function noteSilence(prev: GatewayState | undefined, receivedAt: Date): GatewayState['silences'] {
  const silences = prev?.silences ?? [];
  if (!prev) return silences;
  const from = Date.parse(prev.lastReceivedAt) + GRACE_INTERVALS * prev.intervalS * 1000;
  if (receivedAt.getTime() > from)
    silences.push({ from: new Date(from).toISOString(), to: receivedAt.toISOString() });
  return silences.slice(-MAX_CHANGES);
}

export class DeviceBoard {
  readonly #db: Low<BoardData> | undefined;
  readonly #dir: string | undefined;
  #data: BoardData = { gateways: {}, vehicles: {} };
  #saving: Promise<void> | undefined;
  #again: Promise<void> | undefined;
  readonly #shared = new Set<(c: SharedChange) => void>();

  constructor(
    dir: string | undefined,
    /** per vehicle; older points stay in the CG_TELEMETRY stream (7 days) */
    readonly maxTrackPoints = 500,
  ) {
    this.#dir = dir;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      this.#db = new Low<BoardData>(new JSONFile(join(dir, 'devices.json')), { gateways: {}, vehicles: {} });
    }
  }

  /**
   * Read devices.json. A file that does not parse or is not a board is refused with its byte
   * offset (`DamagedFilesError`); with `repair` it is moved aside and the board starts empty
   * (heartbeats fill it again within a minute).
   */
  async open(o: { repair?: boolean; log?: { warn(o: object, m?: string): void } } = {}): Promise<void> {
    if (!this.#dir) return;
    const file = join(this.#dir, 'devices.json');
    if (!existsSync(file)) return;
    const r = readJsonFile(file);
    const v = r.ok ? (r.value as Partial<BoardData> | null) : undefined;
    const damage = !r.ok
      ? r.damage
      : !v ||
          typeof v !== 'object' ||
          typeof v.gateways !== 'object' ||
          !v.gateways ||
          typeof v.vehicles !== 'object' ||
          !v.vehicles
        ? { file, offset: 0, reason: 'not a devices board ({ gateways, vehicles })' }
        : undefined;
    if (!damage) {
      this.#data = v as BoardData;
      return;
    }
    if (!o.repair) throw new DamagedFilesError([damage]);
    o.log?.warn({ ...damage, movedTo: moveAside(file) }, 'damaged devices board moved aside, starting empty');
  }

  applyStatus(s: GatewayStatus, receivedAt = new Date()): void {
    const prev = this.#data.gateways[s.gatewayId];
    if (prev && prev.lastSentAt > s.sentAt) return; // out of order: an older heartbeat
    const devices: Record<string, DeviceState> = { ...(prev?.devices ?? {}) };
    for (const d of s.devices) {
      const old = devices[d.id];
      const changes = old?.changes ?? [];
      if (!old || old.online !== d.online) changes.push({ at: d.lastSeenAt ?? s.sentAt, online: d.online });
      devices[d.id] = { ...d, changes: changes.slice(-MAX_CHANGES) };
    }
    this.#data.gateways[s.gatewayId] = {
      gatewayId: s.gatewayId,
      gatewayKind: s.gatewayKind,
      softwareVersion: s.softwareVersion,
      configVersion: s.configVersion,
      startedAt: s.startedAt,
      lastSentAt: s.sentAt,
      lastReceivedAt: receivedAt.toISOString(),
      intervalS: s.intervalS,
      outbox: s.outbox,
      devices,
      models: s.models,
      silences: noteSilence(prev, receivedAt),
    };
  }

  /**
   * A heartbeat of a collector's handset (with every report and every few minutes on duty). The
   * identity comes from the collector's sign-in and the SIM the handset reads; a SIM other than
   * the registered one, or a handset used by another collector than its assignee, is a finding.
   */
  applyHandsetBeat(h: HandsetBeat): void {
    this.#handsetBeat(h);
    this.#tell({ type: 'handsetBeat', beat: h });
  }

  #handsetBeat(h: HandsetBeat): void {
    const prev = this.#data.gateways[h.deviceId];
    const iso = h.at.toISOString();
    // out of order (another instance's beat told after a later one here): an older beat
    if (prev && prev.lastReceivedAt > iso) return;
    const state: HandsetState = prev?.handset ?? {
      assignedCollectorId: h.assigned.collectorId,
      lastCollectorId: h.collectorId,
      iccid: h.assigned.iccid,
      msisdn: h.assigned.msisdn,
      gridCodes: h.assigned.gridCodes,
      findings: [],
    };
    if (h.iccid && h.iccid !== state.iccid) {
      state.findings.push({
        id: `${h.deviceId}@${iso}`,
        at: iso,
        kind: 'simChanged',
        detail: `${state.iccid} → ${h.iccid}`,
      });
      state.iccid = h.iccid;
    }
    if (h.collectorId !== h.assigned.collectorId && h.collectorId !== state.lastCollectorId)
      state.findings.push({
        id: `${h.deviceId}@${iso}:r`,
        at: iso,
        kind: 'reassigned',
        detail: `used by ${h.collectorId}, assigned to ${h.assigned.collectorId}`,
      });
    state.lastCollectorId = h.collectorId;
    state.findings = state.findings.slice(-MAX_CHANGES);
    this.#data.gateways[h.deviceId] = {
      gatewayId: h.deviceId,
      gatewayKind: 'handset',
      softwareVersion: prev?.softwareVersion ?? '',
      startedAt: prev?.startedAt ?? iso,
      lastSentAt: iso,
      lastReceivedAt: iso,
      intervalS: h.intervalS,
      devices: {},
      silences: noteSilence(prev, h.at),
      handset: state,
    };
  }

  recordCall(gatewayId: string, call: CallRecord): void {
    this.#recordCall(gatewayId, call);
    this.#tell({ type: 'call', gatewayId, call });
  }

  #recordCall(gatewayId: string, call: CallRecord): void {
    this.#data.calls ??= {};
    this.#data.calls[gatewayId] ??= [];
    const list = this.#data.calls[gatewayId];
    // told again (a redelivered board change): the same call at the same moment is kept once
    const same = (x: CallRecord) =>
      x.at === call.at && x.verb === call.verb && x.by === call.by && x.deviceId === call.deviceId;
    if (list.some(same)) return;
    list.push(call);
    if (list.length > MAX_CHANGES) list.splice(0, list.length - MAX_CHANGES);
  }

  /** Follow what this board learns first-hand (not what `applyShared` brings); returns the unfollow. */
  onShared(listener: (c: SharedChange) => void): () => void {
    this.#shared.add(listener);
    return () => this.#shared.delete(listener);
  }

  /** A change another instance's board learnt: applied here, not told again. */
  applyShared(c: SharedChange): void {
    if (c.type === 'handsetBeat') this.#handsetBeat(c.beat);
    else this.#recordCall(c.gatewayId, c.call);
  }

  #tell(c: SharedChange): void {
    for (const l of this.#shared) l(c);
  }

  /** calls to each gateway, oldest first */
  calls(gatewayId?: string): Record<string, CallRecord[]> {
    const all = this.#data.calls ?? {};
    return gatewayId ? { [gatewayId]: all[gatewayId] ?? [] } : all;
  }

  applyTelemetry(t: Telemetry): void {
    this.#data.vehicles[t.vehicleId] ??= {
      vehicleId: t.vehicleId,
      gatewayId: t.gatewayId,
      lastAt: t.points[0].t,
      points: [],
    };
    const v = this.#data.vehicles[t.vehicleId];
    v.gatewayId = t.gatewayId;
    // keep time order; drop points older than what we have (re-delivery, out of order)
    for (const p of t.points) if (!v.points.length || p.t > v.points[v.points.length - 1].t) v.points.push(p);
    if (v.points.length > this.maxTrackPoints) v.points.splice(0, v.points.length - this.maxTrackPoints);
    v.lastAt = v.points.at(-1)?.t ?? v.lastAt;
  }

  /** Persist; resolves once a write that started after this call has finished. */
  save(): Promise<void> {
    const db = this.#db;
    if (!db) return Promise.resolve();
    if (!this.#saving) {
      this.#saving = (async () => {
        db.data = this.#data;
        await db.write();
      })().finally(() => {
        this.#saving = undefined;
      });
      return this.#saving;
    }
    this.#again ??= this.#saving.then(() => {
      this.#again = undefined;
      return this.save();
    });
    return this.#again;
  }

  gateways(now = new Date()): (GatewayState & { online: boolean })[] {
    return Object.values(this.#data.gateways).map((g) => ({
      ...g,
      online: now.getTime() - Date.parse(g.lastReceivedAt) < GRACE_INTERVALS * g.intervalS * 1000,
    }));
  }

  vehicles(): Omit<VehicleTrack, 'points'>[] {
    return Object.values(this.#data.vehicles).map(({ points, ...v }) => ({ ...v, lastPoint: points.at(-1) }));
  }

  track(vehicleId: string): VehicleTrack | undefined {
    return this.#data.vehicles[vehicleId];
  }
}
