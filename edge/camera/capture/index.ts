/**
 * @module edge/camera/capture
 * One CameraSource per camera: ONVIF init, snapshots on its own schedule, exponential backoff
 * after failures, and its own status. Sources share nothing, so one camera's timeout, 401,
 * empty body or corrupt JPEG never delays another.
 *
 * Detect on the sub-stream, keep evidence from the main stream (Frigate's rule): the scheduled
 * snapshots come from the profile closest to the model input (not smaller), and a main-stream
 * snapshot is fetched only when a frame becomes evidence. Boxes are scaled to main-stream pixels,
 * so zones, tracks and evidence share one coordinate system whatever profile detection uses.
 */

import sharp from 'sharp';
import type { DeviceStatus } from '../../../protocol/index.js';
import type { CameraConfig } from '../config.js';
import { jpegSize } from '../detect/preprocess.js';
import { connectOnvif, type MediaProfile, type OnvifInfo } from './onvif.js';
import { fetchSnapshot, SnapshotAuth, SnapshotError } from './snapshot.js';

export { type DiscoveredCamera, discoverCameras } from './discovery.js';
export { connectOnvif, type MediaProfile, type OnvifInfo } from './onvif.js';
export { fetchSnapshot, SnapshotAuth, SnapshotError } from './snapshot.js';

export interface Frame {
  cameraId: string;
  jpeg: Buffer;
  /** when it was fetched, ms since epoch */
  t: number;
  seq: number;
  /** evidence pixels per detection pixel (main stream over sub-stream); absent = 1 */
  scale?: { x: number; y: number };
  /** the main-stream snapshot for evidence, in the coordinates boxes are scaled to; absent = `jpeg` */
  evidence?: () => Promise<Buffer>;
}

/** Which profile feeds detection and which the evidence, and why (for the log). */
export interface ProfileChoice {
  detect: MediaProfile;
  evidence: MediaProfile;
  /** set when no profile was large enough for the model: detection upsamples */
  warning?: string;
}

const area = (p: MediaProfile) => (p.width ?? 0) * (p.height ?? 0);
/** a frame this size is not upsampled to fit the model (letterbox or stretch: one side reaches it) */
const fits = (p: MediaProfile, m: { width: number; height: number }) =>
  (p.width ?? 0) >= m.width || (p.height ?? 0) >= m.height;

/**
 * Evidence: the configured profile, else the largest. Detection: the configured one, else
 * ('auto') the smallest that still fits the model input, else the largest with a warning.
 * Profiles without a declared size are only used when none declares one.
 */
export function pickProfiles(
  profiles: readonly MediaProfile[],
  model: { width: number; height: number } | undefined,
  cfg: { profile?: string; detectProfile: string },
): ProfileChoice {
  if (!profiles.length) throw new Error('ONVIF: no profile with a snapshot URI');
  const byToken = (t: string, what: string) => {
    const p = profiles.find((x) => x.token === t);
    if (!p) throw new Error(`ONVIF ${what} profile "${t}" not found (have ${profiles.map((x) => x.token)})`);
    return p;
  };
  const largest = profiles.reduce((a, b) => (area(b) > area(a) ? b : a));
  const evidence = cfg.profile ? byToken(cfg.profile, 'evidence') : largest;
  if (cfg.detectProfile !== 'auto') return { detect: byToken(cfg.detectProfile, 'detection'), evidence };
  if (!model || !area(largest)) return { detect: evidence, evidence };
  const fitting = profiles.filter((p) => area(p) && fits(p, model));
  if (!fitting.length)
    return {
      detect: largest,
      evidence,
      warning: `no profile reaches the model input ${model.width}x${model.height}; detecting on ${largest.width}x${largest.height} (${largest.token}), upsampled`,
    };
  return { detect: fitting.reduce((a, b) => (area(b) < area(a) ? b : a)), evidence };
}

