/**
 * @module edge/camera/unit
 * One EdgeUnit per camera: capture → detect → track → classify persons in post zones → rules →
 * lifecycle → incidents with evidence. Each camera has its own source, state and loop, so one
 * camera's fault never stalls another; models are shared (one session per model).
 */
import sharp from 'sharp';
import type { CommandRequest } from '../../protocol/index.js';
import { INCIDENT_KINDS, newId } from '../../protocol/index.js';
import type { EdgeSinks, EdgeUnit, UnitContext } from '../unit.js';
import { CameraSource, type Frame } from './capture/index.js';
import type { CameraConfig, CameraSection } from './config.js';
import { type Classifier, type Detector, decodeRgb } from './detect/index.js';
import { initialEngine, judgeFrame, personsToJudge, trackFrame } from './engine.js';
import { annotate } from './evidence/index.js';
import { draftFor, evidenceFor, location, type OpenCause, revision } from './incidents.js';

export interface Models {
  detector: Detector;
  classifier?: Classifier;
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
  readonly counters = { frames: 0, incidents: 0, ruleErrors: 0, sinkErrors: 0 };

  constructor(
    readonly cam: CameraConfig,
    private readonly section: CameraSection,
    private readonly models: Models,
    private readonly ctx: UnitContext,
    resolveXaddr?: (c: CameraConfig) => Promise<string>,
  ) {
    this.name = `camera:${cam.id}`;
    this.source = new CameraSource(cam, (f) => this.process(f), ctx.log, resolveXaddr);
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
    const dets = await this.models.detector.detect(f.jpeg, { score: this.cam.scoreThreshold });
    const image = await annotate(
      f.jpeg,
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

  private async process(f: Frame): Promise<void> {
    const p = { camera: this.cam, section: this.section };
    // Straight from the JPEG (shrink-on-load); a corrupt JPEG throws here: counted by the source, skipped.
    const dets = await this.models.detector.detect(f.jpeg, { score: this.cam.scoreThreshold });
    const tr = trackFrame(this.engine, f.t, dets, p);
    this.engine = tr.state;
    if (!tr.fresh) return;
    this.counters.frames++;
    const judgements: Record<number, boolean> = {};
    const persons = this.models.classifier ? personsToJudge(tr.tracks, f.t, p) : [];
    // Full-size pixels only when a person is to be judged: decode once, crop each.
    const raw = persons.length ? await decodeRgb(f.jpeg) : undefined;
    if (this.models.classifier && raw)
      for (const person of persons) {
        const c = await this.models.classifier.classify(raw, person.box);
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
    const draw = (zoneId?: string, trackIds?: number[], caption = this.caption(f.t)) =>
      annotate(
        f.jpeg,
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
        f.jpeg,
        e.phase === 'new' ? this.marks.get(e.key) : undefined,
      );
      if (e.phase === 'end') this.marks.delete(e.key);
      await this.emit(draftFor(e, c, this.cam, f.t, tr.tracks, this.models.detector.model), images);
    }
  }
}
