/**
 * @module edge/camera/background/model
 * A fixed camera's background at low resolution, learnt from its own frames, and the static
 * foreground against it (the abandoned-object approach). Pure arithmetic on RGB pixels, no I/O.
 *
 * Per frame: brightness is normalised (the frame's mean/std per channel mapped onto the
 * background's, measured where the scene is known background), so sun, clouds and night lights
 * move nothing. A pixel is foreground when it differs from the background; moving when it
 * changed since the previous frame; covered when inside a person/vehicle box. The background is
 * a slow running median (± `learnStep` per frame) updated only where the pixel is background,
 * still and uncovered; a pixel first seen covered is learnt the first time it is seen uncovered
 * and still (so a car parked at start-up leaves no ghost). Each foreground pixel remembers since
 * when it has been static; covered or moving pixels keep that time (a passer-by does not reset
 * litter they walk past), background again clears it (the object was removed).
 */
import type { BackgroundParams } from './params.js';

export interface LowFrame {
  /** RGB, 3 bytes per pixel, row-major */
  data: Uint8Array;
  width: number;
  height: number;
}

/** A connected static region in low-resolution pixels. */
export interface LowRegion {
  x: number;
  y: number;
  w: number;
  h: number;
  area: number;
  /** at least `minArea` of its pixels have been static since then, ms */
  since: number;
}

type Params = Pick<BackgroundParams, 'threshold' | 'motionThreshold' | 'learnStep' | 'absorbAfterS'>;

export class BackgroundModel {
  readonly n: number;
  private readonly bg: Float32Array;
  private readonly prev: Float32Array;
  private readonly cur: Float32Array;
  private readonly known: Uint8Array;
  /** static-foreground-since per pixel, ms; NaN = background */
  readonly since: Float64Array;
  private hasPrev = false;
  frames = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly p: Params,
  ) {
    this.n = width * height;
    this.bg = new Float32Array(this.n * 3);
    this.prev = new Float32Array(this.n * 3);
    this.cur = new Float32Array(this.n * 3);
    this.known = new Uint8Array(this.n);
    this.since = new Float64Array(this.n).fill(Number.NaN);
  }

  /** `covered[i]` = 1 where a person or vehicle is (grown boxes). */
  step(f: LowFrame, t: number, covered: Uint8Array): void {
    if (f.width !== this.width || f.height !== this.height)
      throw new Error(`background: frame ${f.width}x${f.height}, model ${this.width}x${this.height}`);
    this.normalise(f.data, covered);
    const { threshold, motionThreshold, learnStep, absorbAfterS } = this.p;
    const absorbMs = absorbAfterS * 1000;
    const { bg, cur, prev, known, since } = this;
    for (let i = 0; i < this.n; i++) {
      const o = i * 3;
      let d = 0;
      let m = 0;
      for (let c = 0; c < 3; c++) {
        d = Math.max(d, Math.abs(cur[o + c] - bg[o + c]));
        if (this.hasPrev) m = Math.max(m, Math.abs(cur[o + c] - prev[o + c]));
      }
      const moving = m > motionThreshold;
      if (covered[i]) continue;
      if (!known[i]) {
        if (!moving && this.hasPrev) {
          for (let c = 0; c < 3; c++) bg[o + c] = cur[o + c];
          known[i] = 1;
        }
        continue;
      }
      const held = !Number.isNaN(since[i]);
      // hysteresis: an object already held stays foreground down to half the threshold
      const fg = d > threshold || (held && d > threshold / 2);
      if (fg) {
        if (moving) continue;
        if (!held) since[i] = t;
        else if (absorbMs > 0 && t - since[i] >= absorbMs) {
          for (let c = 0; c < 3; c++) bg[o + c] = cur[o + c];
          since[i] = Number.NaN;
        }
        continue;
      }
      since[i] = Number.NaN;
      if (moving) continue;
      for (let c = 0; c < 3; c++) {
        const e = cur[o + c] - bg[o + c];
        bg[o + c] += Math.sign(e) * Math.min(Math.abs(e), learnStep);
      }
    }
    prev.set(cur);
    this.hasPrev = true;
    this.frames++;
  }

  /** Map the frame's brightness and contrast per channel onto the background's, over known, uncovered, background pixels. */
  private normalise(data: Uint8Array, covered: Uint8Array): void {
    const sf = [0, 0, 0];
    const sf2 = [0, 0, 0];
    const sb = [0, 0, 0];
    const sb2 = [0, 0, 0];
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      if (!this.known[i] || covered[i] || !Number.isNaN(this.since[i])) continue;
      k++;
      for (let c = 0; c < 3; c++) {
        const x = data[i * 3 + c];
        const b = this.bg[i * 3 + c];
        sf[c] += x;
        sf2[c] += x * x;
        sb[c] += b;
        sb2[c] += b * b;
      }
    }
    const gain = [1, 1, 1];
    const off = [0, 0, 0];
    if (k > this.n / 20)
      for (let c = 0; c < 3; c++) {
        const mf = sf[c] / k;
        const mb = sb[c] / k;
        const vf = Math.sqrt(Math.max(sf2[c] / k - mf * mf, 1));
        const vb = Math.sqrt(Math.max(sb2[c] / k - mb * mb, 1));
        gain[c] = Math.min(5, Math.max(0.2, vb / vf));
        off[c] = mb - mf * gain[c];
      }
    for (let i = 0; i < this.n * 3; i++) {
      const c = i % 3;
      this.cur[i] = data[i] * gain[c] + off[c];
    }
  }

  /**
   * Regions of static foreground inside `mask` that are not covered now, 8-connected, of at
   * least `minArea` pixels, and the number of static pixels hidden under a cover.
   */
  regions(
    mask: Uint8Array,
    covered: Uint8Array,
    minArea: number,
  ): { regions: LowRegion[]; occluded: number } {
    const { width: w, height: h, since } = this;
    const seen = new Uint8Array(this.n);
    const out: LowRegion[] = [];
    let occluded = 0;
    const stack: number[] = [];
    for (let s = 0; s < this.n; s++) {
      if (!mask[s] || Number.isNaN(since[s])) continue;
      if (covered[s]) {
        occluded++;
        continue;
      }
      if (seen[s]) continue;
      seen[s] = 1;
      stack.push(s);
      const times: number[] = [];
      let x0 = w;
      let y0 = h;
      let x1 = -1;
      let y1 = -1;
      while (stack.length) {
        const i = stack.pop() as number;
        const x = i % w;
        const y = (i - x) / w;
        times.push(since[i]);
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            const ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
            const j = ny * w + nx;
            if (seen[j] || !mask[j] || covered[j] || Number.isNaN(since[j])) continue;
            seen[j] = 1;
            stack.push(j);
          }
      }
      if (times.length < minArea) continue;
      times.sort((a, b) => a - b);
      out.push({
        x: x0,
        y: y0,
        w: x1 - x0 + 1,
        h: y1 - y0 + 1,
        area: times.length,
        since: times[Math.max(0, Math.ceil(minArea) - 1)],
      });
    }
    return { regions: out, occluded };
  }
}