export interface SourceLog {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

/** Delay after `failures` consecutive failures (1-based): initial × factor^(n-1), capped. */
export function backoffDelayS(failures: number, b: CameraConfig['backoff']): number {
  return Math.min(b.maxS, b.initialS * b.factor ** Math.max(0, failures - 1));
}

export class CameraSource {
  private info?: OnvifInfo;
  private choice?: ProfileChoice;
  /** actual evidence frame size, learnt from the first main-stream snapshot */
  private evidenceSize?: { width: number; height: number };
  private running = false;
  private wake?: () => void;
  private timer?: NodeJS.Timeout;
  private loopDone?: Promise<void>;
  private failures = 0;
  private lastError?: string;
  private lastSeenAt?: number;
  private seq = 0;
  private stopping = new AbortController();
  /** this camera's snapshot auth (scheme, nonce), kept across snapshots */
  private readonly auth = new SnapshotAuth();
  private lastWarnAt = 0;
  readonly startedAt = Date.now();
  readonly counters = {
    frames: 0,
    failures: 0,
    inits: 0,
    processErrors: 0,
    evidenceFetches: 0,
    evidenceFailures: 0,
  };

  constructor(
    readonly cfg: CameraConfig,
    private readonly onFrame: (f: Frame) => Promise<void>,
    private readonly log: SourceLog,
    /** resolves a discovery-configured camera to its xaddr; `signal` aborts when the source stops */
    private readonly resolveXaddr: (cfg: CameraConfig, signal?: AbortSignal) => Promise<string> = async (
      c,
    ) => {
      if (!c.xaddr) throw new Error('no xaddr configured');
      return c.xaddr;
    },
    /** the largest model input of the camera's detectors: the detection profile should reach it */
    private readonly modelInput?: { width: number; height: number },
  ) {}

  /** The profiles in use (after the first connect). */
  profiles(): ProfileChoice | undefined {
    return this.choice;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.stopping.signal.aborted) this.stopping = new AbortController(); // started again
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort(); // a discovery in flight ends now, not after its wait
    clearTimeout(this.timer);
    this.wake?.();
    await this.loopDone;
  }

  /** online: the last attempt got a frame. */
  status(): DeviceStatus {
    return {
      id: this.cfg.id,
      type: 'camera',
      online: this.failures === 0 && this.lastSeenAt !== undefined,
      lastSeenAt: this.lastSeenAt ? new Date(this.lastSeenAt).toISOString() : undefined,
      error: this.failures ? this.lastError?.slice(0, 500) : this.lastSeenAt ? undefined : 'connecting',
      counters: { ...this.counters },
    };
  }

  /** ms since the last frame (or since start when none yet). */
  silentForMs(now = Date.now()): number {
    return now - (this.lastSeenAt ?? this.startedAt);
  }

  private fetch(uri: string): Promise<Buffer> {
    return fetchSnapshot(uri, {
      user: this.cfg.username,
      pass: this.cfg.password,
      timeoutMs: this.cfg.timeoutS * 1000,
      auth: this.auth,
    });
  }

  /** A fresh detection frame now (also for the snapshot command), outside the schedule. */
  async grab(): Promise<Frame> {
    const info = this.info ?? (await this.connect());
    const t = Date.now();
    const seq = ++this.seq;
    const choice = this.choice;
    if (this.cfg.snapshotUri || !choice || choice.detect === choice.evidence) {
      const jpeg = await this.fetch(this.cfg.snapshotUri ?? choice?.detect.snapshotUri ?? info.snapshotUri);
      return { cameraId: this.cfg.id, jpeg, t, seq };
    }
    const jpeg = await this.fetch(choice.detect.snapshotUri);
    const det = jpegSize(jpeg);
    const ev = this.evidenceSize ?? {
      width: choice.evidence.width ?? 0,
      height: choice.evidence.height ?? 0,
    };
    if (!det || !ev.width || !ev.height) return { cameraId: this.cfg.id, jpeg, t, seq };
    return {
      cameraId: this.cfg.id,
      jpeg,
      t,
      seq,
      scale: { x: ev.width / det.width, y: ev.height / det.height },
      evidence: () => this.evidence(choice.evidence, jpeg, ev),
    };
  }

