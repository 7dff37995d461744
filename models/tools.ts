/**
 * @module models/tools
 * What the `models` CLI does, as functions: validate a model against its manifest (schema,
 * shapes, labels, a test inference) and run a model on image files (detections in the image's
 * own pixels, optionally an annotated copy).
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { type Detection, loadClassifier, loadDetector, loadManifest } from '../edge/camera/detect/index.js';

export interface ValidateReport {
  ok: true;
  name: string;
  version: string;
  task: 'detect' | 'classify';
  sha256: string;
  input: string;
  labels: string[];
  testInference: string;
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
  if (m.task === 'detect') {
    const det = await loadDetector(manifestPath);
    try {
      const p = await det.preprocess(probe);
      const out = await det.infer(p);
      if (out.data.some((v) => !Number.isFinite(v)))
        throw new Error(`model ${manifestPath}: output has NaN/Inf values`);
      const dets = det.postprocess(out, p.transform);
      testInference = `output [${out.dims.join(',')}], ${dets.length} detections on a blank frame`;
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
