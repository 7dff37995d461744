/**
 * @module edge/camera/detect/ensemble
 * Several detectors on one camera (a general COCO model for people and vehicles, the project's
 * own for litter) seen as one: each contributes only the labels it is configured for, and boxes
 * whose labels name the same kind of thing (car / bus / truck → vehicle) are suppressed across
 * the group, so one real bus is one box ("bus .74" and "truck .53" on the same pixels were two
 * incidents before).
 */
import { iou as boxIou, type Detection, type Detector, type ModelInfo } from './index.js';
import type { ImageInput, RawImage } from './preprocess.js';

export interface DetectorUse {
  detector: Detector;
  /** labels this detector contributes; undefined = all of its labels */
  labels?: readonly string[];
}

/** label → its group name (a label in no group is its own group). */
export type GroupOf = (label: string) => string;

export function groupResolver(groups: Readonly<Record<string, readonly string[]>>): GroupOf {
  const m = new Map<string, string>();
  for (const [g, labels] of Object.entries(groups)) for (const l of labels) m.set(l, g);
  return (label) => m.get(label) ?? label;
}

/**
 * Greedy NMS across the labels of a group (highest score wins); boxes of different groups never
 * suppress each other (a person standing in front of a car stays).
 */
export function groupNms(dets: readonly Detection[], groupOf: GroupOf, iou: number): Detection[] {
  const kept: Detection[] = [];
  for (const d of [...dets].sort((a, b) => b.score - a.score)) {
    const g = groupOf(d.label);
    if (kept.some((k) => groupOf(k.label) === g && boxIou(k.box, d.box) > iou)) continue;
    kept.push(d);
  }
  return kept;
}

export class DetectorSet {
  constructor(
    readonly uses: readonly DetectorUse[],
    private readonly groupOf: GroupOf,
    private readonly groupIou: number,
  ) {}

  /** the largest model input: detection snapshots should not be smaller than this */
  get inputSize(): { width: number; height: number } {
    return {
      width: Math.max(...this.uses.map((u) => u.detector.manifest.input.width)),
      height: Math.max(...this.uses.map((u) => u.detector.manifest.input.height)),
    };
  }

  /** every label some detector contributes */
  get labels(): string[] {
    return [...new Set(this.uses.flatMap((u) => u.labels ?? u.detector.manifest.labels))];
  }

  /** The model that reports this label (for the incident's producer). */
  modelFor(label: string | undefined): ModelInfo | undefined {
    const u = this.uses.find((x) => label && (x.labels ?? x.detector.manifest.labels).includes(label));
    return (u ?? this.uses[0])?.detector.model;
  }

  async detect(image: ImageInput | RawImage, opts?: { score?: number }): Promise<Detection[]> {
    const all = await Promise.all(
      this.uses.map(async (u) => {
        const dets = await u.detector.detect(image, opts);
        return u.labels ? dets.filter((d) => u.labels?.includes(d.label)) : dets;
      }),
    );
    return groupNms(all.flat(), this.groupOf, this.groupIou);
  }

  async close(): Promise<void> {
    await Promise.all(this.uses.map((u) => u.detector.close()));
  }
}