  /**
   * The main-stream snapshot at the size the boxes were scaled to. When it cannot be fetched the
   * detection frame, enlarged to that size, stands in (logged, counted): the incident still goes out.
   */
  private async evidence(
    p: MediaProfile,
    detJpeg: Buffer,
    size: { width: number; height: number },
  ): Promise<Buffer> {
    this.counters.evidenceFetches++;
    try {
      const jpeg = await this.fetch(p.snapshotUri);
      const got = jpegSize(jpeg);
      if (got && !this.evidenceSize) this.evidenceSize = got;
      if (got && got.width === size.width && got.height === size.height) return jpeg;
      return await sharp(jpeg)
        .resize(size.width, size.height, { fit: 'fill' })
        .jpeg({ quality: 90 })
        .toBuffer();
    } catch (e) {
      this.counters.evidenceFailures++;
      this.log.warn(
        { camera: this.cfg.id, profile: p.token, err: (e as Error).message },
        'main-stream evidence snapshot failed; using the detection frame, enlarged',
      );
      return sharp(detJpeg).resize(size.width, size.height, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    }
  }

  private async connect(): Promise<OnvifInfo> {
    this.counters.inits++;
    const xaddr = await this.resolveXaddr(this.cfg, this.stopping.signal);
    this.info = await connectOnvif({
      xaddr,
      user: this.cfg.username,
      pass: this.cfg.password,
      profile: this.cfg.profile,
      timeoutMs: this.cfg.timeoutS * 1000 * 3,
    });
    const profiles = this.info.profiles.length
      ? this.info.profiles
      : [
          {
            token: this.info.profileToken,
            snapshotUri: this.info.snapshotUri,
            width: this.info.width,
            height: this.info.height,
          },
        ];
    this.choice = pickProfiles(profiles, this.modelInput, this.cfg);
    if (this.choice.warning) this.log.warn({ camera: this.cfg.id }, this.choice.warning);
    const size = (p: MediaProfile) => `${p.token} ${p.width ?? '?'}x${p.height ?? '?'}`;
    this.log.info(
      {
        camera: this.cfg.id,
        model: this.info.model,
        snapshot: redact(this.choice.detect.snapshotUri),
        detectProfile: size(this.choice.detect),
        evidenceProfile: size(this.choice.evidence),
        skewMs: this.info.timeDiffMs,
      },
      'camera connected',
    );
    return this.info;
  }

  private sleep(s: number): Promise<void> {
    return new Promise((r) => {
      this.wake = r;
      this.timer = setTimeout(r, s * 1000);
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let delayS = this.cfg.snapshotIntervalS;
      const began = Date.now();
      let frame: Frame | undefined;
      try {
        frame = await this.grab();
        if (this.failures) this.log.info({ camera: this.cfg.id, after: this.failures }, 'camera back');
        this.failures = 0;
        this.lastSeenAt = frame.t;
        this.counters.frames++;
      } catch (e) {
        this.failures++;
        this.counters.failures++;
        const msg = (e as Error).message;
        // a new cause at once; the same one again every offlineAfterS, so a lasting fault stays in the log
        const repeat = began - this.lastWarnAt >= this.cfg.offlineAfterS * 1000;
        if (this.failures === 1 || msg !== this.lastError || repeat) {
          this.lastWarnAt = began;
          this.log.warn(
            { camera: this.cfg.id, err: msg, failures: this.failures },
            'camera failed; retrying',
          );
        }
        this.lastError = msg;
        // After repeated failures the URI may be stale (InvalidAfterReboot): re-init next time.
        // Refused credentials are not a stale URI: re-init would only log "connected" again.
        const refused = e instanceof SnapshotError && e.reason === 'auth';
        if (this.failures >= 3 && !refused) this.info = undefined;
        delayS = backoffDelayS(this.failures, this.cfg.backoff);
      }
      if (frame && this.running) {
        try {
          await this.onFrame(frame);
        } catch (e) {
          this.counters.processErrors++;
          this.log.warn(
            { camera: this.cfg.id, err: (e as Error).message },
            'frame processing failed; frame skipped',
          );
        }
      }
      if (!this.running) break;
      await this.sleep(Math.max(0, delayS - (frame ? (Date.now() - began) / 1000 : 0)));
    }
  }
}

/** Snapshot URIs can carry credentials in their query (some vendors): keep them out of logs. */
export function redact(uri: string): string {
  try {
    const u = new URL(uri);
    u.username = '';
    u.password = '';
    for (const k of [...u.searchParams.keys()])
      if (/pass|pwd|user|auth|token/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return '(unparsable uri)';
  }
}
