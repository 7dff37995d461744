/**
 * @module bench/lib/camera-input
 * The detector and frames the camera benchmarks use: the trained model and scene frames when
 * they exist in models/, else the tiny test model and generated frames (said in the notes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFrameDir, makeTestFrames } from '../../sim/onvif/frames.js';
import { ROOT } from './paths.js';

export function detectorManifest(): { path: string; note: string } {
  // the cameras' default person/vehicle detector: the real 416x416 YOLOX-Nano
  const yolox = join(ROOT, 'models/yolox-nano/manifest.json');
  if (existsSync(yolox))
    return { path: yolox, note: 'YOLOX-Nano 416 models/yolox-nano (the default detector)' };
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

export interface Scene {
  name: string;
  frames: Buffer[];
  /** zones in the camera config's shape, in frame pixels */
  zones: { id: string; type: 'no_parking' | 'litter' | 'post'; polygon: [number, number][] }[];
}

const ZONE_TYPES: Record<string, Scene['zones'][number]['type']> = {
  litter: 'litter',
  noParking: 'no_parking',
  post: 'post',
};

/** The recorded scenario sequences of models/scenes (frames + zones), or one generated scene. */
export async function benchScenes(): Promise<{ scenes: Scene[]; note: string }> {
  const dir = join(ROOT, 'models/scenes');
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((d) => existsSync(join(dir, d, 'scene.json')))
        .sort()
    : [];
  if (names.length) {
    const scenes: Scene[] = [];
    for (const name of names) {
      const meta = JSON.parse(readFileSync(join(dir, name, 'scene.json'), 'utf8')) as {
        zones: Record<string, [number, number][]>;
      };
      scenes.push({
        name,
        frames: await loadFrameDir(join(dir, name)),
        zones: Object.entries(meta.zones)
          .filter(([k]) => ZONE_TYPES[k])
          .map(([k, polygon]) => ({ id: k, type: ZONE_TYPES[k], polygon })),
      });
    }
    const n = scenes.reduce((a, x) => a + x.frames.length, 0);
    return {
      scenes,
      note: `${n} frames of the ${names.length} scenario scenes in models/scenes (${names.join(', ')}), their zones`,
    };
  }
  const frames = await makeTestFrames(24, 1280, 720);
  const rect = (x0: number, y0: number, x1: number, y1: number): [number, number][] => [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
  return {
    scenes: [
      {
        name: 'generated',
        frames,
        zones: [
          { id: 'np', type: 'no_parking', polygon: rect(0, 300, 640, 720) },
          { id: 'lt', type: 'litter', polygon: rect(640, 300, 1280, 720) },
          { id: 'post', type: 'post', polygon: rect(0, 0, 1280, 300) },
        ],
      },
    ],
    note: '24 generated 1280x720 JPEG frames (models/scenes absent)',
  };
}

/** Flat frames for the benchmarks that only need images (gateway, e2e). */
export async function benchFrames(n: number): Promise<{ frames: Buffer[]; note: string }> {
  const { scenes, note } = await benchScenes();
  const frames = scenes.flatMap((x) => x.frames).slice(0, n);
  return { frames, note: `first ${frames.length} of ${note}` };
}

/** The trained uniform classifier, when there is one. */
export function classifierManifest(): string | undefined {
  const p = join(ROOT, 'models/uniform/manifest.json');
  return existsSync(p) ? p : undefined;
}
