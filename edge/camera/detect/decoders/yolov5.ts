/**
 * @module edge/camera/detect/decoders/yolov5
 * YOLOv5-style output `[1, N, 5+C]`: cx, cy, w, h (input px), objectness, C class scores
 * (already sigmoided in the standard export). score = obj × class score.
 */
import { argmax, type Candidate, type DetectDecoder, known } from './types.js';

/**
 * Class and score (objectness × best class score) of the `[cx, cy, w, h, obj, C classes]` row at
 * offset o, or undefined below minScore. YOLOX's raw grid rows are laid out alike.
 */
export function rowScore(
  data: Float32Array,
  o: number,
  nc: number,
  minScore: number,
): [number, number] | undefined {
  const obj = data[o + 4];
  if (obj < minScore) return undefined;
  const [classId, cls] = argmax(nc, (c) => data[o + 5 + c]);
  const score = obj * cls;
  return score < minScore ? undefined : [classId, score];
}

export const yolov5: DetectDecoder = {
  key: 'yolov5',
  checkDims([dims], m) {
    if (dims.length !== 3) return `expected rank 3 [1,N,5+C], got [${dims}]`;
    const want = 5 + m.labels.length;
    if (known(dims[2]) && dims[2] !== want)
      return `expected [1,N,${want}] (5 + ${m.labels.length} labels), got [${dims}]`;
    return undefined;
  },
  decode([{ data, dims }], m, minScore) {
    const n = dims[1];
    const stride = dims[2];
    const nc = m.labels.length;
    const out: Candidate[] = [];
    for (let i = 0; i < n; i++) {
      const o = i * stride;
      const hit = rowScore(data, o, nc, minScore);
      if (!hit) continue;
      const [classId, score] = hit;
      const cx = data[o];
      const cy = data[o + 1];
      const w = data[o + 2];
      const h = data[o + 3];
      out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, classId });
    }
    return out;
  },
};
