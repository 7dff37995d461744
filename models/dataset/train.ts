/**
 * @module models/dataset/train
 * `models train --dataset ZIP [--from MANIFEST]`: fine-tune the detector now in use on the
 * operators' verdicts (central's export zip) and write a candidate version folder: model.onnx,
 * manifest.json (sha256), MODEL_CARD.md (the data set and its sha256, the base model, the
 * held-out numbers against the base). The candidate is not yet offered: `models eval` marks it.
 *
 * - The zip is checked first (zip.ts); any refused entry (an image without its label, an image
 *   whose size is not the one the COCO annotations give, a bad label line) fails the run with
 *   every entry named: a training set with holes is not silently trained on.
 * - Training is models/train/train_detect.py started from the base's model.onnx (`--init-onnx`:
 *   BatchNorms folded into the convs and frozen) with the backbone frozen (`--freeze-backbone`):
 *   a city's verdicts are dozens to hundreds of frames, enough to move the FPN and heads, not to
 *   relearn the features of the 4000-image training set.
 * - The version is built in `<out>.part` and renamed to `<out>` only once trained, exported,
 *   loaded as a gateway loads it and evaluated; a run that stops (signal, crash, bad device)
 *   removes the .part folder, and `publish` never takes a .part folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDetector, loadManifest } from '../../edge/camera/detect/index.js';
import { MODELS_DIR } from '../eval/index.js';
import { runTrainer } from '../trainer.js';
import { type Comparison, compareOnOpened } from './compare.js';
import { openDatasetZip } from './zip.js';

export interface TrainOptions {
  dataset: string;
  /** base detector manifest (default models/detector/manifest.json) */
  from?: string;
  out?: string;
  version?: string;
  epochs?: number;
  lr?: number;
  batch?: number;
  device?: string;
  log?: (line: string) => void;
}

export interface TrainReport {
  manifest: string;
  model: { name: string; version: string; sha256: string };
  dataset: { file: string; sha256: string; train: number; val: number; negatives: number };
  heldout: Comparison;
}

