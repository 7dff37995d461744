/**
 * camera - litter by persistence on real backgrounds: frame sequences built from real photos
 * (../shared/testdata/photos) with real objects composited in (a bottle, a pedestrian, a car, cut
 * from other real photos), under brightness ramps and a sudden cloud, replayed through a real
 * CameraUnit with the real COCO detector (../shared/models/yolox-nano) giving the person/vehicle
 * boxes. Skips with a message when the shared material is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../edge/camera/capture/index.js';
import { type CameraUnit, createCameraUnits } from '../edge/camera/index.js';
import { litter } from '../edge/camera/rules/litter.js';
import { runningModels } from '../edge/gateway.js';
import type { IncidentDraft } from '../edge/unit.js';
import { freshDataDir } from './support/data-dir.js';
import { recorder } from './support/recorder.js';
import { SHARED_PHOTOS, sharedYoloxManifest } from './support/shared-yolox.js';

const log = { info() {}, warn() {}, error() {}, debug() {} };
const T0 = Date.parse('2026-11-23T02:00:00Z');
const P = (f: string) => path.join(SHARED_PHOTOS, f);
const det = sharedYoloxManifest();
const photosThere = existsSync(P('coco/000000008899.jpg'));
const skip = det.skip ?? (photosThere ? undefined : `real photos absent: ${SHARED_PHOTOS}`);
if (skip) console.warn(`camera-litter-persistence: skipped (${skip})`);

/** The sidewalk in front of the shutters of coco/000000008899.jpg (640x539), hydrant left out. */
const SIDEWALK: [number, number][] = [
  [190, 430],
  [640, 430],
  [640, 510],
  [190, 510],
];

interface Actors {
  /** frames [from, to) with the bottle lying on the sidewalk */
  bottle?: [number, number];
  /** frames [from, to) with a car parked over the sidewalk */
  car?: [number, number];
}

async function cut(
  file: string,
  left: number,
  top: number,
  width: number,
  height: number,
  w: number,
  h: number,
) {
  return sharp(P(file)).extract({ left, top, width, height }).resize(w, h).removeAlpha().toBuffer();
}

/** 44 frames, 1 s apart: a pedestrian walks through (frames 3–11), brightness ramps 1 → 0.55 → 1.15, a cloud at 36. */
async function sequence(a: Actors): Promise<Frame[]> {
  const bg = await sharp(P('coco/000000008899.jpg')).removeAlpha().toBuffer();
  const bottle = await cut('coco/000000007574.jpg', 294, 279, 52, 112, 30, 64);
  const person = await cut('paddledetection/pedestrian-004.png', 472, 172, 62, 162, 80, 210);
  const car = await cut('hyperlpr/test_img.jpg', 585, 320, 1311, 671, 390, 200);
  const frames: Frame[] = [];
  const on = (k: number, r?: [number, number]) => !!r && k >= r[0] && k < r[1];
  for (let k = 0; k < 44; k++) {
    let gain = k < 20 ? 1 - 0.45 * (k / 20) : 0.55 + 0.6 * ((k - 20) / 24);
    if (k === 36) gain *= 0.6; // a cloud passes
    const layers: { input: Buffer; left: number; top: number }[] = [];
    if (on(k, a.car)) layers.push({ input: car, left: 200, top: 305 });
    if (on(k, a.bottle)) layers.push({ input: bottle, left: 420, top: 442 });
    if (k >= 3 && k < 12) layers.push({ input: person, left: 190 + (k - 3) * 45, top: 300 });
    const composed = await sharp(bg).composite(layers).toBuffer();
    const jpeg = await sharp(composed).linear(gain, 0).jpeg({ quality: 80 }).toBuffer();
    frames.push({ cameraId: 'cam-1', jpeg, t: T0 + k * 1000, seq: k + 1 });
  }
  return frames;
}

async function replay(frames: Frame[], zone: object = {}) {
  const { got, sinks } = recorder();
  const [unit] = (await createCameraUnits(
    {
      models: { detector: det.manifest as string },
      tracker: { maxMissedS: 1.5, maxMissedStationaryS: 2 },
      list: [
        {
          id: 'cam-1',
          xaddr: 'http://127.0.0.1:9/onvif/device_service',
          location: { lat: 26.89, lon: 112.57 },
          zones: [
            {
              id: 'walk',
              type: 'litter',
              polygon: SIDEWALK,
              persistS: 10,
              cooldownS: 0,
              litterBy: 'persistence',
              ...zone,
            },
          ],
        },
      ],
    },
    { gatewayId: 'gw', dataDir: freshDataDir(), log },
  )) as CameraUnit[];
  let models: ReturnType<typeof runningModels> = [];
  try {
    await unit.replay(sinks, frames);
    models = runningModels([unit, unit]);
  } finally {
    await unit.stop();
  }
  const at = (d: IncidentDraft) => (Date.parse(d.observedAt) - T0) / 1000;
  return { models, got, events: got.map((g) => `${at(g.draft)}:${g.draft.lifecycle}:${g.draft.kind}`) };
}

