/**
 * @module models/dataset/evaluation
 * The mark `eval --dataset` leaves on a candidate detector, and the gate `models publish` applies:
 * `evaluation.json` beside the candidate's manifest says which baseline, data set (sha256) and
 * model file (sha256) were compared and whether the candidate was better. A detector is
 * published only when that file names its current model file and says better; `--force`
 * publishes anyway and says so on stderr. A `.part` folder (a run still building or one that
 * was stopped) is never published.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Comparison } from './compare.js';

export const EVALUATION_FILE = 'evaluation.json';

export interface Evaluation {
  candidate: { model: string; sha256: string };
  baseline: { model: string; sha256: string };
  dataset: { file: string; sha256: string; heldout: number; negatives: number };
  better: boolean;
  ap: { baseline: Record<string, number>; candidate: Record<string, number> };
  mAP: { baseline: number; candidate: number };
  recallAtThreshold: { baseline: number; candidate: number };
  falsePositivesPerNegativeFrame: { baseline: number; candidate: number };
  evaluatedAt: string;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const manifestSha = (manifest: string) =>
  (JSON.parse(readFileSync(manifest, 'utf8')) as { sha256?: string }).sha256 ?? '';

/** Write evaluation.json beside the candidate manifest (temp file + rename: never half-written). */
export function markCandidate(
  c: Comparison,
  o: { baseline: string; candidate: string; dataset: string },
): Evaluation {
  const e: Evaluation = {
    candidate: { model: c.candidate.model, sha256: manifestSha(o.candidate) },
    baseline: { model: c.baseline.model, sha256: manifestSha(o.baseline) },
    dataset: {
      file: path.basename(o.dataset),
      sha256: sha256(o.dataset),
      heldout: c.heldout,
      negatives: c.baseline.negatives,
    },
    better: c.offer,
    ap: { baseline: c.baseline.ap, candidate: c.candidate.ap },
    mAP: { baseline: c.baseline.mAP, candidate: c.candidate.mAP },
    recallAtThreshold: { baseline: c.baseline.recallAtThreshold, candidate: c.candidate.recallAtThreshold },
    falsePositivesPerNegativeFrame: {
      baseline: c.baseline.falsePositivesPerNegativeFrame,
      candidate: c.candidate.falsePositivesPerNegativeFrame,
    },
    evaluatedAt: new Date().toISOString(),
  };
  const file = path.join(path.dirname(o.candidate), EVALUATION_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(e, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return e;
}

/**
 * Throws unless the version folder may be published; with `force`, a detector without a better
 * evaluation is let through and `warn` says why.
 */
export function checkPublishable(dir: string, force: boolean, warn: (line: string) => void): void {
  if (/\.part$/.test(path.resolve(dir)))
    throw new Error(
      `${dir}: a .part folder is a version still being built (or stopped halfway); not published`,
    );
  const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    task?: string;
    sha256?: string;
  };
  if (m.task !== 'detect') return; // classifier versions carry their held-out numbers in the card (enrol-uniform)
  const file = path.join(dir, EVALUATION_FILE);
  let why: string | undefined;
  if (!existsSync(file))
    why = `no ${EVALUATION_FILE}: run models eval --baseline … --candidate … --dataset … first`;
  else {
    const e = JSON.parse(readFileSync(file, 'utf8')) as Evaluation;
    if (e.candidate?.sha256 !== m.sha256)
      why = `${EVALUATION_FILE} is for model sha256 ${e.candidate?.sha256}, the folder holds ${m.sha256}: evaluate it again`;
    else if (!e.better)
      why = `evaluated not better than ${e.baseline.model} on ${e.dataset.file} (mAP ${e.mAP.candidate.toFixed(3)} vs ${e.mAP.baseline.toFixed(3)}, recall at threshold ${e.recallAtThreshold.candidate.toFixed(3)} vs ${e.recallAtThreshold.baseline.toFixed(3)}, false positives per negative frame ${e.falsePositivesPerNegativeFrame.candidate.toFixed(2)} vs ${e.falsePositivesPerNegativeFrame.baseline.toFixed(2)})`;
  }
  if (!why) return;
  if (!force) throw new Error(`${dir}: not offered for rollout: ${why} (publish --force to override)`);
  warn(`warning: publishing ${dir} with --force although ${why}`);
}
