/**
 * @module models/tools
 * What the `models` CLI does, as functions: validate a model against its manifest (schema,
 * shapes, labels, a test inference) and run a model on image files (detections in the image's
 * own pixels, optionally an annotated copy).
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import {
  type Detection,
  type Detector,
  iou,
  loadClassifier,
  loadDetector,
  loadManifest,
} from '../edge/camera/detect/index.js';
import type { ManifestReference } from '../edge/camera/detect/manifest.js';

const xywh = ([x, y, w, h]: number[]) => ({ x, y, w, h });

export interface ValidateReport {
  ok: true;
  name: string;
  version: string;
  task: 'detect' | 'classify';
  sha256: string;
  input: string;
  labels: string[];
  testInference: string;
  /** the reference check, when the manifest names one */
  reference?: string;
}

/**
 * Run the manifest's reference image and demand its expected detections: a model declared with
 * the wrong layout or normalisation still "runs", but finds junk (36 boxes of 3 px at 0,0).
 */
async function checkReference(det: Detector, manifestPath: string, ref: ManifestReference): Promise<string> {
  const file = path.resolve(path.dirname(manifestPath), ref.image);
  const dets = await det.detect(await readFile(file), { score: ref.score });
  const fmt = (d: Detection) =>
    `${d.label} ${d.score.toFixed(2)} [${[d.box.x, d.box.y, d.box.w, d.box.h].map(Math.round)}]`;
  for (const e of ref.expect) {
    const best = Math.max(0, ...dets.filter((d) => d.label === e.label).map((d) => iou(xywh(e.box), d.box)));
    if (best < e.minIou)
      throw new Error(
        `model ${manifestPath}: reference ${ref.image}: expected ${e.label} at [${e.box}] (IoU ≥ ${e.minIou}), best IoU ${best.toFixed(2)}; ` +
          `got ${dets.length} detection(s)${dets.length ? `: ${dets.slice(0, 5).map(fmt).join(', ')}` : ''}. ` +
          'Check output.layout, strides, channels, scale/mean/std and letterbox against the model export.',
      );
  }
  return `${ref.expect.length} expected detection(s) found on ${ref.image}`;
}

/** Throws an Error whose message says what is wrong (manifest, file, shapes, inference). */
export async function validateModel(manifestPath: string): Promise<ValidateReport> {
  const lm = await loadManifest(manifestPath);
  const m = lm.manifest;
  // a mid-grey street-sized frame: exercises letterbox, inference and decoding end to end
  const probe = await sharp({
    create: { width: 640, height: 360, channels: 3, background: { r: 120, g: 120, b: 120 } },
  })
    .jpeg()
    .toBuffer();
  let testInference: string;
  let reference: string | undefined;
  if (m.task === 'detect') {
    const det = await loadDetector(manifestPath);
    try {
      const p = await det.preprocess(probe);
      const out = await det.infer(p);
      if (out.some((o) => o.data.some((v) => !Number.isFinite(v))))
        throw new Error(`model ${manifestPath}: output has NaN/Inf values`);
      const dets = det.postprocess(out, p.transform);
      testInference = `output ${out.map((o) => `[${o.dims.join(',')}]`).join(' ')}, ${dets.length} detections on a blank frame`;
      if (m.reference) reference = await checkReference(det, manifestPath, m.reference);
    } finally {
      await det.close();
    }
  } else {
    const cls = await loadClassifier(manifestPath);
    try {
      const r = await cls.classify(probe);
      const sum = Object.values(r.scores).reduce((a, b) => a + b, 0);
      if (!Number.isFinite(sum) || Math.abs(sum - 1) > 1e-3)
        throw new Error(
          `model ${manifestPath}: class scores do not sum to 1 (${sum}); is output.layout right?`,
        );
      testInference = `scores ${JSON.stringify(r.scores)}`;
    } finally {
      await cls.close();
    }
  }
  return {
    ok: true,
    name: m.name,
    version: m.version,
    task: m.task,
    sha256: lm.sha256,
    input: `${m.input.width}x${m.input.height} ${m.input.channels} ${m.input.layout}`,
    labels: m.labels,
    testInference,
    reference,
  };
}

export interface RunLine {
  file: string;
  label: string;
  score: number;
  box?: { x: number; y: number; w: number; h: number };
  error?: string;
}

