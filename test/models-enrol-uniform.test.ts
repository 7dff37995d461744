/**
 * models - city enrolment of the uniform on real people: person crops cut by the real COCO
 * detector (../shared/models/yolox-nano) from the real photos (../shared/testdata/photos).
 * Positives: the two high-visibility workers of coco/000000008211.jpg, augmented (box jitter,
 * flips, brightness) since no other real photo of this uniform exists; negatives: every other
 * detected person except three photos kept out entirely for the check. Training is the real
 * python trainer on CPU (a few epochs on ~170 crops). Skips with a message when the shared
 * material or python3 with torch/onnx is absent.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Box, loadClassifier, loadDetector } from '../edge/camera/detect/index.js';
import { enrolUniform } from '../models/enrol/uniform.js';
import { MODELS_DIR, python } from '../models/eval/index.js';
import { SHARED_PHOTOS, sharedYoloxManifest } from './support/shared-yolox.js';

const det = sharedYoloxManifest();
const torchOk = (() => {
  try {
    execFileSync(python(), ['-c', 'import torch, onnx, numpy, PIL'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const WORKERS = 'coco/000000008211.jpg';
const CHECK = ['coco/000000005001.jpg', 'coco/000000009590.jpg', 'paddledetection/pedestrian-004.png'];
const skip =
  det.skip ??
  (!existsSync(path.join(SHARED_PHOTOS, WORKERS))
    ? `real photos absent: ${SHARED_PHOTOS}`
    : !torchOk
      ? `${python()} lacks torch/onnx/numpy/PIL`
      : undefined);
if (skip) console.warn(`models-enrol-uniform: skipped (${skip})`);

const dir = mkdtempSync(path.join(tmpdir(), 'cg-enrol-test-'));
const people: Record<string, { buf: Buffer; boxes: Box[] }> = {};

async function cut(
  buf: Buffer,
  b: Box,
  o: { dx?: number; dy?: number; s?: number; flip?: boolean; light?: number } = {},
) {
  const meta = await sharp(buf).metadata();
  const s = o.s ?? 1;
  const w = b.w * s;
  const h = b.h * s;
  const left = Math.max(0, Math.round(b.x + b.w / 2 - w / 2 + (o.dx ?? 0) * b.w));
  const top = Math.max(0, Math.round(b.y + b.h / 2 - h / 2 + (o.dy ?? 0) * b.h));
  let img = sharp(buf).extract({
    left,
    top,
    width: Math.min(Math.round(w), (meta.width ?? 0) - left),
    height: Math.min(Math.round(h), (meta.height ?? 0) - top),
  });
  if (o.flip) img = img.flop();
  if (o.light) img = img.modulate({ brightness: o.light });
  return img.jpeg({ quality: 90 }).toBuffer();
}

beforeAll(async () => {
  if (skip) return;
  const d = await loadDetector(det.manifest as string);
  for (const sub of ['coco', 'paddledetection'])
    for (const f of readdirSync(path.join(SHARED_PHOTOS, sub)).filter((n) => /\.(jpe?g|png)$/i.test(n))) {
      const buf = await sharp(path.join(SHARED_PHOTOS, sub, f))
        .removeAlpha()
        .toBuffer();
      const boxes = (await d.detect(buf))
        .filter((x) => x.label === 'person' && x.score > 0.5 && x.box.h >= 60)
        .map((x) => x.box);
      if (boxes.length) people[`${sub}/${f}`] = { buf, boxes };
    }
  await d.close();
  const pos = path.join(dir, 'pos');
  const neg = path.join(dir, 'neg');
  mkdirSync(pos);
  mkdirSync(neg);
  let k = 0;
  for (const b of people[WORKERS].boxes)
    for (let i = 0; i < 20; i++) {
      const r = (n: number) => ((i * 7919 + n * 104729 + k * 31) % 1000) / 1000; // fixed jitter
      writeFileSync(
        path.join(pos, `worker${k}-${i}.jpg`),
        await cut(people[WORKERS].buf, b, {
          dx: (r(1) - 0.5) * 0.12,
          dy: (r(2) - 0.5) * 0.12,
          s: 0.9 + r(3) * 0.2,
          flip: i % 2 === 1,
          light: 0.75 + r(4) * 0.5,
        }),
      );
      k += i === 19 ? 1 : 0;
    }
  for (const [f, p] of Object.entries(people)) {
    if (f === WORKERS || CHECK.includes(f)) continue;
    for (const [i, b] of p.boxes.entries())
      writeFileSync(path.join(neg, `${f.replace(/[/.]/g, '_')}-${i}.jpg`), await cut(p.buf, b));
  }
  writeFileSync(path.join(pos, 'broken.jpg'), Buffer.from('not a jpeg'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!!skip)('models - enrol-uniform on real people', () => {
  it('before enrolment the real workers are not "uniform"; after it they are, and held-out real people stay "no_uniform"', async () => {
    const workers = people[WORKERS];
    expect(workers.boxes).toHaveLength(2);
    const base = await loadClassifier(path.join(MODELS_DIR, 'uniform', 'manifest.json'));
    const before = await Promise.all(
      workers.boxes.map(async (b) => (await base.classify(workers.buf, b)).label),
    );
    await base.close();
    expect(before).toEqual(['no_uniform', 'no_uniform']);

    const lines: string[] = [];
    const out = path.join(dir, 'uniform-city');
    const r = await enrolUniform({
      positives: path.join(dir, 'pos'),
      negatives: path.join(dir, 'neg'),
      out,
      version: 'city-test',
      epochs: 4, // under the shared box's load ~30 s an epoch
      log: (l) => {
        lines.push(l);
        if (process.env.CG_ENROL_LOG) console.log(new Date().toISOString(), l);
      },
    });
    expect(r.refused.map((x) => path.basename(x.file))).toEqual(['broken.jpg']);
    expect(r.heldout.uniform).toBeGreaterThan(0);
    expect(r.heldout.no_uniform).toBeGreaterThan(0);
    expect(r.noUniform.precision).toBeGreaterThanOrEqual(0);
    expect(lines.some((l) => /held-out no_uniform precision \d\.\d{3} recall \d\.\d{3}/.test(l))).toBe(true);
    expect(lines.some((l) => /^step \d+\/\d+/.test(l))).toBe(true); // progress from the trainer
    const m = JSON.parse(readFileSync(r.manifest, 'utf8'));
    expect(m).toMatchObject({ name: 'cg-uniform', version: 'city-test', sha256: r.model.sha256 });
    expect(readFileSync(path.join(out, 'MODEL_CARD.md'), 'utf8')).toContain(r.model.sha256);

    const city = await loadClassifier(r.manifest);
    const after = await Promise.all(
      workers.boxes.map(async (b) => (await city.classify(workers.buf, b)).label),
    );
    const others: string[] = [];
    for (const f of CHECK)
      for (const b of people[f]?.boxes ?? [])
        others.push(`${f}:${(await city.classify(people[f].buf, b)).label}`);
    await city.close();
    expect(after).toEqual(['uniform', 'uniform']);
    expect(others.length).toBeGreaterThanOrEqual(8);
    expect(others.filter((x) => !x.endsWith(':no_uniform'))).toEqual([]);
  }, 480_000);

  it('a training run that stops leaves nothing behind; too few crops is refused by name', async () => {
    const out = path.join(dir, 'uniform-broken');
    await expect(
      enrolUniform({
        positives: path.join(dir, 'pos'),
        negatives: path.join(dir, 'neg'),
        out,
        version: 'x',
        device: 'nonexistent',
        log: () => {},
      }),
    ).rejects.toThrow(/training stopped/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.part`)).toBe(false);
    const few = path.join(dir, 'few');
    mkdirSync(few);
    writeFileSync(path.join(few, 'a.jpg'), readFileSync(path.join(dir, 'pos', 'worker0-0.jpg')));
    await expect(
      enrolUniform({ positives: few, negatives: path.join(dir, 'neg'), out, version: 'x', log: () => {} }),
    ).rejects.toThrow(`${few}: 1 readable crops, need at least 2`);
  }, 120_000);
});
