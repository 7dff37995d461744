/**
 * @module models/dataset/cli  The `eval --dataset` printout: per class AP of both, false positives
 * per negative frame and per hour, the verdict, written to the candidate's evaluation.json.
 */
import { compareOnDataset } from './compare.js';
import { EVALUATION_FILE, markCandidate } from './evaluation.js';

export async function compareCommand(o: {
  dataset?: string;
  baseline?: string;
  candidate?: string;
  framesPerHour?: number;
}): Promise<void> {
  if (!o.dataset || !o.baseline || !o.candidate)
    throw new Error('eval --dataset needs --baseline and --candidate');
  const args = { dataset: o.dataset, baseline: o.baseline, candidate: o.candidate };
  const r = await compareOnDataset(args);
  const fph = o.framesPerHour ?? 3600;
  const w = (s: string) => process.stdout.write(`${s}\n`);
  for (const x of r.refused) process.stderr.write(`refused ${x.file}: ${x.error}\n`);
  w(
    `held-out split of ${r.dataset}: ${r.heldout} frames (${r.baseline.negatives} negatives), ${r.refused.length} refused`,
  );
  for (const l of r.baseline.labels)
    w(
      `  AP@0.5 ${l.padEnd(8)} baseline ${r.baseline.ap[l].toFixed(3)}  candidate ${r.candidate.ap[l].toFixed(3)}`,
    );
  w(`  mAP@0.5          baseline ${r.baseline.mAP.toFixed(3)}  candidate ${r.candidate.mAP.toFixed(3)}`);
  w(
    `  recall at the model threshold      baseline ${r.baseline.recallAtThreshold.toFixed(3)}  candidate ${r.candidate.recallAtThreshold.toFixed(3)}`,
  );
  w(
    `  false positives per negative frame: baseline ${r.baseline.falsePositivesPerNegativeFrame.toFixed(2)}  candidate ${r.candidate.falsePositivesPerNegativeFrame.toFixed(2)}`,
  );
  w(
    `  false positives per hour at ${fph} frames/h like these: baseline ${(r.baseline.falsePositivesPerNegativeFrame * fph).toFixed(0)}  candidate ${(r.candidate.falsePositivesPerNegativeFrame * fph).toFixed(0)}`,
  );
  markCandidate(r, args);
  w(
    r.offer
      ? `candidate ${r.candidate.model} is better: offered (${EVALUATION_FILE} written beside it)`
      : `candidate ${r.candidate.model} is not better: not offered (${EVALUATION_FILE} says so; publish refuses it)`,
  );
  w(JSON.stringify(r));
  if (!r.offer) process.exitCode = 3;
}
