/**
 * @module edge/camera/background
 * Litter by persistence on a fixed camera: one low-resolution background model per camera
 * (./model.ts) and, per litter zone, the static objects that are not a person or a vehicle.
 * The litter rule turns those that stay `persistS` into an incident (rules/litter.ts).
 */
import sharp from 'sharp';
import type { Box } from '../detect/index.js';
import { jpegSize } from '../detect/preprocess.js';
import { type Polygon, pointInPolygon } from '../zones/index.js';
import { BackgroundModel } from './model.js';
import type { BackgroundParams } from './params.js';

export { BackgroundModel, type LowFrame, type LowRegion } from './model.js';
export { BackgroundParams } from './params.js';

/** A static object in image pixels. */
export interface StaticRegion {
  box: Box;
  areaPx: number;
  /** static since, ms */
  since: number;
  /** confidence of the region alone (params.confidence) */
  confidence: number;
}

/** What the background says about one litter zone this frame. */
export interface ZoneStatics {
  regions: StaticRegion[];
  /** static-object area hidden under a person/vehicle right now, image px² */
  occludedPx: number;
}

export interface WatchedZone {
  id: string;
  polygon: Polygon;
}

export class BackgroundWatcher {
  private model?: BackgroundModel;
  private masks = new Map<string, Uint8Array>();
  private size = { width: 0, height: 0 };

  constructor(
    private readonly p: BackgroundParams,
    private readonly zones: readonly WatchedZone[],
  ) {}

  /**
   * Feed one frame; `covers` are the person and vehicle boxes alive now, in the coordinates of the
   * zones (main-stream px). `scale` maps this frame's pixels to those (a sub-stream frame); absent = 1.
   */
  async observe(
    jpeg: Buffer,
    t: number,
    covers: readonly Box[],
    scale: { x: number; y: number } = { x: 1, y: 1 },
  ): Promise<Record<string, ZoneStatics>> {
    // the size from the JPEG header: no second decode per frame (the resize below decodes once)
    const got = jpegSize(jpeg) ?? (await sharp(jpeg).metadata());
    if (!got.width || !got.height) throw new Error('background: frame has no size');
    const meta = { width: got.width * scale.x, height: got.height * scale.y };
    const { data, info } = await sharp(jpeg)
      .resize({ width: Math.min(this.p.width, got.width) })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (
      !this.model ||
      meta.width !== this.size.width ||
      meta.height !== this.size.height ||
      info.width !== this.model.width
    )
      this.reset(meta.width, meta.height, info.width, info.height);
    const model = this.model as BackgroundModel;
    const sx = meta.width / info.width;
    const sy = meta.height / info.height;
    const covered = this.coverMask(covers, sx, sy, info.width, info.height);
    model.step({ data, width: info.width, height: info.height }, t, covered);
    const minArea = this.p.minAreaPx / (sx * sy);
    const out: Record<string, ZoneStatics> = {};
    for (const z of this.zones) {
      const r = model.regions(this.masks.get(z.id) as Uint8Array, covered, minArea);
      out[z.id] = {
        occludedPx: Math.round(r.occluded * sx * sy),
        regions: r.regions.map((g) => ({
          box: { x: g.x * sx, y: g.y * sy, w: g.w * sx, h: g.h * sy },
          areaPx: Math.round(g.area * sx * sy),
          since: g.since,
          confidence: this.p.confidence,
        })),
      };
    }
    return out;
  }

  private reset(width: number, height: number, w: number, h: number): void {
    this.size = { width, height };
    this.model = new BackgroundModel(w, h, this.p);
    this.masks = new Map(
      this.zones.map((z) => {
        const m = new Uint8Array(w * h);
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            m[y * w + x] = pointInPolygon(((x + 0.5) * width) / w, ((y + 0.5) * height) / h, z.polygon)
              ? 1
              : 0;
        return [z.id, m];
      }),
    );
  }

  private coverMask(covers: readonly Box[], sx: number, sy: number, w: number, h: number): Uint8Array {
    const m = new Uint8Array(w * h);
    const g = this.p.coverMargin;
    for (const b of covers) {
      const x0 = Math.max(0, Math.floor((b.x - b.w * g) / sx));
      const y0 = Math.max(0, Math.floor((b.y - b.h * g) / sy));
      const x1 = Math.min(w - 1, Math.ceil((b.x + b.w * (1 + g)) / sx));
      const y1 = Math.min(h - 1, Math.ceil((b.y + b.h * (1 + g)) / sy));
      for (let y = y0; y <= y1; y++) m.fill(1, y * w + x0, y * w + x1 + 1);
    }
    return m;
  }
}
