/**
 * @module edge/camera/capture
 * One CameraSource per camera: ONVIF init, snapshots on its own schedule, exponential backoff
 * after failures, and its own status. Sources share nothing, so one camera's timeout, 401,
 * empty body or corrupt JPEG never delays another.
 */
import type { DeviceStatus } from '../../../protocol/index.js';
import type { CameraConfig } from '../config.js';
import { connectOnvif, type OnvifInfo } from './onvif.js';
import { fetchSnapshot, SnapshotAuth, SnapshotError } from './snapshot.js';

export { type DiscoveredCamera, discoverCameras } from './discovery.js';
export { connectOnvif, type OnvifInfo } from './onvif.js';
export { fetchSnapshot, SnapshotAuth, SnapshotError } from './snapshot.js';

export interface Frame {
  cameraId: string;
  jpeg: Buffer;
  /** when it was fetched, ms since epoch */
  t: number;
  seq: number;
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
  readonly counters = { frames: 0, failures: 0, inits: 0, processErrors: 0 };

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
  ) {}

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

  /** A fresh frame now (for the snapshot command), outside the schedule. */
  async grab(): Promise<Frame> {
    const info = this.info ?? (await this.connect());
    const jpeg = await fetchSnapshot(this.cfg.snapshotUri ?? info.snapshotUri, {
      user: this.cfg.username,
      pass: this.cfg.password,
      timeoutMs: this.cfg.timeoutS * 1000,
      auth: this.auth,
    });
    return { cameraId: this.cfg.id, jpeg, t: Date.now(), seq: ++this.seq };
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
    this.log.info(
      {
        camera: this.cfg.id,
        model: this.info.model,
        snapshot: redact(this.info.snapshotUri),
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
