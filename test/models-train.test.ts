/**
 * models - training smoke test: the generator writes a tiny YOLO set and a tiny crop set, each
 * training script runs a few steps on the CPU and exports an ONNX model + manifest that the
 * gateway's inference code accepts. Proves the training code runs; says nothing about accuracy.
 * Needs python3 with torch, numpy, PIL and onnx (Debian: python3-torch python3-numpy python3-pil
 * python3-onnx); skipped with a message otherwise.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR, python } from '../models/eval/index.js';
import { validateModel } from '../models/tools.js';

const run = promisify(execFile);
const T = path.join(MODELS_DIR, 'train');

function hasTorch(): boolean {
  try {
    execFileSync(python(), ['-c', 'import torch, onnx, numpy, PIL'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const torchOk = hasTorch();
if (!torchOk) console.warn(`models - training smoke test skipped: ${python()} lacks torch/onnx/numpy/PIL`);

describe.skipIf(!torchOk)('models - training smoke test', () => {
  let tmp = '';
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'models-train-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('detector: generate 8 images, train 2 steps at 128 px, export a valid yolov8-layout model', async () => {
    const data = path.join(tmp, 'det');
    const out = path.join(tmp, 'det-model');
    await run(python(), [
      path.join(T, 'gen_data.py'),
      'detect',
      '--out',
      data,
      '--train',
      '8',
      '--val',
      '2',
      '--seed',
      '5',
    ]);
    const { stdout } = await run(python(), [
      path.join(T, 'train_detect.py'),
      '--data',
      data,
      '--out',
      out,
      '--size',
      '128',
      '--batch',
      '4',
      '--max-steps',
      '2',
      '--width',
      '8',
      '--threads',
      '1',
    ]);
    expect(stdout).toMatch(/step 2\/2/);
    const m = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(m).toMatchObject({
      task: 'detect',
      labels: ['person', 'vehicle', 'litter'],
      input: { width: 128, height: 128 },
    });
    const v = await validateModel(path.join(out, 'manifest.json'));
    expect(v.testInference).toMatch(/output \[1,7,336\]/); // 16*16 + 8*8 + 4*4 points at 128 px
  });

  it('classifier: generate 12 crops, train 2 steps, export a valid logits model', async () => {
    const data = path.join(tmp, 'cls');
    const out = path.join(tmp, 'cls-model');
    await run(python(), [
      path.join(T, 'gen_data.py'),
      'classify',
      '--out',
      data,
      '--train',
      '12',
      '--val',
      '4',
      '--seed',
      '5',
    ]);
    const { stdout } = await run(python(), [
      path.join(T, 'train_classify.py'),
      '--data',
      data,
      '--out',
      out,
      '--batch',
      '4',
      '--max-steps',
      '2',
      '--channels',
      '4',
      '--threads',
      '1',
    ]);
    expect(stdout).toMatch(/step 2\/2/);
    const v = await validateModel(path.join(out, 'manifest.json'));
    expect(v).toMatchObject({
      task: 'classify',
      labels: ['uniform', 'no_uniform'],
      input: '64x128 rgb nchw',
    });
  });
});
