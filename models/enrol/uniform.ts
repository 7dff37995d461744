/**
 * @module models/enrol/uniform
 * `models enrol-uniform`: fine-tune the uniform classifier on the city's own labelled person crops
 * (`--positives` = staff in the city's uniform, `--negatives` = other people), hold out a split,
 * report precision/recall of `no_uniform` on it with the gateway's own inference code, and write
 * a new model version (model.onnx, manifest.json with sha256, MODEL_CARD.md).
 *
 * Training is models/train/train_classify.py started from the base model's .onnx
 * (`--init-onnx`, BatchNorms folded and frozen), CPU by default. The new version is built in
 * `<out>.part` and renamed only once trained, exported, loadable and evaluated: a run stopped
 * halfway leaves nothing that could be offered for rollout.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadClassifier, loadManifest } from '../../edge/camera/detect/index.js';
import { evalClassifier, MODELS_DIR } from '../eval/index.js';
import { runTrainer } from '../trainer.js';

export interface EnrolOptions {
  positives: string;
  negatives: string;
  /** base classifier manifest (default models/uniform/manifest.json) */
  base?: string;
  out: string;
  version: string;
  epochs?: number;
  /** learning rate (default 3e-3: a short fine-tune) */
  lr?: number;
  device?: string;
  /** every Nth crop (by a hash of its name) is held out; default 4 */
  holdoutEvery?: number;
  log?: (line: string) => void;
}

export interface EnrolReport {
  manifest: string;
  model: { name: string; version: string; sha256: string };
  train: { uniform: number; no_uniform: number };
  heldout: { uniform: number; no_uniform: number };
  noUniform: { precision: number; recall: number; accuracy: number };
  refused: { file: string; error: string }[];
}

const IMAGE = /\.(jpe?g|png)$/i;

/** The readable crops of a folder; a file sharp cannot decode is refused with its name. */
async function crops(
  dir: string,
  refused: EnrolReport['refused'],
): Promise<{ file: string; jpeg: Buffer }[]> {
  if (!existsSync(dir)) throw new Error(`enrol-uniform: folder ${dir} does not exist`);
  const out: { file: string; jpeg: Buffer }[] = [];
  for (const name of readdirSync(dir)
    .filter((n) => IMAGE.test(n))
    .sort()) {
    const file = path.join(dir, name);
    try {
      out.push({ file, jpeg: await sharp(file).removeAlpha().jpeg({ quality: 95 }).toBuffer() });
    } catch (e) {
      refused.push({ file, error: (e as Error).message });
    }
  }
  return out;
}

const heldOut = (file: string, every: number) =>
  createHash('sha256').update(path.basename(file)).digest()[0] % every === 0;

