/**
 * @module bench/lib/camera-input
 * The detector and frames the camera benchmarks use: the trained model and scene frames when
 * they exist in models/, else the tiny test model and generated frames (said in the notes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFrameDir, makeTestFrames } from '../../test/simulators/onvif/frames.js';
import { ROOT } from './paths.js';

export function detectorManifest(): { path: string; note: string } {
  const trained = join(ROOT, 'models/detector/manifest.json');
  if (existsSync(trained)) return { path: trained, note: 'trained detector models/detector/manifest.json' };
  // the trained model's architecture with random weights: same inference cost, detects nothing
  const standIn = join(tmpdir(), 'cg-bench-standin');
  try {
    if (!existsSync(join(standIn, 'manifest.json')))
      execFileSync('/usr/bin/python3', [join(ROOT, 'bench/lib/stand_in_model.py'), standIn], {
        stdio: 'ignore',
      });
    return {
      path: join(standIn, 'manifest.json'),
      note: 'STAND-IN: untrained DetNet 320x320 (models/train/detnet.py, random weights; models/detector absent): real inference cost, no detections',
    };
  } catch {
    // no torch: fall through to the tiny test model
  }
  return {
    path: join(ROOT, 'edge/camera/detect/testdata/yolov8.manifest.json'),
    note: 'TINY TEST MODEL edge/camera/detect/testdata/yolov8 (32x32 input; models/detector absent): inference is unrealistically cheap, so the overhead ratio is pessimistic',
  };
}

export async function benchFrames(n: number): Promise<{ frames: Buffer[]; note: string }> {
  const dir = join(ROOT, 'models/scenes');
  if (existsSync(dir) && readdirSync(dir).some((f) => /\.jpe?g$/i.test(f))) {
    const frames = (await loadFrameDir(dir)).slice(0, n);
    return { frames, note: `${frames.length} scene frames from models/scenes` };
  }
  const frames = await makeTestFrames(n, 1280, 720);
  return { frames, note: `${n} generated 1280x720 JPEG frames (models/scenes absent)` };
}
