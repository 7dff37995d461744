/**
 * camera - scenarios: recorded frame sequences replayed through a real CameraUnit (sharp decode,
 * onnxruntime-node, tracker, rules, lifecycle, evidence) with virtual frame times, so dwell times
 * of minutes run in a moment. With the tiny test detector (it always sees a standing vehicle and
 * a person) until the trained models and scenes in models/ exist.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CameraUnit, createCameraUnits } from '../edge/camera/index.js';
import { makeTestFrames } from '../sim/onvif/index.js';
import { freshDataDir } from './support/data-dir.js';
import { recorder } from './support/recorder.js';
import { sceneFrames } from './support/scene-frames.js';

const td = (f: string) => path.resolve(import.meta.dirname, '../edge/camera/detect/testdata', f);
const log = { info() {}, warn() {}, error() {}, debug() {} };
const T0 = Date.parse('2026-11-23T02:00:00Z'); // Monday 10:00 Asia/Shanghai

async function unitFor(zones: unknown[], classifier?: string): Promise<CameraUnit> {
  const [u] = await createCameraUnits(
    {
      models: { detector: td('yolov8.manifest.json'), classifier: classifier && td(classifier) },
      list: [
        {
          id: 'cam-r',
          xaddr: 'http://127.0.0.1:9/onvif/device_service',
          location: { lat: 30, lon: 120 },
          zones,
        },
      ],
    },
    { gatewayId: 'gw', dataDir: freshDataDir(), log },
  );
  return u as CameraUnit;
}

const FULL = [
  [0, 0],
  [160, 0],
  [160, 90],
  [0, 90],
];

describe('camera - scenario replay (virtual time)', () => {
  it('a vehicle standing 10 minutes in a no-parking zone: one violation after stop + 5 min dwell', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scene-'));
    const unit = await unitFor([
      { id: 'np', type: 'no_parking', polygon: FULL, stoppedAfterS: 10, dwellS: 300 },
    ]);
    try {
      const [frame] = await makeTestFrames(1, 160, 90);
      for (let i = 0; i < 300; i++)
        writeFileSync(path.join(dir, `f${String(i).padStart(4, '0')}.jpg`), frame);
      writeFileSync(path.join(dir, 'scene.json'), JSON.stringify({ intervalS: 2 }));
      const { got, sinks } = recorder();
      await unit.replay(sinks, sceneFrames(dir, { cameraId: 'cam-r', t0: T0 }));
      expect(got.map((g) => [g.draft.kind, g.draft.lifecycle])).toEqual([['illegal_parking', 'new']]);
      const d = got[0].draft;
      // stationary from the first frame (T0); violation at T0 + 10 s + 300 s.
      expect([d.startedAt, d.observedAt]).toEqual([
        new Date(T0).toISOString(),
        new Date(T0 + 310_000).toISOString(),
      ]);
      expect(d.details).toMatchObject({ dwellS: 310, allowedS: 310 });
      expect(got[0].images.map((i) => i.role)).toEqual(['annotated', 'clean', 'start']);
    } finally {
      await unit.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an update revision every updateEveryS while the cause lasts, same id', async () => {
    const unit = await unitFor([
      { id: 'np', type: 'no_parking', polygon: FULL, stoppedAfterS: 0, dwellS: 0 },
    ]);
    try {
      const [jpeg] = await makeTestFrames(1, 160, 90);
      const frames = Array.from({ length: 40 }, (_, i) => ({
        cameraId: 'cam-r',
        jpeg,
        t: T0 + i * 60_000,
        seq: i + 1,
      }));
      const { got, sinks } = recorder();
      await unit.replay(sinks, frames);
      // new at 0, updates every 600 s (default) → at 10, 20, 30 minutes.
      expect(got.map((g) => [g.draft.lifecycle, g.draft.rev])).toEqual([
        ['new', 0],
        ['update', 1],
        ['update', 2],
        ['update', 3],
      ]);
      expect(new Set(got.map((g) => g.draft.id)).size).toBe(1);
    } finally {
      await unit.stop();
    }
  });
});

describe('camera - model and zone labels', () => {
  it('a zone whose labels the detector lacks fails at start, naming camera and zone', async () => {
    const units = createCameraUnits(
      {
        models: { detector: td('yolov8.manifest.json') },
        labels: { vehicle: ['car'] },
        list: [
          {
            id: 'cam-x',
            xaddr: 'http://127.0.0.1:9/onvif/device_service',
            location: { lat: 30, lon: 120 },
            zones: [{ id: 'np', type: 'no_parking', polygon: FULL }],
          },
        ],
      },
      { gatewayId: 'gw', dataDir: freshDataDir(), log },
    );
    await expect(units).rejects.toThrow(
      /camera cam-x zone np: detector labels \[person,vehicle,litter\] have none of \[car\]/,
    );
  });
});
