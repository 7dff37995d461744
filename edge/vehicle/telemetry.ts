/**
 * @module edge/vehicle/telemetry
 * Positions up at a bounded rate, batched. A point is taken when enough time passed, or the
 * vehicle moved far enough or turned enough, but never more often than `minIntervalS` (fix time).
 * A batch goes out when full or when its first point is `maxBatchDelayS` old.
 */
import type { TrackPoint } from '../../protocol/index.js';
import type { VehicleSection } from './config.js';
import { distanceM, type VehicleInput } from './state/index.js';

type Params = VehicleSection['telemetry'];

/** Pure decision: should `cur` be sent, given the last point sent? */
export function shouldSample(last: VehicleInput | undefined, cur: VehicleInput, p: Params): boolean {
  if (!last) return true;
  const dt = (cur.t - last.t) / 1000;
  if (dt < p.minIntervalS) return false;
  if (dt >= p.maxIntervalS) return true;
  if (distanceM(last, cur) >= p.minDistanceM && p.minDistanceM > 0) return true;
  if (p.minHeadingDeg > 0 && last.track !== undefined && cur.track !== undefined && cur.speedKmh > 3) {
    const turn = Math.abs(((cur.track - last.track + 540) % 360) - 180);
    if (turn >= p.minHeadingDeg) return true;
  }
  return false;
}

export function toTrackPoint(v: VehicleInput, signals?: Record<string, number | boolean>): TrackPoint {
  const p: TrackPoint = {
    t: new Date(v.t).toISOString(),
    lat: v.lat,
    lon: v.lon,
    speedMps: Math.min(150, Math.round((v.speedKmh / 3.6) * 100) / 100),
    mode: v.altM !== undefined ? '3d' : '2d',
  };
  if (v.track !== undefined) p.trackDeg = v.track;
  if (v.altM !== undefined && v.altM >= -1000 && v.altM <= 20000) p.altM = v.altM;
  if (signals && Object.keys(signals).length) p.signals = signals;
  return p;
}

/** Sampling + batching; call `offer` per accepted input and `flush` on a timer and on stop. */
export class TelemetryBatcher {
  private last: VehicleInput | undefined;
  private batch: TrackPoint[] = [];
  private batchStart = 0;
  sampled = 0;

  constructor(
    private readonly p: Params,
    private readonly send: (points: TrackPoint[]) => void,
  ) {}

  offer(v: VehicleInput, signals?: Record<string, number | boolean>): void {
    if (!shouldSample(this.last, v, this.p)) return;
    this.last = v;
    this.sampled++;
    if (!this.batch.length) this.batchStart = v.t;
    this.batch.push(toTrackPoint(v, signals));
    if (this.batch.length >= this.p.batchSize || v.t - this.batchStart >= this.p.maxBatchDelayS * 1000)
      this.flush();
  }

  flush(): void {
    if (!this.batch.length) return;
    const out = this.batch;
    this.batch = [];
    this.send(out);
  }
}
