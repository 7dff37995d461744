/**
 * @module models/dataset/compare
 * `models eval --baseline A --candidate B --dataset ZIP`: both detectors on the held-out (val)
 * split of a data set zip through the gateway's inference code: AP@0.5 per class, mAP, and false
 * positives on the negative frames (the operators' rejected false positives: any detection at the
 * model's own threshold there is one). A candidate is offered only when it is no worse on mAP and
 * on false positives per negative frame, and better on at least one of them. Per hour: the zip holds decided frames, not
 * footage, so the rate is per negative frame (× the camera's frames per hour gives the hourly
 * figure for a camera whose frames are all like these).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeRgb, loadDetector, loadManifest } from '../../edge/camera/detect/index.js';
import { type DetectorReport, evalDetector } from '../eval/index.js';
import { type OpenedDataset, openDatasetZip } from './zip.js';

export interface SideReport extends DetectorReport {
  negatives: number;
  falsePositives: number;
  falsePositivesPerNegativeFrame: number;
}

async function side(
  manifest: string,
  dir: string,
  classes: string[],
  negatives: string[],
): Promise<SideReport> {
  const { manifest: m } = await loadManifest(manifest);
  if (m.labels.join(',') !== classes.join(','))
    throw new Error(
      `model ${manifest}: labels [${m.labels}] are not the data set's classes [${classes}] (in order); map or retrain the head first`,
    );
  const r = await evalDetector(manifest, dir, 'val');
  const det = await loadDetector(manifest);
  let fp = 0;
  try {
    for (const f of negatives) fp += (await det.detect(await decodeRgb(await readFile(f)))).length;
  } finally {
    await det.close();
  }
  return {
    ...r,
    negatives: negatives.length,
    falsePositives: fp,
    falsePositivesPerNegativeFrame: negatives.length ? fp / negatives.length : 0,
  };
}

export type Comparison = Awaited<ReturnType<typeof compareOnOpened>>;

/** Both detectors on the held-out split of an opened data set; `offer` = the candidate is better. */
export async function compareOnOpened(ds: OpenedDataset, o: { baseline: string; candidate: string; dataset: string }) {
  const val = ds.samples.filter((s) => s.split === 'val');
  if (!val.length) throw new Error(`dataset ${o.dataset}: no held-out (val) sample`);
  const negatives = val.filter((s) => s.negative).map((s) => s.image);
  const baseline = await side(path.resolve(o.baseline), ds.dir, ds.classes, negatives);
  const candidate = await side(path.resolve(o.candidate), ds.dir, ds.classes, negatives);
  // better = no worse on either and strictly better on one (fewer false alarms at the same AP counts)
  const fpB = baseline.falsePositivesPerNegativeFrame;
  const fpC = candidate.falsePositivesPerNegativeFrame;
  const better = candidate.mAP >= baseline.mAP && fpC <= fpB && (candidate.mAP > baseline.mAP || fpC < fpB);
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
