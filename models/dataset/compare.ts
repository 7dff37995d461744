/**
 * @module models/dataset/compare
 * `models eval --baseline A --candidate B --dataset ZIP`: both detectors on the held-out (val)
 * split of a data set zip through the gateway's inference code: AP@0.5 per class, mAP, and false
 * positives on the negative frames (the operators' rejected false positives: any detection at the
 * model's own threshold there is one), and recall at the model's threshold on the positive frames.
 * A candidate is offered only when it is no worse on mAP, recall at the threshold and false
 * positives per negative frame, and better on at least one of them. Per hour: the zip holds decided frames, not
 * footage, so the rate is per negative frame (× the camera's frames per hour gives the hourly
 * figure for a camera whose frames are all like these).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Detection, decodeRgb, loadDetector, loadManifest } from '../../edge/camera/detect/index.js';
import { type DetectorReport, evalDetector, readYoloLabels } from '../eval/index.js';
import { type GroundTruth, iou } from '../eval/metrics.js';
import { type OpenedDataset, openDatasetZip } from './zip.js';

export interface SideReport extends DetectorReport {
  negatives: number;
  falsePositives: number;
  falsePositivesPerNegativeFrame: number;
  /** share of the labelled objects found at the model's own score threshold (IoU ≥ 0.5, same class) */
  recallAtThreshold: number;
}

type Val = OpenedDataset['samples'];

/** Labelled objects of the positive frames found by detections at the model threshold (greedy, by score). */
function matched(dets: Detection[], gts: GroundTruth[]): number {
  const used = new Set<number>();
  for (const d of [...dets].sort((a, b) => b.score - a.score)) {
    const box = { x1: d.box.x, y1: d.box.y, x2: d.box.x + d.box.w, y2: d.box.y + d.box.h };
    const k = gts.findIndex((g, i) => !used.has(i) && g.classId === d.classId && iou(box, g) >= 0.5);
    if (k >= 0) used.add(k);
  }
  return used.size;
}

async function side(manifest: string, dir: string, classes: string[], val: Val): Promise<SideReport> {
  const { manifest: m } = await loadManifest(manifest);
  if (m.labels.join(',') !== classes.join(','))
    throw new Error(
      `model ${manifest}: labels [${m.labels}] are not the data set's classes [${classes}] (in order); map or retrain the head first`,
    );
  const r = await evalDetector(manifest, dir, 'val');
  const det = await loadDetector(manifest);
  let fp = 0;
  let found = 0;
  let objects = 0;
  const negatives = val.filter((s) => s.negative).length;
  try {
    for (const s of val) {
      const raw = await decodeRgb(await readFile(s.image));
      const dets = await det.detect(raw); // the model's own threshold, as on a gateway
      if (s.negative) fp += dets.length;
      else {
        const gts = await readYoloLabels(s.label, raw.width, raw.height);
        objects += gts.length;
        found += matched(dets, gts);
      }
    }
  } finally {
    await det.close();
  }
  return {
    ...r,
    negatives,
    falsePositives: fp,
    falsePositivesPerNegativeFrame: negatives ? fp / negatives : 0,
    recallAtThreshold: objects ? found / objects : 1,
  };
}

export type Comparison = Awaited<ReturnType<typeof compareOnOpened>>;

/** Both detectors on the held-out split of an opened data set; `offer` = the candidate is better. */
export async function compareOnOpened(
  ds: OpenedDataset,
  o: { baseline: string; candidate: string; dataset: string },
) {
  const val = ds.samples.filter((s) => s.split === 'val');
  if (!val.length) throw new Error(`dataset ${o.dataset}: no held-out (val) sample`);
  const baseline = await side(path.resolve(o.baseline), ds.dir, ds.classes, val);
  const candidate = await side(path.resolve(o.candidate), ds.dir, ds.classes, val);
  // better = no worse on mAP, on recall at the threshold and on false positives, and strictly better
  // on one. AP ranks scores and ignores the threshold: without the recall check a model that
  // scored everything under its threshold would "remove" every false positive at the same AP.
  const fpB = baseline.falsePositivesPerNegativeFrame;
  const fpC = candidate.falsePositivesPerNegativeFrame;
  const better =
    candidate.mAP >= baseline.mAP &&
    candidate.recallAtThreshold >= baseline.recallAtThreshold &&
    fpC <= fpB &&
    (candidate.mAP > baseline.mAP || candidate.recallAtThreshold > baseline.recallAtThreshold || fpC < fpB);
  return {
    dataset: o.dataset,
    heldout: val.length,
    refused: ds.refused,
    baseline,
    candidate,
    offer: better,
  };
}

export async function compareOnDataset(o: { baseline: string; candidate: string; dataset: string }) {
  const ds = await openDatasetZip(o.dataset);
  try {
    return await compareOnOpened(ds, o);
  } finally {
    ds.close();
  }
}
