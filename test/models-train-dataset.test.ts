/**
 * models - `train --dataset` on bad input and stopped runs, the ONNX → torch start point, and the
 * gate between `eval` and `publish`. The data set zips are built here in central's export layout
 * (images/labels per split, data.yaml, annotations.coco.json) from the committed `litter` scene
 * frames and their ground truth. Each bad zip must fail naming the entry and leave no candidate
 * folder (neither `<out>` nor `<out>.part`). Needs python3 with torch + onnx (skipped otherwise).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
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
import AdmZip from 'adm-zip';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRgb, loadDetector } from '../edge/camera/detect/index.js';
import { checkPublishable } from '../models/dataset/evaluation.js';
import { MODELS_DIR, python } from '../models/eval/index.js';

const REPO = path.resolve(import.meta.dirname, '..');
const SCENE = path.join(MODELS_DIR, 'scenes', 'litter');
const BASE = path.join(MODELS_DIR, 'detector');
const CLASSES = ['person', 'vehicle', 'litter'];
const tmp = mkdtempSync(path.join(tmpdir(), 'cg-models-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function torchOk(): boolean {
  try {
    execFileSync(python(), ['-c', 'import torch, onnx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasTorch = torchOk();
if (!hasTorch) console.warn(`models - train --dataset tests skipped: ${python()} lacks torch/onnx`);

interface Frame {
  file: string;
  objects: { label: string; box: [number, number, number, number] }[];
}
const scene = JSON.parse(readFileSync(path.join(SCENE, 'scene.json'), 'utf8')) as {
  width: number;
  height: number;
  frames: Frame[];
};

/** A zip in central's export layout from the litter scene; `spoil` may change entries before zipping. */
async function datasetZip(
  name: string,
  spoil: (files: Map<string, Buffer>) => Promise<void> | void = () => {},
): Promise<string> {
  const files = new Map<string, Buffer>();
  const images: { id: number; file_name: string; width: number; height: number }[] = [];
  scene.frames.forEach((f, i) => {
    const split = i % 4 === 3 ? 'val' : 'train';
    const id = `f${String(i).padStart(3, '0')}`;
    const W = scene.width;
    const H = scene.height;
    const lines = f.objects.map(({ label, box: [x0, y0, x1, y1] }) =>
      [CLASSES.indexOf(label), (x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H]
        .map((v, k) => (k ? v.toFixed(6) : String(v)))
        .join(' '),
    );
    files.set(`images/${split}/${id}.jpg`, readFileSync(path.join(SCENE, f.file)));
    files.set(`labels/${split}/${id}.txt`, Buffer.from(lines.length ? `${lines.join('\n')}\n` : ''));
    images.push({ id: i + 1, file_name: `images/${split}/${id}.jpg`, width: W, height: H });
  });
  files.set(
    'data.yaml',
    Buffer.from(`path: .\nnames:\n${CLASSES.map((c, i) => `  ${i}: ${c}`).join('\n')}\n`),
  );
  files.set(
    'annotations.coco.json',
    Buffer.from(JSON.stringify({ images, annotations: [], categories: [] })),
  );
  await spoil(files);
  const zip = new AdmZip();
  for (const [n, b] of files) zip.addFile(n, b);
  const out = path.join(tmp, `${name}.zip`);
  zip.writeZip(out);
  return out;
}

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'models/cli.ts', ...args], { cwd: REPO, encoding: 'utf8' });

/** Nothing that could be taken for a candidate: no <out>, no <out>.part. */
function nothingLeft(out: string) {
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(path.dirname(out)).filter((f) => f.startsWith(path.basename(out)))).toEqual([]);
}

