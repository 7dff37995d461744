/**
 * @module edge/camera/detect/nms
 * Class-aware non-maximum suppression, the mapping of candidates back to original pixels, and
 * the one intersection-over-union (NMS, tracking, ensembles and model evaluation all use it).
 */
import type { Candidate } from './decoders/index.js';
import type { Box } from './index.js';
import type { LetterboxTransform } from './preprocess.js';

export interface Corners {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export function iouCorners(a: Corners, b: Corners): number {
  const ix = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const iy = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = ix * iy;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** IoU of two top-left/size boxes. */
export const iou = (a: Box, b: Box): number =>
  iouCorners(
    { x1: a.x, y1: a.y, x2: a.x + a.w, y2: a.y + a.h },
    { x1: b.x, y1: b.y, x2: b.x + b.w, y2: b.y + b.h },
  );

/** Greedy NMS per class: a box only suppresses boxes of its own class. Highest score first. */
export function nmsClassAware(cands: Candidate[], iouThreshold: number, maxDetections = 300): Candidate[] {
  const sorted = [...cands].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.some((k) => k.classId === c.classId && iouCorners(k, c) > iouThreshold)) continue;
    kept.push(c);
  }
  return kept;
}

/** From model-input corners to clipped original-image corners. */
export function unletterbox(c: Candidate, t: LetterboxTransform): Candidate {
  const clipX = (v: number) => Math.min(t.srcWidth, Math.max(0, v));
  const clipY = (v: number) => Math.min(t.srcHeight, Math.max(0, v));
  return {
    ...c,
    x1: clipX((c.x1 - t.padX) / t.scaleX),
    y1: clipY((c.y1 - t.padY) / t.scaleY),
    x2: clipX((c.x2 - t.padX) / t.scaleX),
    y2: clipY((c.y2 - t.padY) / t.scaleY),
  };
}