export async function enrolUniform(o: EnrolOptions): Promise<EnrolReport> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const base = o.base ?? path.join(MODELS_DIR, 'uniform', 'manifest.json');
  const { manifest: bm } = await loadManifest(base);
  const [uniformLabel, noUniformLabel] = ['uniform', 'no_uniform'];
  if (!bm.labels.includes(uniformLabel) || !bm.labels.includes(noUniformLabel))
    throw new Error(`enrol-uniform: base ${base} labels [${bm.labels}] lack uniform/no_uniform`);
  if (existsSync(o.out))
    throw new Error(`enrol-uniform: ${o.out} exists; give a new --out for the new version`);
  const refused: EnrolReport['refused'] = [];
  const sets = {
    [uniformLabel]: await crops(o.positives, refused),
    [noUniformLabel]: await crops(o.negatives, refused),
  };
  const every = o.holdoutEvery ?? 4;
  const data = mkdtempSync(path.join(tmpdir(), 'cg-enrol-'));
  const part = `${o.out}.part`;
  rmSync(part, { recursive: true, force: true });
  const counts = { train: { uniform: 0, no_uniform: 0 }, heldout: { uniform: 0, no_uniform: 0 } };
  try {
    for (const [label, items] of Object.entries(sets)) {
      if (items.length < 2)
        throw new Error(
          `enrol-uniform: ${label === uniformLabel ? o.positives : o.negatives}: ${items.length} readable crops, need at least 2`,
        );
      // at least one crop on each side of the split
      let split = items.map((c) => heldOut(c.file, every));
      if (split.every((h) => !h)) split[0] = true;
      if (split.every((h) => h)) split = split.map((_, i) => i === 0);
      items.forEach((c, i) => {
        const s = split[i] ? 'val' : 'train';
        const dir = path.join(data, s, label);
        mkdirSync(dir, { recursive: true });
        writeFileSync(
          path.join(dir, `${String(i).padStart(5, '0')}-${path.basename(c.file).replace(IMAGE, '')}.jpg`),
          c.jpeg,
        );
        counts[split[i] ? 'heldout' : 'train'][label as 'uniform']++;
      });
    }
    // a city has far fewer staff crops than passers-by: repeat the smaller class's training crops
    // (the trainer flips and re-lights each batch) so the fine-tune does not learn "always no_uniform"
    const few = counts.train.uniform < counts.train.no_uniform ? 'uniform' : 'no_uniform';
    const many = few === 'uniform' ? 'no_uniform' : 'uniform';
    const fewDir = path.join(data, 'train', few);
    const copies = Math.floor(counts.train[many] / Math.max(1, counts.train[few]));
    for (const f of readdirSync(fewDir))
      for (let k = 1; k < copies; k++)
        writeFileSync(path.join(fewDir, `r${k}-${f}`), readFileSync(path.join(fewDir, f)));
    writeFileSync(path.join(data, 'labels.json'), JSON.stringify(bm.labels));
    const onnx = path.join(path.dirname(path.resolve(base)), bm.file);
    log(
      `enrol-uniform: ${counts.train.uniform}+${counts.train.no_uniform} training crops, ${counts.heldout.uniform}+${counts.heldout.no_uniform} held out; fine-tuning ${bm.name}@${bm.version}`,
    );
    await runTrainer(
      'enrol-uniform',
      [
        path.join(MODELS_DIR, 'train', 'train_classify.py'),
        '--data',
        data,
        '--out',
        part,
        '--init-onnx',
        onnx,
        '--epochs',
        String(o.epochs ?? 8),
        '--batch',
        '32',
        '--lr',
        String(o.lr ?? 3e-3),
        '--width',
        String(bm.input.width),
        '--height',
        String(bm.input.height),
        '--name',
        bm.name,
        '--version',
        o.version,
        '--device',
        o.device ?? 'cpu',
      ],
      log,
    );
    rmSync(path.join(part, 'best.pt'), { force: true });
    const manifest = path.join(part, 'manifest.json');
    await (await loadClassifier(manifest)).close(); // shapes, labels, sha256 and a test inference, as a gateway loads it
    const ev = await evalClassifier(manifest, data, 'val', noUniformLabel);
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { sha256: string };
    writeFileSync(
      path.join(part, 'MODEL_CARD.md'),
      card(bm.name, o.version, `${bm.name}@${bm.version}`, m.sha256, counts, ev, o, new Date()),
    );
    renameSync(part, o.out);
    const report: EnrolReport = {
      manifest: path.join(o.out, 'manifest.json'),
      model: { name: bm.name, version: o.version, sha256: m.sha256 },
      ...counts,
      noUniform: { precision: ev.precision, recall: ev.recall, accuracy: ev.accuracy },
      refused,
    };
    log(
      `enrol-uniform: held-out no_uniform precision ${ev.precision.toFixed(3)} recall ${ev.recall.toFixed(3)} accuracy ${ev.accuracy.toFixed(3)} (${ev.n} crops) → ${report.manifest}`,
    );
    return report;
  } finally {
    rmSync(data, { recursive: true, force: true });
    rmSync(part, { recursive: true, force: true });
  }
}

function card(
  name: string,
  version: string,
  base: string,
  sha256: string,
  counts: { train: Record<string, number>; heldout: Record<string, number> },
  ev: { precision: number; recall: number; accuracy: number; n: number },
  o: EnrolOptions,
  at: Date,
): string {
  return `# ${name} ${version} — city enrolment

Fine-tuned from **${base}** by \`models enrol-uniform\` on ${at.toISOString()}.

- sha256 of model.onnx: \`${sha256}\`
- positives (uniform): \`${o.positives}\` — ${counts.train.uniform} training, ${counts.heldout.uniform} held out
- negatives (no_uniform): \`${o.negatives}\` — ${counts.train.no_uniform} training, ${counts.heldout.no_uniform} held out
- held out: every crop whose name hashes to 0 mod ${o.holdoutEvery ?? 4}; measured with the gateway's inference code
  (edge/camera/detect): **no_uniform precision ${ev.precision.toFixed(3)}, recall ${ev.recall.toFixed(3)}, accuracy ${ev.accuracy.toFixed(3)}** on ${ev.n} crops
- training: models/train/train_classify.py --init-onnx (BatchNorms folded into the convs and frozen), ${o.epochs ?? 8} epochs, ${o.device ?? 'cpu'}

Limits: it knows the uniform only from these crops. A held-out split from the same people and
cameras says little about new staff, new cameras or lighting: evaluate on crops from a camera it
was not enrolled on before rolling it out.
`;
}
