/**
 * @module edge/camera/detect/decoders/picodet
 * PP-PicoDet (GFL head, exported without post-processing): per stride s one score map
 * `[1, N, C]` (sigmoid applied) and one distance map `[1, N, 4·(R+1)]` (l, t, r, b, each R+1 bin
 * logits), N = (H/s)(W/s). The maps are told apart by shape (export names vary). Cell i has
 * centre ((i mod G) + ½, ⌊i/G⌋ + ½)·s; each side is the expected bin of its softmax, times s.
 * Same recipe as PaddleDetection's picodet post-processing (and Paddle2ONNX's infer demo).
 */
import type { ModelManifest } from '../manifest.js';
import { argmax, type Candidate, type DetectDecoder, type Dims, known, type OutTensor } from './types.js';

const cells = (m: ModelManifest, s: number) => (m.input.width / s) * (m.input.height / s);
const strides = (m: ModelManifest) => m.output.strides ?? [8, 16, 32, 64];

/** Which output is the score map and which the distance map of each stride, by shape. */
function pair<T>(
  outs: readonly T[],
  dimsOf: (t: T) => Dims,
  m: ModelManifest,
): { score: T; dist: T }[] | string {
  const nc = m.labels.length;
  const levels: { score: T; dist: T }[] = [];
  for (const s of strides(m)) {
    const n = cells(m, s);
    const score = outs.find((o) => dimsOf(o)[1] === n && dimsOf(o)[2] === nc);
    const dist = outs.find(
      (o) =>
        dimsOf(o)[1] === n &&
        known(dimsOf(o)[2]) &&
        dimsOf(o)[2] !== nc &&
        (dimsOf(o)[2] as number) % 4 === 0,
    );
    if (!score || !dist)
      return `expected for stride ${s} a score map [1,${n},${nc}] and a distance map [1,${n},4·bins], got ${outs.map((o) => `[${dimsOf(o)}]`).join(' ')}`;
    levels.push({ score, dist });
  }
  return levels;
}

export const picodet: DetectDecoder = {
  key: 'picodet',
  allOutputs: true,
  checkDims(dims, m) {
    if (dims.some((d) => d.length !== 3))
      return `expected rank-3 outputs, got ${dims.map((d) => `[${d}]`).join(' ')}`;
    // Symbolic shapes cannot be paired before a run; the probe inference checks the real ones.
    if (dims.some((d) => !known(d[1]) || !known(d[2]))) return undefined;
    if (dims.length !== 2 * strides(m).length)
      return `expected ${2 * strides(m).length} outputs (score + distance per stride [${strides(m)}]), got ${dims.length}`;
    const p = pair(dims, (d) => d, m);
    return typeof p === 'string' ? p : undefined;
  },
  decode(outs, m, minScore) {
    const levels = pair(outs, (o: OutTensor) => o.dims, m);
    if (typeof levels === 'string') throw new Error(`picodet outputs: ${levels}`);
    const nc = m.labels.length;
    const out: Candidate[] = [];
    const ss = strides(m);
    levels.forEach(({ score, dist }, li) => {
      const s = ss[li];
      const g = m.input.width / s;
      const bins = dist.dims[2] / 4;
      const n = score.dims[1];
      for (let i = 0; i < n; i++) {
        const [classId, best] = argmax(nc, (c) => score.data[i * nc + c]);
        if (best < minScore) continue;
        const cx = ((i % g) + 0.5) * s;
        const cy = (Math.floor(i / g) + 0.5) * s;
        const side = (k: number) => expectedBin(dist.data, (i * 4 + k) * bins, bins) * s;
        out.push({
          x1: cx - side(0),
          y1: cy - side(1),
          x2: cx + side(2),
          y2: cy + side(3),
          score: best,
          classId,
        });
      }
    });
    return out;
  },
};

/** Σ j·softmax(logits)_j over one side's bins. */
function expectedBin(d: Float32Array, o: number, bins: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < bins; j++) max = Math.max(max, d[o + j]);
  let sum = 0;
  let acc = 0;
  for (let j = 0; j < bins; j++) {
    const e = Math.exp(d[o + j] - max);
    sum += e;
    acc += e * j;
  }
  return acc / sum;
}
