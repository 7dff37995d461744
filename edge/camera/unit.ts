/**
 * @module edge/camera/unit
 * One EdgeUnit per camera: capture → detect → track → classify persons in post zones → rules →
 * lifecycle → incidents with evidence. Each camera has its own source, state and loop, so one
 * camera's fault never stalls another; models are shared (one session per model).
 */
import type { CommandRequest } from '../../protocol/index.js';
import { INCIDENT_KINDS, newId } from '../../protocol/index.js';
import type { EdgeSinks, EdgeUnit, UnitContext } from '../unit.js';
import { CameraSource, type Frame } from './capture/index.js';
import type { CameraConfig, CameraSection } from './config.js';
import type { DetectorSet } from './detect/ensemble.js';
import { type Box, type Classifier, type Detection, decodeRgb } from './detect/index.js';
import { initialEngine, judgeFrame, personsToJudge, trackFrame } from './engine.js';
import { annotate } from './evidence/index.js';
import { draftFor, evidenceFor, location, type OpenCause, revision } from './incidents.js';
import { type Ocr, type PlateReading, readPlate } from './plates/index.js';

export interface Models {
  /** every detector of the camera, merged (labels per detector, NMS across label groups) */
  detector: DetectorSet;
  classifier?: Classifier;
  /** plate reader for vehicle evidence (absent: no plates) */
  ocr?: Ocr;
}

const MAX_MARKS = 64;

export class CameraUnit implements EdgeUnit {
  readonly name: string;
  private readonly source: CameraSource;
  private sinks?: EdgeSinks;
  private engine = initialEngine();
  private readonly open = new Map<string, OpenCause>();
  /** start-of-cause evidence frames, by cause key */
  private readonly marks = new Map<string, Buffer>();
  private offline?: OpenCause;
  private watchdog?: NodeJS.Timeout;
  readonly counters = { frames: 0, incidents: 0, ruleErrors: 0, sinkErrors: 0, plates: 0, plateErrors: 0 };

  constructor(
    readonly cam: CameraConfig,
    private readonly section: CameraSection,
    private readonly models: Models,
    private readonly ctx: UnitContext,
    resolveXaddr?: (c: CameraConfig) => Promise<string>,
  ) {
    this.name = `camera:${cam.id}`;
    this.source = new CameraSource(
      cam,
      (f) => this.process(f),
      ctx.log,
      resolveXaddr,
      models.detector.inputSize,
    );
  }

  async start(sinks: EdgeSinks): Promise<void> {
    this.sinks = sinks;
    this.source.start();
    this.watchdog = setInterval(() => void this.checkOffline(), Math.min(1000, this.cam.offlineAfterS * 250));
  }

