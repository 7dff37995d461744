/**
 * @module test/support/scene-frames
 * Recorded frame sequences as a virtual camera: a folder of JPEGs (name order) with an optional
 * `scene.json` ({ "intervalS": 1 }) becomes frames with virtual times, for CameraUnit.replay().
 * Test support: only tests replay recorded scenes, so it stays out of the field build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Frame } from '../../edge/camera/capture/index.js';

export async function* sceneFrames(
  dir: string,
  opts: { cameraId: string; t0: number; intervalS?: number },
): AsyncGenerator<Frame> {
  const meta = path.join(dir, 'scene.json');
  const scene = existsSync(meta) ? (JSON.parse(readFileSync(meta, 'utf8')) as { intervalS?: number }) : {};
  const step = (opts.intervalS ?? scene.intervalS ?? 1) * 1000;
  const names = (await readdir(dir)).filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (!names.length) throw new Error(`scene ${dir}: no JPEG frames`);
  let seq = 0;
  for (const n of names) {
    yield {
      cameraId: opts.cameraId,
      jpeg: await readFile(path.join(dir, n)),
      t: opts.t0 + seq * step,
      seq: ++seq,
    };
  }
}
