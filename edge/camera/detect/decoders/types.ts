/** @module edge/camera/detect/decoders/types  The contract each output-layout plugin implements. */
import type { ModelManifest } from '../manifest.js';

/** A box in model-input pixels (corners), before un-letterboxing and NMS. */
export interface Candidate {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classId: number;
}

/** One output tensor of a run: flat data and its dims. */
export interface OutTensor {
  data: Float32Array;
  dims: number[];
}

export type Dims = readonly (number | string | null)[];

export interface DetectDecoder {
  /** the manifest's `output.layout` value */
  readonly key: 'yolov5' | 'yolov8' | 'yolox' | 'picodet';
  /** true: the decoder reads every model output (told apart by shape), not only `output.name` */
  readonly allOutputs?: boolean;
  /**
   * Why these output dims do not fit the manifest, or undefined when they do. Unknown (symbolic)
   * dims pass. One entry per output read (one unless `allOutputs`).
   */
  checkDims(dims: readonly Dims[], m: ModelManifest): string | undefined;
  /** Candidates with score >= minScore, in model-input pixels. */
  decode(outs: readonly OutTensor[], m: ModelManifest, minScore: number): Candidate[];
}

export function known(d: number | string | null | undefined): d is number {
  return typeof d === 'number' && d > 0;
}

/** Best class of row i from a strided score accessor. */
export function argmax(n: number, at: (c: number) => number): [number, number] {
  let best = 0;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < n; c++) {
    const s = at(c);
    if (s > bestScore) {
      bestScore = s;
      best = c;
    }
  }
  return [best, bestScore];
}
