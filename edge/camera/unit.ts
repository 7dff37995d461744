/**
 * @module edge/camera/unit
 * One EdgeUnit per camera: capture → detect → track → classify persons in post zones → rules →
 * lifecycle → incidents with evidence. Each camera has its own source, state and loop, so one
 * camera's fault never stalls another; models are shared (one session per model).
 */
import { join } from 'node:path';
import sharp from 'sharp';
import type { CommandRequest, RunningModel } from '../../protocol/index.js';
import { INCIDENT_KINDS, newId } from '../../protocol/index.js';
import type { EdgeSinks, EdgeUnit, UnitContext } from '../unit.js';
import { loadUnitState, saveUnitState } from '../unit-state.js';
import { BackgroundWatcher } from './background/index.js';
import { CameraSource, type Frame } from './capture/index.js';
import type { CameraConfig, CameraSection } from './config.js';
import type { DetectorSet } from './detect/ensemble.js';
import { type Box, type Classifier, type Detection, decodeRgb } from './detect/index.js';
import { type EngineState, initialEngine, judgeFrame, personsToJudge, trackFrame } from './engine.js';
import { annotate } from './evidence/index.js';
import { type CameraPlace, draftFor, endForReason, evidenceFor, location, ZONE_KINDS } from './incidents.js';
import { type Ocr, type PlateReading, readPlate } from './plates/index.js';
import type { CauseBox, IncidentRef } from './rules/index.js';

export interface Models {
  /** every detector of the camera, merged (labels per detector, NMS across label groups) */
  detector: DetectorSet;
  classifier?: Classifier;
  /** plate reader for vehicle evidence (absent: no plates) */
  ocr?: Ocr;
}

const MAX_MARKS = 64;

/**
 * What a camera unit keeps on disk between runs: its engine, whose lifecycle holds the open
 * incidents with their ids and revisions, and an open device_offline incident.
 */
export interface SavedCamera {
  v: 2;
  camera: CameraPlace;
  engine: EngineState;
  offline?: IncidentRef & { error?: string };
}

/** Where a camera's saved state lives in the unit data dir. */
export const cameraStateFile = (dataDir: string, id: string) =>
  join(dataDir, 'cameras', `${encodeURIComponent(id)}.json`);

/**
 * A camera's saved state; one written before v2 (its incident ids in a list of their own beside
 * the lifecycle) is read into the lifecycle.
 */
export function loadSavedCamera(file: string, log: UnitContext['log']): SavedCamera | undefined {
  const saved = loadUnitState<Omit<SavedCamera, 'v'> & { v: 1 | 2; open?: [string, IncidentRef][] }>(
    file,
    log,
  );
  if (saved?.v === 2) return saved as SavedCamera;
  if (saved?.v !== 1) return undefined;
  const was = saved.engine.lifecycle.open as Record<
    string,
    Omit<EngineState['lifecycle']['open'][string], keyof IncidentRef>
  >;
  const open: EngineState['lifecycle']['open'] = {};
  for (const [key, cause] of saved.open ?? []) if (was[key]) open[key] = { ...was[key], ...cause };
  const { open: _, ...rest } = saved;
  return { ...rest, v: 2, engine: { ...saved.engine, lifecycle: { ...saved.engine.lifecycle, open } } };
}

export class CameraUnit implements EdgeUnit {
  readonly name: string;
  private readonly source: CameraSource;
  private sinks?: EdgeSinks;
  private engine = initialEngine();
  /** start-of-cause evidence frames, by cause key */
  private readonly marks = new Map<string, Buffer>();
  private offline?: IncidentRef & { error?: string };
  /** only when a litter zone finds litter by persistence */
  private readonly background?: BackgroundWatcher;
  private watchdog?: NodeJS.Timeout;
  private readonly stateFile: string;
  private restored = false;
  /** the tracker's last frame time before a restart: the downtime is not counted as missed */
  private resumeFrom?: number;
  readonly counters = { frames: 0, incidents: 0, ruleErrors: 0, sinkErrors: 0, plates: 0, plateErrors: 0 };

