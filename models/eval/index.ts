/**
 * @module models/eval
 * Evaluate models through the gateway's own inference code (edge/camera/detect): the detector
 * on a YOLO-format dataset (AP@0.5 per class), the classifier on an ImageFolder set of crops
 * (precision/recall of one label, "no_uniform" by default). Also generates the held-out sets
 * with the Python generator (different seeds than training).
 *
 * @example
 * const set = await ensureHeldout({ root: 'models/data/heldout', seed: 7, detect: 200, classify: 400 });
 * const r = await evalDetector('models/detector/manifest.json', set.detect);
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeRgb, loadClassifier, loadDetector } from '../../edge/camera/detect/index.js';
import { ApAccumulator, type GroundTruth, precisionRecall } from './metrics.js';

const run = promisify(execFile);
export const MODELS_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const IMAGE_EXT = /\.(jpe?g|png|bmp)$/i;

/** The Debian python with torch/numpy/PIL (the default python3 may lack them); override with CG_PYTHON. */
export function python(): string {
  return process.env.CG_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

export interface HeldoutOptions {
  root: string;
  seed: number;
  detect: number;
  classify: number;
}

/** Generate (once) a held-out detect set and crop set; returns their directories. */
export async function ensureHeldout(o: HeldoutOptions): Promise<{ detect: string; classify: string }> {
  const detect = path.join(o.root, `det-s${o.seed}-n${o.detect}`);
  const classify = path.join(o.root, `cls-s${o.seed}-n${o.classify}`);
  const gen = path.join(MODELS_DIR, 'train', 'gen_data.py');
  // the generator writes train then val; the held-out set is its "val" split (train count 0)
  if (!existsSync(path.join(detect, 'data.yaml')))
    await run(python(), [
      gen,
      'detect',
      '--out',
      detect,
      '--train',
      '0',
      '--val',
      String(o.detect),
      '--seed',
      String(o.seed),
    ]);
  if (!existsSync(path.join(classify, 'labels.json')))
    await run(python(), [
      gen,
      'classify',
      '--out',
      classify,
      '--train',
      '0',
      '--val',
      String(o.classify),
      '--seed',
      String(o.seed + 1),
    ]);
  return { detect, classify };
}

async function listImages(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .filter((f) => IMAGE_EXT.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** YOLO label file -> boxes in image pixels. Malformed lines are an error naming the file. */
export async function readYoloLabels(file: string, width: number, height: number): Promise<GroundTruth[]> {
  if (!existsSync(file)) return [];
  const out: GroundTruth[] = [];
  for (const [i, line] of (await readFile(file, 'utf8')).split('\n').entries()) {
    if (!line.trim()) continue;
    const v = line.trim().split(/\s+/).map(Number);
    if (v.length < 5 || v.some((x) => !Number.isFinite(x)))
      throw new Error(`${file}:${i + 1}: expected "cls cx cy w h"`);
    const [c, cx, cy, w, h] = v;
    out.push({
      classId: c,
      x1: (cx - w / 2) * width,
      y1: (cy - h / 2) * height,
      x2: (cx + w / 2) * width,
      y2: (cy + h / 2) * height,
    });
  }
  return out;
}

export interface DetectorReport {
  model: string;
  images: number;
  labels: string[];
  ap: Record<string, number>;
  groundTruth: Record<string, number>;
  mAP: number;
}

/** AP@0.5 per class on `<dataset>/images/<split>` with labels beside (YOLO layout). */
export async function evalDetector(
  manifestPath: string,
  dataset: string,
  split = 'val',
  score = 0.01,
): Promise<DetectorReport> {
  const det = await loadDetector(manifestPath);
  try {
    const labels = det.manifest.labels;
    const acc = new ApAccumulator(labels.length, 0.5);
    const files = await listImages(path.join(dataset, 'images', split));
    if (!files.length) throw new Error(`no images under ${path.join(dataset, 'images', split)}`);
    for (const f of files) {
      const raw = await decodeRgb(await readFile(f));
      const dets = await det.detect(raw, { score });
      const lab = f
        .replace(`${path.sep}images${path.sep}`, `${path.sep}labels${path.sep}`)
        .replace(IMAGE_EXT, '.txt');
      acc.add(
        dets.map((d) => ({
          classId: d.classId,
          score: d.score,
          x1: d.box.x,
          y1: d.box.y,
          x2: d.box.x + d.box.w,
          y2: d.box.y + d.box.h,
        })),
        await readYoloLabels(lab, raw.width, raw.height),
      );
    }
    const aps = acc.ap();
    const gt = acc.groundTruthCounts();
    const valid = aps.filter((x) => !Number.isNaN(x));
    return {
      model: `${det.model.name}@${det.model.version}`,
      images: files.length,
      labels,
      ap: Object.fromEntries(labels.map((l, i) => [l, aps[i]])),
      groundTruth: Object.fromEntries(labels.map((l, i) => [l, gt[i]])),
      mAP: valid.reduce((a, b) => a + b, 0) / Math.max(1, valid.length),
    };
  } finally {
    await det.close();
  }
}

export interface ClassifierReport {
  model: string;
  positive: string;
  precision: number;
  recall: number;
  accuracy: number;
  n: number;
}

/** Precision/recall of `positive` on `<dataset>/<split>/<label>/*.jpg` crops. */
export async function evalClassifier(
  manifestPath: string,
  dataset: string,
  split = 'val',
  positive = 'no_uniform',
): Promise<ClassifierReport> {
  const cls = await loadClassifier(manifestPath);
  try {
    const pairs: { truth: string; predicted: string }[] = [];
    for (const truth of cls.manifest.labels) {
      for (const f of await listImages(path.join(dataset, split, truth))) {
        pairs.push({ truth, predicted: (await cls.classify(await readFile(f))).label });
      }
    }
    if (!pairs.length) throw new Error(`no crops under ${path.join(dataset, split)}/<label>/`);
    const pr = precisionRecall(pairs, positive);
    return {
      model: `${cls.model.name}@${cls.model.version}`,
      positive,
      precision: pr.precision,
      recall: pr.recall,
      accuracy: pairs.filter((p) => p.truth === p.predicted).length / pairs.length,
      n: pairs.length,
    };
  } finally {
    await cls.close();
  }
}