const COLOURS = ['#ff3b30', '#34c759', '#007aff', '#ffcc00', '#af52de', '#5ac8fa'];

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Draw boxes and labels over an image; writes `<dir>/<name>.annotated.jpg`. */
export async function annotate(file: string, dets: Detection[], dir: string): Promise<string> {
  const img = sharp(await readFile(file));
  const { width = 0, height = 0 } = await img.metadata();
  const rects = dets
    .map((d) => {
      const c = COLOURS[d.classId % COLOURS.length];
      const { x, y, w, h } = d.box;
      return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${c}" stroke-width="2"/>
<text x="${x + 2}" y="${Math.max(10, y - 3)}" font-size="12" font-family="sans-serif" fill="${c}">${escapeXml(d.label)} ${d.score.toFixed(2)}</text>`;
    })
    .join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects}</svg>`;
  await mkdir(dir, { recursive: true });
  const out = path.join(dir, `${path.parse(file).name}.annotated.jpg`);
  await img
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: 90 })
    .toFile(out);
  return out;
}

/**
 * Run a model on files; calls `emit` once per detection (detector) or per file (classifier).
 * A file that cannot be read or decoded gives a line with `error` and the run goes on.
 */
export async function runModel(
  manifestPath: string,
  files: string[],
  emit: (line: RunLine) => void,
  opts: { annotateDir?: string; score?: number } = {},
): Promise<{ files: number; errors: number }> {
  const { manifest } = await loadManifest(manifestPath);
  let errors = 0;
  if (manifest.task === 'detect') {
    const det = await loadDetector(manifestPath);
    try {
      for (const file of files) {
        try {
          const dets = await det.detect(await readFile(file), { score: opts.score });
          for (const d of dets) emit({ file, label: d.label, score: d.score, box: d.box });
          if (opts.annotateDir) await annotate(file, dets, opts.annotateDir);
        } catch (e) {
          errors++;
          emit({ file, label: '', score: 0, error: (e as Error).message });
        }
      }
    } finally {
      await det.close();
    }
  } else {
    const cls = await loadClassifier(manifestPath);
    try {
      for (const file of files) {
        try {
          const r = await cls.classify(await readFile(file));
          emit({ file, label: r.label, score: r.score });
        } catch (e) {
          errors++;
          emit({ file, label: '', score: 0, error: (e as Error).message });
        }
      }
    } finally {
      await cls.close();
    }
  }
  return { files: files.length, errors };
}

export interface Comparison {
  models: string[];
  images: number;
  /** label → detections per model (same order as `models`) */
  counts: Record<string, number[]>;
  errors: { file: string; error: string }[];
}

/** Several detectors on the same images: how many of each class each one finds, side by side. */
export async function compareDetectors(
  manifests: string[],
  files: string[],
  opts: { score?: number } = {},
): Promise<Comparison> {
  const counts: Record<string, number[]> = {};
  const errors: Comparison['errors'] = [];
  const models: string[] = [];
  for (const [i, mp] of manifests.entries()) {
    const det = await loadDetector(mp);
    models.push(`${det.model.name} ${det.model.version}`);
    try {
      for (const file of files) {
        try {
          for (const d of await det.detect(await readFile(file), { score: opts.score })) {
            counts[d.label] ??= manifests.map(() => 0);
            counts[d.label][i]++;
          }
        } catch (e) {
          errors.push({ file, error: `${det.model.name}: ${(e as Error).message}` });
        }
      }
    } finally {
      await det.close();
    }
  }
  return { models, images: files.length, counts, errors };
}

/** The comparison as an aligned text table, classes by total count. */
export function comparisonTable(c: Comparison): string {
  const rows = Object.entries(c.counts).sort(
    (a, b) => b[1].reduce((x, y) => x + y) - a[1].reduce((x, y) => x + y),
  );
  const w = Math.max(8, ...rows.map(([l]) => l.length));
  const col = (s: string) => s.padStart(Math.max(12, ...c.models.map((m) => m.length)));
  const lines = [`${'class'.padEnd(w)}  ${c.models.map(col).join('  ')}`];
  for (const [label, n] of rows) lines.push(`${label.padEnd(w)}  ${n.map((x) => col(String(x))).join('  ')}`);
  return `${lines.join('\n')}\n(${c.images} images${c.errors.length ? `, ${c.errors.length} errors` : ''})\n`;
}
