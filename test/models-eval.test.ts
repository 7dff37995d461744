/**
 * models - the committed default models, through the gateway's inference code: they load, meet a
 * floor on a small held-out generated set, find what the scenario frames contain, and the CLI
 * tools reject a model whose shapes do not match its manifest.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, loadDetector } from '../edge/camera/detect/index.js';
import { ensureHeldout, evalClassifier, evalDetector, MODELS_DIR, python } from '../models/eval/index.js';
import { ApAccumulator, averagePrecision, iou, precisionRecall } from '../models/eval/metrics.js';
import { runModel, validateModel } from '../models/tools.js';

const DET = path.join(MODELS_DIR, 'detector', 'manifest.json');
const CLS = path.join(MODELS_DIR, 'uniform', 'manifest.json');

function hasGeneratorPython(): boolean {
  try {
    execFileSync(python(), ['-c', 'import numpy, PIL'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const canGenerate = hasGeneratorPython();

describe('models - metrics', () => {
  it('AP is 1 for perfect ranked detections and drops with a false positive ranked first', () => {
    expect(
      averagePrecision(
        [
          { score: 0.9, tp: true },
          { score: 0.8, tp: true },
        ],
        2,
      ),
    ).toBeCloseTo(1);
    expect(
      averagePrecision(
        [
          { score: 0.95, tp: false },
          { score: 0.9, tp: true },
        ],
        1,
      ),
    ).toBeCloseTo(0.5);
    expect(averagePrecision([{ score: 0.9, tp: true }], 2)).toBeCloseTo(0.5);
    expect(Number.isNaN(averagePrecision([], 0))).toBe(true);
  });

  it('a duplicate detection of one object counts as a false positive; wrong class never matches', () => {
    const acc = new ApAccumulator(2);
    const gt = { classId: 0, x1: 0, y1: 0, x2: 10, y2: 10 };
    acc.add(
      [
        { classId: 0, score: 0.9, x1: 0, y1: 0, x2: 10, y2: 10 },
        { classId: 0, score: 0.8, x1: 1, y1: 0, x2: 10, y2: 10 },
        { classId: 1, score: 0.99, x1: 0, y1: 0, x2: 10, y2: 10 },
      ],
      [gt],
    );
    const [ap0, ap1] = acc.ap();
    expect(ap0).toBeCloseTo(1); // the TP ranks first
    expect(Number.isNaN(ap1)).toBe(true); // no ground truth of class 1
    expect(iou(gt, { x1: 5, y1: 0, x2: 15, y2: 10 })).toBeCloseTo(1 / 3);
  });

  it('precision/recall of the positive label', () => {
    const r = precisionRecall(
      [
        { truth: 'no_uniform', predicted: 'no_uniform' },
        { truth: 'uniform', predicted: 'no_uniform' },
        { truth: 'no_uniform', predicted: 'uniform' },
        { truth: 'uniform', predicted: 'uniform' },
      ],
      'no_uniform',
    );
    expect(r).toMatchObject({ precision: 0.5, recall: 0.5, tp: 1, fp: 1, fn: 1 });
  });
});

describe('models - committed models', () => {
  let tmp = '';
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'models-eval-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('validate reports shapes, labels and a test inference for both defaults', async () => {
    const d = await validateModel(DET);
    expect(d).toMatchObject({
      task: 'detect',
      labels: ['person', 'vehicle', 'litter'],
      input: '320x320 rgb nchw',
    });
    expect(d.testInference).toMatch(/output \[1,7,2100\]/);
    const c = await validateModel(CLS);
    expect(c).toMatchObject({ task: 'classify', labels: ['uniform', 'no_uniform'] });
  });

  it('validate rejects a model whose output shape does not match the manifest, naming the shapes', async () => {
    const m = JSON.parse(await readFile(DET, 'utf8'));
    await copyFile(path.join(MODELS_DIR, 'uniform', 'model.onnx'), path.join(tmp, 'wrong.onnx'));
    const bad = path.join(tmp, 'wrong-shape.json');
    await writeFile(bad, JSON.stringify({ ...m, file: 'wrong.onnx', sha256: undefined }));
    await expect(validateModel(bad)).rejects.toThrow(
      /wrong-shape\.json.*input "images" has shape \[1,3,128,64\], manifest says \[1,3,320,320\]/,
    );
    // input right, output a [1,2] classifier head where a yolov8 [1,4+C,N] is expected
    await writeFile(
      bad,
      JSON.stringify({
        ...m,
        file: 'wrong.onnx',
        sha256: undefined,
        input: { ...m.input, width: 64, height: 128 },
      }),
    );
    await expect(validateModel(bad)).rejects.toThrow(/wrong-shape\.json.*\[1,2\]/);
    const cm = JSON.parse(await readFile(CLS, 'utf8'));
    const badLabels = path.join(tmp, 'wrong-labels.json');
    await copyFile(path.join(MODELS_DIR, 'uniform', 'model.onnx'), path.join(tmp, 'model.onnx'));
    await writeFile(badLabels, JSON.stringify({ ...cm, labels: ['a', 'b', 'c'] }));
    await expect(validateModel(badLabels)).rejects.toThrow(/3 labels/);
    const badSha = path.join(tmp, 'wrong-sha.json');
    await writeFile(badSha, JSON.stringify({ ...cm, sha256: '0'.repeat(64) }));
    await expect(validateModel(badSha)).rejects.toThrow(/sha256 mismatch/);
  });

  it('the detector finds what each scenario frame contains (scene.json ground truth)', async () => {
    const det = await loadDetector(DET);
    const cls = await loadClassifier(CLS);
    try {
      let objects = 0;
      let found = 0;
      const uniformCalls: { truth: boolean; predicted: boolean }[] = [];
      for (const name of ['parking', 'litter', 'post', 'no-uniform', 'brief-stop']) {
        const dir = path.join(MODELS_DIR, 'scenes', name);
        const scene = JSON.parse(await readFile(path.join(dir, 'scene.json'), 'utf8'));
        expect(scene.zones).toHaveProperty('noParking');
        for (const f of scene.frames.filter((_: unknown, i: number) => i % 3 === 0)) {
          const img = await readFile(path.join(dir, f.file));
          const dets = await det.detect(img);
          for (const o of f.objects) {
            const [x1, y1, x2, y2] = o.box;
            objects++;
            const hit = dets.find(
              (d) =>
                d.label === o.label &&
                iou(
                  { x1, y1, x2, y2 },
                  { x1: d.box.x, y1: d.box.y, x2: d.box.x + d.box.w, y2: d.box.y + d.box.h },
                ) >= 0.5,
            );
            if (hit) found++;
            if (hit && o.label === 'person' && x2 - x1 > 20) {
              const r = await cls.classify(img, hit.box);
              uniformCalls.push({ truth: o.uniform === true, predicted: r.label === 'uniform' });
            }
          }
        }
      }
      expect(objects).toBeGreaterThan(20);
      expect(found / objects).toBeGreaterThanOrEqual(0.9);
      expect(uniformCalls.length).toBeGreaterThan(5);
      expect(
        uniformCalls.filter((u) => u.truth === u.predicted).length / uniformCalls.length,
      ).toBeGreaterThanOrEqual(0.9);
    } finally {
      await det.close();
      await cls.close();
    }
  });

  it('run emits one JSON line per detection in image pixels, and an error line for a bad file', async () => {
    const lines: {
      file: string;
      label: string;
      score: number;
      box?: { x: number; w: number };
      error?: string;
    }[] = [];
    const junk = path.join(tmp, 'junk.jpg');
    await writeFile(junk, 'not an image');
    const frame = path.join(MODELS_DIR, 'scenes', 'parking', 'frame-012.jpg');
    const r = await runModel(DET, [frame, junk], (l) => lines.push(l), { annotateDir: tmp });
    expect(r).toEqual({ files: 2, errors: 1 });
    const car = lines.find((l) => l.file === frame && l.label === 'vehicle');
    expect(car?.box && car.box.x + car.box.w).toBeGreaterThan(320); // 640-px frame coordinates, not 320
    expect(lines.find((l) => l.file === junk)?.error).toBeTruthy();
    await expect(readFile(path.join(tmp, 'frame-012.annotated.jpg'))).resolves.toBeInstanceOf(Buffer);
  });

  it.skipIf(!canGenerate)('meet a floor on a small held-out generated set (seed 11)', async () => {
    const set = await ensureHeldout({ root: tmp, seed: 11, detect: 30, classify: 80 });
    const d = await evalDetector(DET, set.detect);
    for (const l of d.labels) expect(d.ap[l], `AP ${l}`).toBeGreaterThanOrEqual(0.6);
    const c = await evalClassifier(CLS, set.classify);
    expect(c.n).toBe(80);
    expect(c.precision).toBeGreaterThanOrEqual(0.9);
    expect(c.recall).toBeGreaterThanOrEqual(0.9);
  });
});
