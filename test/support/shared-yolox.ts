/**
 * The real COCO detector from ../shared/models/yolox-nano, with its manifest written beside a copy
 * in a temp folder (until models/ vendors it). `undefined` (and a reason) when the folder is absent.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const SHARED_YOLOX = path.resolve('../shared/models/yolox-nano');
export const SHARED_PHOTOS = path.resolve('../shared/testdata/photos');

export function sharedYoloxManifest(): { manifest?: string; skip?: string } {
  const onnx = path.join(SHARED_YOLOX, 'yolox_nano.onnx');
  if (!existsSync(onnx)) return { skip: `real detector absent: ${onnx}` };
  const dir = mkdtempSync(path.join(tmpdir(), 'cg-yolox-'));
  copyFileSync(onnx, path.join(dir, 'yolox_nano.onnx'));
  const labels = readFileSync(path.join(SHARED_YOLOX, 'coco_classes.txt'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const manifest = path.join(dir, 'manifest.json');
  writeFileSync(
    manifest,
    JSON.stringify({
      name: 'yolox-nano',
      version: '0.1.1',
      task: 'detect',
      file: 'yolox_nano.onnx',
      input: {
        name: 'images',
        width: 416,
        height: 416,
        channels: 'bgr',
        layout: 'nchw',
        scale: 1,
        mean: [0, 0, 0],
        std: [1, 1, 1],
        letterbox: { enabled: true, pad: 114, center: false },
      },
      output: { name: 'output', layout: 'yolox', strides: [8, 16, 32] },
      labels,
      thresholds: { score: 0.3, iou: 0.45 },
    }),
  );
  return { manifest };
}
