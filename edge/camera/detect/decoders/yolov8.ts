/**
 * @module edge/camera/detect/decoders/yolov8
 * YOLOv8/v11-style output `[1, 4+C, N]` (channels first): cx, cy, w, h (input px), then C class
 * scores; no objectness.
 */
import { argmax, type Candidate, type DetectDecoder, known } from './types.js';

export const yolov8: DetectDecoder = {
  key: 'yolov8',
  checkDims([dims], m) {
    if (dims.length !== 3) return `expected rank 3 [1,4+C,N], got [${dims}]`;
    const want = 4 + m.labels.length;
    if (known(dims[1]) && dims[1] !== want)
      return `expected [1,${want},N] (4 + ${m.labels.length} labels), got [${dims}]`;
    return undefined;
  },
  decode([{ data, dims }], m, minScore) {
    const n = dims[2];
    const nc = m.labels.length;
    const out: Candidate[] = [];
    for (let i = 0; i < n; i++) {
      const [classId, score] = argmax(nc, (c) => data[(4 + c) * n + i]);
      if (score < minScore) continue;
      const cx = data[i];
      const cy = data[n + i];
      const w = data[2 * n + i];
      const h = data[3 * n + i];
      out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, classId });
    }
    return out;
  },
};