describe.skipIf(!hasTorch)('models - train --dataset: start point, bad input, stopped runs', () => {
  it('the torch model started from the shipped model.onnx gives the same detections (0 epochs, re-exported)', {
    timeout: 120_000,
  }, async () => {
    const data = path.join(tmp, 'roundtrip');
    new AdmZip(await datasetZip('roundtrip')).extractAllTo(data, true);
    const out = path.join(tmp, 'roundtrip-model');
    const r = spawnSync(
      python(),
      [
        path.join(MODELS_DIR, 'train', 'train_detect.py'),
        ...['--data', data, '--out', out, '--init-onnx', path.join(BASE, 'model.onnx'), '--epochs', '0'],
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const frame = await decodeRgb(readFileSync(path.join(SCENE, 'frame-012.jpg')));
    const [a, b] = [
      await loadDetector(path.join(BASE, 'manifest.json')),
      await loadDetector(path.join(out, 'manifest.json')),
    ];
    const [da, db] = [await a.detect(frame), await b.detect(frame)];
    await a.close();
    await b.close();
    expect(da.length).toBeGreaterThan(0);
    expect(db.map((d) => d.label)).toEqual(da.map((d) => d.label));
    db.forEach((d, i) => {
      expect(d.score).toBeCloseTo(da[i].score, 3);
      expect(d.box.x).toBeCloseTo(da[i].box.x, 1);
      expect(d.box.w).toBeCloseTo(da[i].box.w, 1);
    });
  });

  it('a zip with an image whose label is missing: error naming the entry, nothing written', {
    timeout: 60_000,
  }, async () => {
    const zip = await datasetZip('missing-label', (f) => {
      f.delete('labels/train/f005.txt');
    });
    const out = path.join(tmp, 'out-missing');
    const r = cli(['train', '--dataset', zip, '--out', out, '--epochs', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('images/train/f005.jpg: no label file labels/train/f005.txt');
    expect(r.stderr).toContain('nothing trained');
    nothingLeft(out);
  });

  it('a zip with an image of the wrong size: error naming the entry and both sizes', {
    timeout: 60_000,
  }, async () => {
    const zip = await datasetZip('wrong-size', async (f) => {
      const small = await sharp(f.get('images/val/f007.jpg')).resize(320, 180).jpeg().toBuffer();
      f.set('images/val/f007.jpg', small);
    });
    const out = path.join(tmp, 'out-size');
    const r = cli(['train', '--dataset', zip, '--out', out, '--epochs', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('images/val/f007.jpg: image is 320x180, annotations.coco.json says 640x360');
    nothingLeft(out);
  });

  it('a run stopped by SIGTERM halfway leaves no candidate, not even a .part folder', {
    timeout: 180_000,
  }, async () => {
    const zip = await datasetZip('good');
    const out = path.join(tmp, 'out-stopped');
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', 'models/cli.ts', 'train', '--dataset', zip, '--out', out, '--epochs', '200'],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stderr.on('data', (b) => (stderr += b));
    const code = await new Promise<number | null>((resolve) => {
      p.stdout.on('data', (b) => {
        stdout += b;
        // training has started and the .part folder may exist: stop it now
        if (/step \d+\/\d+ .*eta/.test(stdout) && !p.killed) p.kill('SIGTERM');
      });
      p.on('close', resolve);
    });
    expect(stdout).toMatch(/step 1\/\d+ epoch .* loss .* eta \d+s/);
    expect(code).toBe(143);
    expect(stderr).toContain('training stopped by SIGTERM; nothing written');
    nothingLeft(out);
  });

  it('a trainer that crashes (no such GPU) fails with its output and leaves nothing', {
    timeout: 120_000,
  }, async () => {
    const zip = await datasetZip('good-crash');
    const out = path.join(tmp, 'out-crash');
    const r = cli(['train', '--dataset', zip, '--out', out, '--epochs', '1', '--device', 'cuda:99']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/training stopped \(exit \d+\); nothing written/);
    nothingLeft(out);
  });

  it('eval marks a candidate that is no better; publish refuses it, a .part folder and a changed file too', {
    timeout: 120_000,
  }, async () => {
    const zip = await datasetZip('same');
    const cand = path.join(tmp, 'cg-detector-same');
    mkdirSync(cand);
    for (const f of ['model.onnx', 'manifest.json']) cpSync(path.join(BASE, f), path.join(cand, f));
    const r = cli([
      'eval',
      ...['--baseline', path.join(BASE, 'manifest.json'), '--candidate', path.join(cand, 'manifest.json')],
      ...['--dataset', zip],
    ]);
    expect(r.status, r.stderr).toBe(3); // the same weights: equal mAP is not better
    expect(r.stdout).toMatch(/AP@0\.5 litter {3}baseline \d\.\d{3} {2}candidate \d\.\d{3}/);
    expect(r.stdout).toMatch(
      /false positives per hour at 3600 frames\/h like these: baseline \d+ {2}candidate \d+/,
    );
    expect(r.stdout).toContain('is not better: not offered');
    const ev = JSON.parse(readFileSync(path.join(cand, 'evaluation.json'), 'utf8'));
    expect(ev).toMatchObject({ better: false, dataset: { file: 'same.zip', heldout: 7, negatives: 1 } });
    const pub = cli(['publish', cand, '--nats', 'nats://127.0.0.1:1']);
    expect(pub.status).toBe(1);
    expect(pub.stderr).toContain(
      'not offered for rollout: evaluated not better than cg-detector@1.0.0 on same.zip',
    );
    // forced: the warning says why (the publish itself is in test/models-rollout.test.ts)
    const warned: string[] = [];
    checkPublishable(cand, true, (l) => warned.push(l));
    expect(warned[0]).toMatch(/^warning: publishing .* with --force although evaluated not better/);
    // marked better, but the file changed since: refused
    writeFileSync(path.join(cand, 'evaluation.json'), JSON.stringify({ ...ev, better: true }));
    expect(() => checkPublishable(cand, false, () => {})).not.toThrow();
    const m = JSON.parse(readFileSync(path.join(cand, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(cand, 'manifest.json'), JSON.stringify({ ...m, sha256: 'e'.repeat(64) }));
    expect(() => checkPublishable(cand, false, () => {})).toThrow(
      /evaluation\.json is for model sha256 .*evaluate it again/,
    );
    const part = `${cand}.part`;
    cpSync(cand, part, { recursive: true });
    expect(() => checkPublishable(part, true, () => {})).toThrow(/\.part folder .* not published/);
  });
});
