/**
 * @module models/eval/metrics
 * Pure detection and classification metrics: AP@IoU per class (VOC all-point interpolation,
 * greedy matching by descending score) and precision/recall of one label.
 */

import { type Corners, iouCorners as iou } from '../../edge/camera/detect/index.js';

export type XYXY = Corners;

export interface GroundTruth extends XYXY {
  classId: number;
}

export interface Scored extends XYXY {
  classId: number;
  score: number;
}

export { iou };

/** Area under the interpolated precision/recall curve; `hits` in any order. NaN when no ground truth. */
export function averagePrecision(hits: { score: number; tp: boolean }[], nGt: number): number {
  if (nGt === 0) return Number.NaN;
  const sorted = [...hits].sort((a, b) => b.score - a.score);
  const rec: number[] = [];
  const prec: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const h of sorted) {
    if (h.tp) tp++;
    else fp++;
    rec.push(tp / nGt);
    prec.push(tp / (tp + fp));
  }
  const mrec = [0, ...rec, 1];
  const mpre = [0, ...prec, 0];
  for (let i = mpre.length - 2; i >= 0; i--) mpre[i] = Math.max(mpre[i], mpre[i + 1]);
  let ap = 0;
  for (let i = 1; i < mrec.length; i++) if (mrec[i] !== mrec[i - 1]) ap += (mrec[i] - mrec[i - 1]) * mpre[i];
  return ap;
}

/** Accumulates images, then gives AP per class at one IoU threshold. */
export class ApAccumulator {
  private readonly hits: { score: number; tp: boolean }[][];
  private readonly nGt: number[];

  constructor(
    readonly numClasses: number,
    readonly iouThreshold = 0.5,
  ) {
    this.hits = Array.from({ length: numClasses }, () => []);
    this.nGt = new Array(numClasses).fill(0);
  }

  add(dets: Scored[], gts: GroundTruth[]): void {
    for (let c = 0; c < this.numClasses; c++) {
      const g = gts.filter((x) => x.classId === c);
      this.nGt[c] += g.length;
      const used = new Array(g.length).fill(false);
      for (const d of dets.filter((x) => x.classId === c).sort((a, b) => b.score - a.score)) {
        let best = -1;
        let bestIou = this.iouThreshold;
        for (let j = 0; j < g.length; j++) {
          const v = iou(d, g[j]);
          if (!used[j] && v >= bestIou) {
            best = j;
            bestIou = v;
          }
        }
        if (best >= 0) used[best] = true;
        this.hits[c].push({ score: d.score, tp: best >= 0 });
      }
    }
  }

  ap(): number[] {
    return this.hits.map((h, c) => averagePrecision(h, this.nGt[c]));
  }

  groundTruthCounts(): number[] {
    return [...this.nGt];
  }
}

/** Precision and recall of `positive` given (truth, predicted) label pairs. */
export function precisionRecall(pairs: { truth: string; predicted: string }[], positive: string) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const p of pairs) {
    if (p.predicted === positive && p.truth === positive) tp++;
    else if (p.predicted === positive) fp++;
    else if (p.truth === positive) fn++;
  }
  return {
    precision: tp + fp ? tp / (tp + fp) : Number.NaN,
    recall: tp + fn ? tp / (tp + fn) : Number.NaN,
    tp,
    fp,
    fn,
    n: pairs.length,
  };
}
