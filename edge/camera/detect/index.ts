/**
 * @module edge/camera/detect
 * Object detection and crop classification with onnxruntime-node, driven by a model manifest
 * (see ./manifest.ts). This is the stable API used by the camera pipeline, the models CLI and
 * model evaluation.
 *
 * @example
 * const det = await loadDetector('models/detector/manifest.json');
 * const dets = await det.detect(jpegBuffer);            // boxes in the ORIGINAL image's pixels
 * // [{ label: 'vehicle', classId: 1, score: 0.91, box: { x, y, w, h } }]
 * const cls = await loadClassifier('models/uniform/manifest.json');
 * const { label, score, scores } = await cls.classify(jpegBuffer, dets[0].box); // crop, then classify
 * await det.close(); await cls.close();
 *
 * - `detect(image, { score?, iou? })`: image is an encoded JPEG/PNG Buffer, a sharp instance, or a
 *   RawImage from `decodeRgb` (decode once, share between models). Thresholds default to the
 *   manifest's. NMS is class-aware. Boxes are clipped to the image.
 * - The stages are exposed separately (`preprocess`, `infer`, `postprocess`) so a benchmark can
 *   time them apart; `detect` is exactly their composition.
 * - One onnxruntime session per loaded model, created at load; a model whose input/output shapes
 *   do not match its manifest fails at load with a message naming the model and the shapes.
 */

import sharp from 'sharp';
import { decoderFor, type OutTensor } from './decoders/index.js';
import type { ModelManifest } from './manifest.js';
import { loadManifest } from './manifest.js';
import { nmsClassAware, unletterbox } from './nms.js';
import {
  decodeRgb,
  type ImageInput,
  type LetterboxTransform,
  type Prepared,
  prepare,
  type RawImage,
} from './preprocess.js';
import { openSession } from './session.js';

export { DECODERS, decoderFor, type OutTensor } from './decoders/index.js';
export { loadManifest, ModelManifest } from './manifest.js';
export { type Corners, iou, iouCorners, nmsClassAware } from './nms.js';
export { decodeRgb, type ImageInput, letterboxGeometry, type RawImage } from './preprocess.js';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Detection {
  label: string;
  classId: number;
  score: number;
  /** original-image pixels, top-left origin */
  box: Box;
}

/** Identifies the model in incidents (protocol ModelRef). */
export interface ModelInfo {
  name: string;
  version: string;
  sha256: string;
}

export interface Detector {
  readonly manifest: ModelManifest;
  readonly model: ModelInfo;
  detect(image: ImageInput | RawImage, opts?: { score?: number; iou?: number }): Promise<Detection[]>;
  preprocess(image: ImageInput | RawImage): Promise<Prepared>;
  /** the model outputs the decoder reads (one, or all for multi-head layouts) */
  infer(p: Prepared): Promise<OutTensor[]>;
  postprocess(
    out: readonly OutTensor[],
    t: LetterboxTransform,
    opts?: { score?: number; iou?: number },
  ): Detection[];
  close(): Promise<void>;
}

export interface Classification {
  label: string;
  score: number;
  scores: Record<string, number>;
}

export interface Classifier {
  readonly manifest: ModelManifest;
  readonly model: ModelInfo;
  /** Classify the whole image, or the crop `box` of it (original pixels). */
  classify(image: ImageInput | RawImage, box?: Box): Promise<Classification>;
  close(): Promise<void>;
}

function isRaw(x: ImageInput | RawImage): x is RawImage {
  return typeof x === 'object' && 'data' in x && 'width' in x && 'height' in x && !Buffer.isBuffer(x);
}

async function toRaw(image: ImageInput | RawImage): Promise<RawImage> {
  return isRaw(image) ? image : decodeRgb(image);
}

export async function loadDetector(manifestPath: string): Promise<Detector> {
  const lm = await loadManifest(manifestPath);
  const m = lm.manifest;
  if (m.task !== 'detect')
    throw new Error(`model manifest ${manifestPath}: task is "${m.task}", expected "detect"`);
  const decoder = decoderFor(m.output.layout);
  const sess = await openSession(
    lm.bytes,
    m,
    manifestPath,
    (dims) => decoder.checkDims(dims, m),
    decoder.allOutputs,
  );
  const preprocess = (image: ImageInput | RawImage) => prepare(image, m.input);
  const infer = (p: Prepared) => sess.run(p.data, p.dims);
  const postprocess: Detector['postprocess'] = (out, t, opts) => {
    const minScore = opts?.score ?? m.thresholds.score;
    const cands = decoder.decode(out, m, minScore).map((c) => unletterbox(c, t));
    return nmsClassAware(cands, opts?.iou ?? m.thresholds.iou)
      .filter((c) => c.x2 - c.x1 > 0 && c.y2 - c.y1 > 0)
      .map((c) => ({
        label: m.labels[c.classId],
        classId: c.classId,
        score: Math.min(1, Math.max(0, c.score)),
        box: { x: c.x1, y: c.y1, w: c.x2 - c.x1, h: c.y2 - c.y1 },
      }));
  };
  return {
    manifest: m,
    model: { name: m.name, version: m.version, sha256: lm.sha256 },
    preprocess,
    infer,
    postprocess,
    async detect(image, opts) {
      const p = await preprocess(image);
      return postprocess(await infer(p), p.transform, opts);
    },
    close: sess.close,
  };
}

function softmax(v: Float32Array): number[] {
  const max = Math.max(...v);
  const e = Array.from(v, (x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** Crop a box (original pixels) out of decoded RGB, clamped to the image, at least 1x1. */
export async function cropRaw(raw: RawImage, box: Box): Promise<RawImage> {
  const left = Math.max(0, Math.min(raw.width - 1, Math.floor(box.x)));
  const top = Math.max(0, Math.min(raw.height - 1, Math.floor(box.y)));
  const width = Math.max(1, Math.min(raw.width - left, Math.round(box.w)));
  const height = Math.max(1, Math.min(raw.height - top, Math.round(box.h)));
  const { data, info } = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } })
    .extract({ left, top, width, height })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export async function loadClassifier(manifestPath: string): Promise<Classifier> {
  const lm = await loadManifest(manifestPath);
  const m = lm.manifest;
  if (m.task !== 'classify')
    throw new Error(`model manifest ${manifestPath}: task is "${m.task}", expected "classify"`);
  const nc = m.labels.length;
  const sess = await openSession(lm.bytes, m, manifestPath, ([dims]) => {
    const last = dims[dims.length - 1];
    if (dims.length !== 2) return `expected rank 2 [1,${nc}], got [${dims}]`;
    if (typeof last === 'number' && last > 0 && last !== nc)
      return `expected [1,${nc}] (${nc} labels), got [${dims}]`;
    return undefined;
  });
  return {
    manifest: m,
    model: { name: m.name, version: m.version, sha256: lm.sha256 },
    async classify(image, box) {
      const p = await prepare(box ? await cropRaw(await toRaw(image), box) : image, m.input);
      const [out] = await sess.run(p.data, p.dims);
      const probs = m.output.layout === 'logits' ? softmax(out.data) : Array.from(out.data);
      const scores = Object.fromEntries(m.labels.map((l, i) => [l, probs[i]]));
      let best = 0;
      for (let i = 1; i < nc; i++) if (probs[i] > probs[best]) best = i;
      return { label: m.labels[best], score: probs[best], scores };
    },
    close: sess.close,
  };
}