  constructor(
    readonly cam: CameraConfig,
    private readonly section: CameraSection,
    private readonly loaded: Models,
    private readonly ctx: UnitContext,
    resolveXaddr?: (c: CameraConfig, signal?: AbortSignal) => Promise<string>,
  ) {
    this.name = `camera:${cam.id}`;
    this.stateFile = cameraStateFile(ctx.dataDir, cam.id);
    this.source = new CameraSource(
      cam,
      (f) => this.process(f),
      ctx.log,
      resolveXaddr,
      loaded.detector.inputSize,
    );
    const watched = cam.zones.filter((z) => z.type === 'litter' && z.litterBy === 'persistence');
    if (watched.length) this.background = new BackgroundWatcher(section.background, watched);
  }

  async start(sinks: EdgeSinks): Promise<void> {
    this.sinks = sinks;
    await this.restore(Date.now());
    this.source.start();
    this.watchdog = setInterval(() => void this.checkOffline(), Math.min(1000, this.cam.offlineAfterS * 250));
  }

  /**
   * Replay: feed recorded frames with their own times through the same pipeline (no capture, no
   * offline watchdog), e.g. a scene whose dwell is minutes long, in milliseconds of test time.
   */
  async replay(sinks: EdgeSinks, frames: Iterable<Frame> | AsyncIterable<Frame>): Promise<void> {
    this.sinks = sinks;
    for await (const f of frames) {
      await this.restore(f.t);
      await this.process(f);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    await this.source.stop();
    if (this.restored) this.save();
  }

  private save(): void {
    const cam = this.cam;
    const state: SavedCamera = {
      v: 2,
      camera: { id: cam.id, name: cam.name, location: cam.location },
      engine: this.engine,
      offline: this.offline,
    };
    try {
      saveUnitState(this.stateFile, state);
    } catch (e) {
      this.ctx.log.error({ camera: cam.id, err: (e as Error).message }, 'camera state not saved');
    }
  }

  /**
   * Once, before the first frame: take back the open incidents of the previous run (restart,
   * reload, power cut) so they keep their ids; a cause whose zone the config no longer has is
   * ended with that reason.
   */
  private async restore(t: number): Promise<void> {
    if (this.restored) return;
    this.restored = true;
    const saved = loadSavedCamera(this.stateFile, this.ctx.log);
    if (!saved) return;
    const zones = new Map(this.cam.zones.map((z) => [z.id, z.type]));
    const lifecycle = { ...saved.engine.lifecycle, open: { ...saved.engine.lifecycle.open } };
    this.offline = saved.offline;
    for (const [key, o] of Object.entries(lifecycle.open)) {
      const type = zones.get(o.finding.zoneId);
      if (type !== undefined && ZONE_KINDS[type].includes(o.finding.kind)) continue;
      delete lifecycle.open[key];
      const why = type === undefined ? 'zone removed from config' : 'zone type changed in config';
      await this.emit(endForReason(o, this.cam, t, why, this.loaded.detector.modelFor(undefined)), []);
    }
    const lastT = saved.engine.tracker.lastT ?? Number.NEGATIVE_INFINITY; // JSON has no -Infinity
    this.engine = { ...saved.engine, tracker: { ...saved.engine.tracker, lastT }, lifecycle };
    if (Number.isFinite(lastT)) this.resumeFrom = lastT;
    this.ctx.log.info(
      { camera: this.cam.id, open: Object.keys(lifecycle.open).length, offline: !!this.offline },
      'camera state restored',
    );
    this.save();
  }

  devices() {
    return [this.source.status()];
  }

  models(): RunningModel[] {
    const { detector, classifier } = this.loaded;
    return [
      ...detector.uses.map((u) => ({
        ...u.detector.model,
        task: 'detect' as const,
        cameraIds: [this.cam.id],
      })),
      ...(classifier ? [{ ...classifier.model, task: 'classify' as const, cameraIds: [this.cam.id] }] : []),
    ];
  }

  async command(req: CommandRequest): Promise<Record<string, unknown> | undefined> {
    if (req.verb !== 'snapshot' || (req.deviceId && req.deviceId !== this.cam.id)) return undefined;
    const f = await this.source.grab();
    const dets = await this.detect(f);
    const image = await annotate(
      (await f.evidence?.()) ?? f.jpeg,
      { boxes: dets, zones: this.cam.zones, caption: this.caption(f.t) },
      70,
      640,
    );
    const size = await sharp(f.jpeg).metadata();
    return {
      cameraId: this.cam.id,
      // the frame's own size: zone polygons are in these pixels (the image may be downsized)
      frame: { width: size.width, height: size.height },
      observedAt: new Date(f.t).toISOString(),
      detections: dets.map((d) => ({ label: d.label, score: d.score, box: d.box })),
      image: { contentType: 'image/jpeg', role: 'annotated', base64: image.toString('base64') },
    };
  }

  /** burned into evidence: staff read local time (the section's zone), not UTC */
  private caption(t: number): string {
    const local = new Intl.DateTimeFormat('zh-CN', {
      timeZone: this.section.timezone,
      dateStyle: 'short',
      timeStyle: 'medium',
      hour12: false,
    }).format(t);
    return `${this.cam.name ?? this.cam.id} ${local}`;
  }

  /** Camera silent beyond offlineAfterS → device_offline incident; a frame again → its end. */
  private async checkOffline(): Promise<void> {
    const now = Date.now();
    const silent = this.source.silentForMs(now) > this.cam.offlineAfterS * 1000;
    const online = this.source.status().online;
    if (!this.offline && silent && !online) {
      const error = this.source.status().error ?? 'no frame';
      this.offline = { id: newId(now), rev: 0, startedAt: new Date(now).toISOString(), error };
      await this.emitOffline('new', now);
      this.save();
    } else if (this.offline && online) {
      this.offline.rev += 1;
      await this.emitOffline('end', now);
      this.offline = undefined;
      this.save();
    }
  }

  private async emitOffline(phase: 'new' | 'end', now: number): Promise<void> {
    const o = this.offline!;
    const st = this.source.status();
    const t = new Date(now).toISOString();
    await this.emit(
      {
        id: o.id,
        rev: o.rev,
        lifecycle: phase,
        kind: 'device_offline',
        category: INCIDENT_KINDS.device_offline.category,
        deviceId: this.cam.id,
        observedAt: t,
        startedAt: o.startedAt,
        endedAt: phase === 'end' ? t : undefined,
        confidence: 1,
        location: location(this.cam),
        detections: [],
        producer: { rule: 'camera.offline' },
        details: {
          error: o.error ?? st.error ?? 'no frame',
          ...(phase === 'end'
            ? { recovered: `frames again (${st.counters?.frames ?? 0} in all), last at ${st.lastSeenAt}` }
            : {}),
          offlineAfterS: this.cam.offlineAfterS,
          cameraName: this.cam.name ?? this.cam.id,
        },
      },
      [],
    );
  }

  private async emit(...args: Parameters<EdgeSinks['incident']>): Promise<void> {
    try {
      await this.sinks?.incident(...args);
      this.counters.incidents++;
    } catch (e) {
      this.counters.sinkErrors++;
      this.ctx.log.error({ camera: this.cam.id, err: (e as Error).message }, 'incident not accepted');
    }
  }

  /**
   * The first frame after a restart: the time the gateway was down does not count as "unseen",
   * so a parked car is matched again by its box and keeps its track (and its incident). How long
   * it has stood still still counts from when it stopped.
   */
  private resumeTracks(t: number): void {
    const last = this.resumeFrom!;
    this.resumeFrom = undefined;
    const tracker = this.engine.tracker;
    const tracks = tracker.tracks.map((tr) => ({ ...tr, lastSeen: t - 1 - (last - tr.lastSeen) }));
    this.engine = { ...this.engine, tracker: { ...tracker, lastT: t - 1, tracks } };
  }

  /** The plate of the vehicle at `box` on an evidence frame; an OCR failure is logged and counted, never fatal. */
  private async plate(jpeg: Buffer, box: Box): Promise<PlateReading | undefined> {
    if (!this.loaded.ocr) return undefined;
    try {
      const p = await readPlate(this.loaded.ocr, await decodeRgb(jpeg), box);
      if (p) this.counters.plates++;
      return p;
    } catch (e) {
      this.counters.plateErrors++;
      this.ctx.log.error(
        { camera: this.cam.id, err: (e as Error).message },
        'plate reading failed; incident sent without plate',
      );
      return undefined;
    }
  }

  /** Detections of a frame in evidence (main-stream) pixels. */
  private async detect(f: Frame): Promise<Detection[]> {
    // Straight from the JPEG (shrink-on-load); a corrupt JPEG throws here: counted by the source, skipped.
    const dets = await this.loaded.detector.detect(f.jpeg, { score: this.cam.scoreThreshold });
    const k = f.scale;
    if (!k) return dets;
    return dets.map((d) => ({
      ...d,
      box: { x: d.box.x * k.x, y: d.box.y * k.y, w: d.box.w * k.x, h: d.box.h * k.y },
    }));
  }

  private async process(f: Frame): Promise<void> {
    const p = { camera: this.cam, section: this.section };
    if (this.resumeFrom !== undefined) this.resumeTracks(f.t);
    const dets = await this.detect(f);
    const tr = trackFrame(this.engine, f.t, dets, p);
    this.engine = tr.state;
    if (!tr.fresh) return;
    this.counters.frames++;
    const judgements: Record<number, boolean> = {};
    const persons = this.loaded.classifier ? personsToJudge(tr.tracks, f.t, p) : [];
    // Full-size pixels only when a person is to be judged: decode once, crop each.
    const raw = persons.length ? await decodeRgb(f.jpeg) : undefined;
    const k = f.scale ?? { x: 1, y: 1 };
    if (this.loaded.classifier && raw)
      for (const person of persons) {
        const b = person.box;
        const crop = { x: b.x / k.x, y: b.y / k.y, w: b.w / k.x, h: b.h / k.y };
        const c = await this.loaded.classifier.classify(raw, crop);
        judgements[person.id] = this.section.labels.uniform.includes(c.label);
      }
    const { person, vehicle } = this.section.labels;
    const covers = tr.tracks.filter((t) => person.includes(t.label) || vehicle.includes(t.label));
    const statics = await this.background?.observe(
      f.jpeg,
      f.t,
      covers.map((t) => t.box),
      f.scale,
    );
    const out = judgeFrame(this.engine, f.t, judgements, p, statics);
    this.engine = out.state;
    for (const e of out.errors) {
      this.counters.ruleErrors++;
      this.ctx.log.error(
        { camera: this.cam.id, rule: e.rule, err: e.error },
        'rule failed; skipped this frame',
      );
    }
    // Start frames of causes whose track is gone will never be used.
    const alive = new Set(tr.tracks.map((t) => String(t.id)));
    for (const k of this.marks.keys()) {
      const track = k.split(':')[2]; // zone-level keys (litter, absence) have none: one per zone, overwritten
      if (track !== undefined && !alive.has(track) && !this.engine.lifecycle.open[k]) this.marks.delete(k);
    }
    if (!out.marks.length && !out.events.length) return;
    const boxes = tr.tracks
      .filter((t) => t.seen)
      .map((t) => ({ label: t.label, score: t.score, box: t.box, trackId: t.id }));
    // Evidence from the main stream: fetched once, only now that this frame is evidence.
    let main: Promise<Buffer> | undefined;
    const evidence = () => (main ??= f.evidence?.() ?? Promise.resolve(f.jpeg));
    const draw = async (
      zoneId?: string,
      trackIds?: number[],
      caption = this.caption(f.t),
      extra: CauseBox[] = [],
    ) =>
      annotate(
        await evidence(),
        { boxes: [...boxes, ...extra], zones: this.cam.zones, highlight: { zoneId, trackIds }, caption },
        this.section.evidence.jpegQuality,
      );
    for (const m of out.marks) {
      this.marks.set(m.key, await draw(m.zoneId, m.trackIds, undefined, m.boxes));
      if (this.marks.size > MAX_MARKS) this.marks.delete(this.marks.keys().next().value as string);
    }
    for (const e of out.events) {
      const zh = INCIDENT_KINDS[e.finding.kind].zh;
      const annotated = await draw(
        e.finding.zoneId,
        e.finding.trackIds,
        `${zh} ${e.phase} · ${this.caption(f.t)}`,
        e.finding.boxes,
      );
      const images = evidenceFor(
        e.phase,
        annotated,
        await evidence(),
        e.phase === 'new' ? this.marks.get(e.key) : undefined,
      );
      if (e.phase === 'end') this.marks.delete(e.key);
      const track = tr.tracks.find((x) => e.finding.trackIds.includes(x.id));
      const draft = draftFor(e, this.cam, f.t, tr.tracks, this.loaded.detector.modelFor(track?.label));
      const plate =
        e.finding.kind === 'illegal_parking' && track
          ? await this.plate(await evidence(), track.box)
          : undefined;
      await this.emit(plate ? { ...draft, plate } : draft, images);
    }
    if (out.events.length) this.save();
  }
}