  /**
   * Replay: feed recorded frames with their own times through the same pipeline (no capture, no
   * offline watchdog), e.g. a scene whose dwell is minutes long, in milliseconds of test time.
   */
  async replay(sinks: EdgeSinks, frames: Iterable<Frame> | AsyncIterable<Frame>): Promise<void> {
    this.sinks = sinks;
    for await (const f of frames) await this.process(f);
  }

  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    await this.source.stop();
  }

  devices() {
    return [this.source.status()];
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
    return {
      cameraId: this.cam.id,
      observedAt: new Date(f.t).toISOString(),
      detections: dets.map((d) => ({ label: d.label, score: d.score, box: d.box })),
      image: { contentType: 'image/jpeg', role: 'annotated', base64: image.toString('base64') },
    };
  }

  private caption(t: number): string {
    return `${this.cam.name ?? this.cam.id} ${new Date(t).toISOString()}`;
  }

  /** Camera silent beyond offlineAfterS → device_offline incident; a frame again → its end. */
  private async checkOffline(): Promise<void> {
    const now = Date.now();
    const silent = this.source.silentForMs(now) > this.cam.offlineAfterS * 1000;
    const online = this.source.status().online;
    if (!this.offline && silent && !online) {
      this.offline = { id: newId(now), rev: 0, startedAt: new Date(now).toISOString() };
      await this.emitOffline('new', now);
    } else if (this.offline && online) {
      this.offline.rev += 1;
      await this.emitOffline('end', now);
      this.offline = undefined;
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
          error: st.error ?? 'no frame',
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

  /** The plate of the vehicle at `box` on an evidence frame; an OCR failure is logged and counted, never fatal. */
  private async plate(jpeg: Buffer, box: Box): Promise<PlateReading | undefined> {
    if (!this.models.ocr) return undefined;
    try {
      const p = await readPlate(this.models.ocr, await decodeRgb(jpeg), box);
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
    const dets = await this.models.detector.detect(f.jpeg, { score: this.cam.scoreThreshold });
    const k = f.scale;
    if (!k) return dets;
    return dets.map((d) => ({
      ...d,
      box: { x: d.box.x * k.x, y: d.box.y * k.y, w: d.box.w * k.x, h: d.box.h * k.y },
    }));
  }

  private async process(f: Frame): Promise<void> {
    const p = { camera: this.cam, section: this.section };
    const dets = await this.detect(f);
    const tr = trackFrame(this.engine, f.t, dets, p);
    this.engine = tr.state;
    if (!tr.fresh) return;
    this.counters.frames++;
    const judgements: Record<number, boolean> = {};
    const persons = this.models.classifier ? personsToJudge(tr.tracks, f.t, p) : [];
    // Full-size pixels only when a person is to be judged: decode once, crop each.
    const raw = persons.length ? await decodeRgb(f.jpeg) : undefined;
    const k = f.scale ?? { x: 1, y: 1 };
    if (this.models.classifier && raw)
      for (const person of persons) {
        const b = person.box;
        const crop = { x: b.x / k.x, y: b.y / k.y, w: b.w / k.x, h: b.h / k.y };
        const c = await this.models.classifier.classify(raw, crop);
        judgements[person.id] = this.section.labels.uniform.includes(c.label);
      }
    const out = judgeFrame(this.engine, f.t, judgements, p);
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
      if (track !== undefined && !alive.has(track) && !this.open.has(k)) this.marks.delete(k);
    }
    if (!out.marks.length && !out.events.length) return;
    const boxes = tr.tracks
      .filter((t) => t.seen)
      .map((t) => ({ label: t.label, score: t.score, box: t.box, trackId: t.id }));
    // Evidence from the main stream: fetched once, only now that this frame is evidence.
    let main: Promise<Buffer> | undefined;
    const evidence = () => (main ??= f.evidence?.() ?? Promise.resolve(f.jpeg));
    const draw = async (zoneId?: string, trackIds?: number[], caption = this.caption(f.t)) =>
      annotate(
        await evidence(),
        { boxes, zones: this.cam.zones, highlight: { zoneId, trackIds }, caption },
        this.section.evidence.jpegQuality,
      );
    for (const m of out.marks) {
      this.marks.set(m.key, await draw(m.zoneId, m.trackIds));
      if (this.marks.size > MAX_MARKS) this.marks.delete(this.marks.keys().next().value as string);
    }
    for (const e of out.events) {
      const c = revision(this.open, e.key, e.phase, f.t, e.finding.since);
      if (!c) continue;
      const zh = INCIDENT_KINDS[e.finding.kind].zh;
      const annotated = await draw(
        e.finding.zoneId,
        e.finding.trackIds,
        `${zh} ${e.phase} · ${this.caption(f.t)}`,
      );
      const images = evidenceFor(
        e.phase,
        annotated,
        await evidence(),
        e.phase === 'new' ? this.marks.get(e.key) : undefined,
      );
      if (e.phase === 'end') this.marks.delete(e.key);
      const track = tr.tracks.find((x) => e.finding.trackIds.includes(x.id));
      const draft = draftFor(e, c, this.cam, f.t, tr.tracks, this.models.detector.modelFor(track?.label));
      const plate =
        e.finding.kind === 'illegal_parking' && track
          ? await this.plate(await evidence(), track.box)
          : undefined;
      await this.emit(plate ? { ...draft, plate } : draft, images);
    }
  }
}
