/**
 * @module edge/camera/detect/decoders/yolox
 * YOLOX raw grid output `[1, N, 5+C]` (exported with decode_in_inference=False): per stride s,
 * cells row by row; box = ((tx + gx)·s, (ty + gy)·s, e^tw·s, e^th·s); objectness and class
 * scores are already sigmoided by the head. N must equal Σ (H/s)(W/s).
 */

import type { ModelManifest } from '../manifest.js';
import { type Candidate, type DetectDecoder, known } from './types.js';
import { rowScore, yolov5 } from './yolov5.js';

function gridSize(m: ModelManifest): number {
  return (m.output.strides ?? []).reduce((n, s) => n + (m.input.width / s) * (m.input.height / s), 0);
}

export const yolox: DetectDecoder = {
  key: 'yolox',
  checkDims(outs, m) {
    const rows = yolov5.checkDims(outs, m); // the same [1,N,5+C] rows
    if (rows) return rows;
    const [dims] = outs;
    const n = gridSize(m);
    if (known(dims[1]) && dims[1] !== n)
      return `expected N=${n} grid cells for strides [${m.output.strides}] at ${m.input.width}x${m.input.height}, got [${dims}]`;
    return undefined;
  },
  decode([{ data, dims }], m, minScore) {
    const stride = dims[2];
    const nc = m.labels.length;
    const out: Candidate[] = [];
    let i = 0;
    for (const s of m.output.strides ?? []) {
      const gw = m.input.width / s;
      const gh = m.input.height / s;
      for (let gy = 0; gy < gh; gy++) {
        for (let gx = 0; gx < gw; gx++, i++) {
          const o = i * stride;
          const hit = rowScore(data, o, nc, minScore);
          if (!hit) continue;
          const [classId, score] = hit;
          const cx = (data[o] + gx) * s;
          const cy = (data[o + 1] + gy) * s;
          const w = Math.exp(data[o + 2]) * s;
          const h = Math.exp(data[o + 3]) * s;
          out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, classId });
        }
      }
    }
    return out;
  },
};
