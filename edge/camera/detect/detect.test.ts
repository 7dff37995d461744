import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { yolox } from './decoders/yolox.js';
import { letterboxGeometry, loadClassifier, loadDetector, ModelManifest, nmsClassAware } from './index.js';

const td = (f: string) => path.join(import.meta.dirname, 'testdata', f);
// 64x32 grey frame: 32x32 model input → scale 0.5, centred letterbox pads 8 px top and bottom.
const frame = () =>
  sharp({ create: { width: 64, height: 32, channels: 3, background: '#808080' } })
    .jpeg()
    .toBuffer();
const round = (b: { x: number; y: number; w: number; h: number }) => ({
  x: Math.round(b.x * 100) / 100,
  y: Math.round(b.y * 100) / 100,
  w: Math.round(b.w * 100) / 100,
  h: Math.round(b.h * 100) / 100,
});

describe('detect - decoders through onnxruntime-node', () => {
  for (const layout of ['yolov5', 'yolov8']) {
    it(`${layout}: decodes, un-letterboxes, class-aware NMS`, async () => {
      const det = await loadDetector(td(`${layout}.manifest.json`));
      try {
        const out = await det.detect(await frame());
        // A (person .81) kept, B (person .72, IoU .78 with A) suppressed, C (vehicle .63) kept, D dropped.
        expect(out.map((d) => [d.label, Math.round(d.score * 100)])).toEqual([
          ['person', 81],
          ['vehicle', 63],
        ]);
        // A = (6..14, 6..14) in input px → x (6..14)/0.5, y (6-8..14-8)/0.5 clipped at 0.
        expect(round(out[0].box)).toEqual({ x: 12, y: 0, w: 16, h: 12 });
        expect(round(out[1].box)).toEqual({ x: 14, y: 0, w: 16, h: 12 });
      } finally {
        await det.close();
      }
    });
  }

  it('yolox: decodes the raw grid with strides, top-left letterbox', async () => {
    const det = await loadDetector(td('yolox.manifest.json'));
    try {
      const out = await det.detect(await frame());
      expect(out.map((d) => [d.label, Math.round(d.score * 100)])).toEqual([
        ['person', 81],
        ['litter', 40],
      ]);
      // person: centre (12,12) 8x8 in input px; no pad (center=false) → ×2.
      expect(round(out[0].box)).toEqual({ x: 16, y: 16, w: 16, h: 16 });
      // litter: centre (16,8) 32x16 → x 0..32 → 0..64, y 0..16 → 0..32.
      expect(round(out[1].box)).toEqual({ x: 0, y: 0, w: 64, h: 32 });
    } finally {
      await det.close();
    }
  });

  it('yolox: output dims are checked as rows of 5 + labels and as the grid cells of its strides', async () => {
    const m = ModelManifest.parse(JSON.parse(await readFile(td('yolox.manifest.json'), 'utf8')));
    // 32x32 at strides 8 and 16: 16 + 4 cells; 3 labels: rows of 8
    expect(yolox.checkDims([[1, 20, 8]], m)).toBeUndefined();
    expect(yolox.checkDims([[1, 'n', 8]], m)).toBeUndefined();
    expect(yolox.checkDims([[20, 8]], m)).toMatch(/expected rank 3/);
    expect(yolox.checkDims([[1, 20, 9]], m)).toMatch(/\(5 \+ 3 labels\)/);
    expect(yolox.checkDims([[1, 21, 8]], m)).toMatch(/expected N=20 grid cells for strides \[8,16\]/);
  });

  it('a score threshold override filters, the manifest default applies otherwise', async () => {
    const det = await loadDetector(td('yolov8.manifest.json'));
    try {
      expect((await det.detect(await frame(), { score: 0.7 })).map((d) => d.label)).toEqual(['person']);
      expect((await det.detect(await frame(), { score: 0.05, iou: 0.9 })).length).toBe(4);
    } finally {
      await det.close();
    }
  });

  it('a model whose output does not match its manifest fails at load, naming the shapes', async () => {
    await expect(loadDetector(td('mismatch.manifest.json'))).rejects.toThrow(
      /output "output0".*\[1,7,N\].*1,6,4/,
    );
  });

  it('a classify manifest is refused by loadDetector and vice versa', async () => {
    await expect(loadDetector(td('classifier.manifest.json'))).rejects.toThrow(/expected "detect"/);
    await expect(loadClassifier(td('yolov8.manifest.json'))).rejects.toThrow(/expected "classify"/);
  });
});

describe('detect - classifier', () => {
  it('logits are softmaxed; a crop box is honoured', async () => {
    const cls = await loadClassifier(td('classifier.manifest.json'));
    const bad = await loadClassifier(td('classifier_nouniform.manifest.json'));
    try {
      const r = await cls.classify(await frame(), { x: 10, y: 5, w: 20, h: 20 });
      expect(r.label).toBe('uniform');
      expect(r.score).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 1), 5);
      expect(r.scores.no_uniform).toBeCloseTo(1 - r.score, 5);
      expect((await bad.classify(await frame())).label).toBe('no_uniform');
    } finally {
      await cls.close();
      await bad.close();
    }
  });
});

describe('detect - manifest and geometry', () => {
  it('manifest: unknown keys and wrong layouts are rejected with the path', () => {
    const base = {
      name: 'x',
      task: 'detect',
      file: 'm.onnx',
      input: { name: 'images', width: 320, height: 320 },
      output: { name: 'output0', layout: 'yolov8' },
      labels: ['a'],
    };
    expect(ModelManifest.safeParse(base).success).toBe(true);
    const extra = ModelManifest.safeParse({ ...base, colour: 'red' });
    expect(extra.success).toBe(false);
    const wrong = ModelManifest.safeParse({ ...base, task: 'classify' });
    expect(wrong.error?.issues[0].message).toMatch(/classify needs/);
    const yx = ModelManifest.safeParse({ ...base, output: { name: 'o', layout: 'yolox' } });
    expect(yx.error?.issues[0].message).toMatch(/strides/);
  });

  it('letterbox geometry: centred and stretched', () => {
    const input = ModelManifest.parse({
      name: 'x',
      task: 'detect',
      file: 'm.onnx',
      input: { name: 'images', width: 320, height: 320 },
      output: { name: 'o', layout: 'yolov8' },
      labels: ['a'],
    }).input;
    expect(letterboxGeometry(1920, 1080, input)).toMatchObject({
      scaleX: 1 / 6,
      padX: 0,
      padY: 70,
      innerHeight: 180,
    });
    expect(
      letterboxGeometry(1920, 1080, { ...input, letterbox: { ...input.letterbox, enabled: false } }),
    ).toMatchObject({
      scaleX: 1 / 6,
      scaleY: 320 / 1080,
      padY: 0,
    });
  });

  it('nms keeps overlapping boxes of different classes', () => {
    const a = { x1: 0, y1: 0, x2: 10, y2: 10, score: 0.9, classId: 0 };
    const b = { ...a, score: 0.8 };
    const c = { ...a, score: 0.7, classId: 1 };
    expect(nmsClassAware([c, b, a], 0.5)).toEqual([a, c]);
  });
});