export async function trainFromDataset(o: TrainOptions): Promise<TrainReport> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const base = path.resolve(o.from ?? path.join(MODELS_DIR, 'detector', 'manifest.json'));
  const { manifest: bm } = await loadManifest(base);
  if (bm.task !== 'detect' || bm.output.layout !== 'yolov8')
    throw new Error(
      `train: ${base} is not a cg-detector (task detect, layout yolov8); only those are fine-tuned here`,
    );
  const version = o.version ?? `city-${new Date().toISOString().slice(0, 10)}`;
  const out = path.resolve(o.out ?? path.join(MODELS_DIR, `detector-${version}`));
  if (existsSync(out))
    throw new Error(`train: ${out} exists; give a new --out (versions are never overwritten)`);
  const ds = await openDatasetZip(o.dataset);
  const part = `${out}.part`;
  try {
    if (ds.refused.length)
      throw new Error(
        `train: dataset ${o.dataset}: ${ds.refused.length} bad entr${ds.refused.length === 1 ? 'y' : 'ies'}, nothing trained:\n${ds.refused.map((r) => `  ${r.file}: ${r.error}`).join('\n')}`,
      );
    if (ds.classes.join(',') !== bm.labels.join(','))
      throw new Error(
        `train: dataset classes [${ds.classes}] are not ${bm.name}'s labels [${bm.labels}] (in order)`,
      );
    const count = (split: string) => ds.samples.filter((s) => s.split === split).length;
    const counts = {
      train: count('train'),
      val: count('val'),
      negatives: ds.samples.filter((s) => s.negative).length,
    };
    if (!counts.train || !counts.val)
      throw new Error(
        `train: dataset ${o.dataset} has ${counts.train} training and ${counts.val} held-out frames; both are needed`,
      );
    rmSync(part, { recursive: true, force: true });
    log(
      `train: ${counts.train} training / ${counts.val} held-out frames (${counts.negatives} negatives); fine-tuning ${bm.name}@${bm.version} → ${version}`,
    );
    const onnx = path.join(path.dirname(base), bm.file);
    await runTrainer(
      'train',
      [
        path.join(MODELS_DIR, 'train', 'train_detect.py'),
        '--data',
        ds.dir,
        '--out',
        part,
        '--init-onnx',
        onnx,
        '--freeze-backbone',
        '--epochs',
        String(o.epochs ?? 4),
        '--batch',
        String(o.batch ?? 8),
        '--lr',
        String(o.lr ?? 1e-3),
        // evaluate only at the end: picking the best epoch on the held-out split would leak it into the choice
        '--eval-every',
        '1000000',
        '--name',
        bm.name,
        '--version',
        version,
        '--device',
        o.device ?? 'cpu',
      ],
      log,
    );
    rmSync(path.join(part, 'best.pt'), { force: true });
    const manifest = path.join(part, 'manifest.json');
    await (await loadDetector(manifest)).close(); // shapes, labels, sha256 and a test inference, as a gateway loads it
    const heldout = await compareOnOpened(ds, { baseline: base, candidate: manifest, dataset: o.dataset });
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { sha256: string };
    const dataset = {
      file: path.basename(o.dataset),
      sha256: createHash('sha256').update(readFileSync(o.dataset)).digest('hex'),
      ...counts,
    };
    writeFileSync(path.join(part, 'MODEL_CARD.md'), card(bm, version, m.sha256, dataset, heldout, o));
    renameSync(part, out);
    const report = {
      manifest: path.join(out, 'manifest.json'),
      model: { name: bm.name, version, sha256: m.sha256 },
      dataset,
      heldout,
    };
    log(
      `train: held-out mAP@0.5 ${heldout.candidate.mAP.toFixed(3)} (base ${heldout.baseline.mAP.toFixed(3)}) → ${report.manifest}; not offered until models eval marks it better`,
    );
    return report;
  } finally {
    ds.close();
    rmSync(part, { recursive: true, force: true });
  }
}

function card(
  bm: { name: string; version: string },
  version: string,
  sha256: string,
  d: TrainReport['dataset'],
  h: Comparison,
  o: TrainOptions,
): string {
  const row = (l: string) => `| ${l} | ${h.baseline.ap[l].toFixed(3)} | ${h.candidate.ap[l].toFixed(3)} |`;
  return `# ${bm.name} ${version} — fine-tuned on operators' verdicts

Fine-tuned from **${bm.name}@${bm.version}** by \`models train --dataset\` on ${new Date().toISOString()}.

- sha256 of model.onnx: \`${sha256}\`
- data set: \`${d.file}\` (sha256 \`${d.sha256}\`): ${d.train} training, ${d.val} held-out frames, ${d.negatives} negatives (rejected false positives)
- training: models/train/train_detect.py --init-onnx --freeze-backbone (FPN and heads trained, BatchNorms folded and frozen), ${o.epochs ?? 4} epochs, ${o.device ?? 'cpu'}

Held-out split (${h.heldout} frames, ${h.baseline.negatives} negatives), the gateway's inference code:

| AP@0.5 | base | this |
| --- | --- | --- |
${h.baseline.labels.map(row).join('\n')}
| mAP | ${h.baseline.mAP.toFixed(3)} | ${h.candidate.mAP.toFixed(3)} |
| recall at the score threshold | ${h.baseline.recallAtThreshold.toFixed(3)} | ${h.candidate.recallAtThreshold.toFixed(3)} |
| false positives per negative frame | ${h.baseline.falsePositivesPerNegativeFrame.toFixed(2)} | ${h.candidate.falsePositivesPerNegativeFrame.toFixed(2)} |

Not offered for rollout until \`models eval --baseline … --candidate … --dataset …\` marks it better
(evaluation.json); \`models publish\` refuses it otherwise.
`;
}