describe.skipIf(!!skip)('camera - litter by persistence on real backgrounds', () => {
  it('a clean real sequence (brightness ramps, a cloud, a pedestrian walking through, a car parked for 18 s) gives no litter incident', async () => {
    const { events, models } = await replay(await sequence({ car: [16, 34] }));
    expect(events).toEqual([]);
    // what the heartbeat reports: the loaded detector once, with its cameras
    expect(models).toEqual([
      {
        name: 'yolox-nano',
        version: JSON.parse(readFileSync(det.manifest, 'utf8')).version,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        task: 'detect',
        cameraIds: ['cam-1'],
      },
    ]);
  });

  it('a real bottle left on the sidewalk gives one incident that holds while a car stands in front and ends when it is removed', async () => {
    const { got, events } = await replay(await sequence({ bottle: [8, 32], car: [22, 29] }));
    // dropped at 8 behind the pedestrian (static from 10 once they pass), persistS 10 → 20; removed at 32
    expect(events).toEqual(['20:new:litter', '32:end:litter']);
    const d = got[0].draft;
    expect(d.details).toMatchObject({ method: 'persistence', pieces: 1, zoneId: 'walk' });
    const box = d.detections?.find((x) => x.label === 'static_object')?.box;
    expect(box).toBeDefined();
    // the bottle was pasted at x 420–450, y 442–506
    expect(Math.abs((box?.x ?? 0) + (box?.w ?? 0) / 2 - 435)).toBeLessThan(12);
    expect(Math.abs((box?.y ?? 0) + (box?.h ?? 0) / 2 - 474)).toBeLessThan(16);
    expect(got[0].images.map((i) => i.role).sort()).toEqual(['annotated', 'clean', 'start']);
    expect(got[1].images.map((i) => i.role).sort()).toEqual(['clean', 'end']);
  });
});

describe('camera - litter by persistence: the rule', () => {
  const zone = {
    id: 'z',
    type: 'litter' as const,
    polygon: [
      [0, 0],
      [100, 0],
      [100, 100],
      [0, 100],
    ] as [number, number][],
    persistS: 10,
    litterBy: 'persistence' as const,
  };
  const params = {
    zones: [zone as never],
    labels: { vehicle: ['car'], person: ['person'], litter: ['litter'] },
    timezone: 'UTC',
  };
  const region = { box: { x: 10, y: 10, w: 20, h: 20 }, areaPx: 400, since: 0, confidence: 0.6 };
  const track = (label: string, score: number) => ({
    id: 7,
    label,
    score,
    box: { x: 12, y: 12, w: 18, h: 18 },
    seen: true,
  });

  it('an overlapping litter-class track raises the confidence; another label does not', () => {
    const step = (tracks: unknown[]) =>
      litter.step(
        {},
        {
          t: 20_000,
          tracks: tracks as never,
          judgements: {},
          statics: { z: { regions: [region], occludedPx: 0 } },
        },
        params,
      ).findings[0];
    expect(step([]).confidence).toBeCloseTo(0.6);
    expect(step([track('litter', 0.5)]).confidence).toBeCloseTo(0.8);
    expect(step([track('litter', 0.5)]).trackIds).toEqual([7]);
    expect(step([track('person', 0.9)]).confidence).toBeCloseTo(0.6);
  });

  it('young regions give nothing; an occluded piece holds an open finding, an empty zone ends it', () => {
    const young = litter.step(
      {},
      { t: 5_000, tracks: [], judgements: {}, statics: { z: { regions: [region], occludedPx: 0 } } },
      params,
    );
    expect(young.findings).toEqual([]);
    expect(young.marks?.length).toBe(1);
    const open = litter.step(
      young.state,
      { t: 12_000, tracks: [], judgements: {}, statics: { z: { regions: [region], occludedPx: 0 } } },
      params,
    );
    expect(open.findings.length).toBe(1);
    const hidden = litter.step(
      open.state,
      { t: 13_000, tracks: [], judgements: {}, statics: { z: { regions: [], occludedPx: 400 } } },
      params,
    );
    expect(hidden.findings.map((f) => f.details.presentS)).toEqual([13]);
    const gone = litter.step(
      hidden.state,
      { t: 14_000, tracks: [], judgements: {}, statics: { z: { regions: [], occludedPx: 0 } } },
      params,
    );
    expect(gone.findings).toEqual([]);
  });
});
