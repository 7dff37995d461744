/**
 * camera - scenes with the trained models: the frame sequences in models/scenes/<scenario>/
 * (generated street scenes with zones and ground truth) replayed through a real CameraUnit with
 * the trained detector (models/detector) and uniform classifier (models/uniform). Frames get
 * virtual times `intervalS` apart, so minute-long dwell and absence rules run in seconds.
 * Skips with a message when the models or scenes are absent (e.g. before they are trained).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type CameraUnit, createCameraUnits } from '../edge/camera/index.js';
import type { IncidentDraft } from '../edge/unit.js';
import { makeTestFrames, startOnvifCamera } from '../sim/onvif/index.js';
import { CAMERA_DETECTORS, GENERAL_DETECTOR } from '../sim/stack.js';
import { freshDataDir } from './support/data-dir.js';
import { recorder } from './support/recorder.js';
import { sceneFrames } from './support/scene-frames.js';
import { until } from './support/until.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DETECTOR = path.join(ROOT, 'models/detector/manifest.json');
const UNIFORM = path.join(ROOT, 'models/uniform/manifest.json');
const SCENES = path.join(ROOT, 'models/scenes');
const ready = existsSync(DETECTOR) && existsSync(UNIFORM) && existsSync(SCENES);
const log = { info() {}, warn() {}, error() {}, debug() {} };
const T0 = Date.parse('2026-11-23T02:00:00Z'); // Monday 10:00 Asia/Shanghai: duty hours
const DUTY = [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' }];

type Poly = [number, number][];
const sceneZones = (name: string) =>
  (JSON.parse(readFileSync(path.join(SCENES, name, 'scene.json'), 'utf8')) as { zones: Record<string, Poly> })
    .zones;

/** The scene's zones as camera zones, with rule timings in virtual seconds. */
function zonesFor(name: string, extra: { post?: object; noParking?: object; litter?: object } = {}) {
  const z = sceneZones(name);
  return [
    {
      id: 'np',
      type: 'no_parking',
      polygon: z.noParking,
      stoppedAfterS: 30,
      dwellS: 120,
      ...extra.noParking,
    },
    { id: 'lt', type: 'litter', polygon: z.litter, persistS: 60, ...extra.litter },
    { id: 'post', type: 'post', polygon: z.post, consensusFrames: 5, absenceS: 300, ...extra.post },
  ];
}

const TRAINED = { detector: DETECTOR, classifier: UNIFORM };

async function replayScene(name: string, intervalS: number, zones: unknown[], models: object = TRAINED) {
  const { got, sinks } = recorder();
  const [unit] = (await createCameraUnits(
    {
      models,
      // Tracks may be unseen for 1.5 frames (2 frames once standing still) at this frame interval.
      tracker: { maxMissedS: intervalS * 1.5, maxMissedStationaryS: intervalS * 2 },
      list: [
        {
          id: `cam-${name}`,
          xaddr: 'http://127.0.0.1:9/onvif/device_service',
          location: { lat: 30.27, lon: 120.15 },
          zones,
        },
      ],
    },
    { gatewayId: 'gw', dataDir: freshDataDir(), log },
  )) as CameraUnit[];
  try {
    await unit.replay(
      sinks,
      sceneFrames(path.join(SCENES, name), { cameraId: `cam-${name}`, t0: T0, intervalS }),
    );
  } finally {
    await unit.stop();
  }
  const frameOf = (iso?: string) => (iso ? Math.round((Date.parse(iso) - T0) / 1000 / intervalS) : undefined);
  return {
    got,
    summary: got.map((g) => `${g.draft.kind}:${g.draft.lifecycle}@${frameOf(g.draft.observedAt)}`),
  };
}

describe.skipIf(!ready)('camera - scenes with the trained models (skips until models/ has them)', () => {
  it('parking: a car parks in the no-parking zone → violation after the dwell, end when it leaves', async () => {
    // 20 s per frame: the car stands still from frame 8 (160 s) to 24, and moves off at 25.
    const { got, summary } = await replayScene('parking', 20, zonesFor('parking'));
    // stopped confirmed at 8 + 30 s, violation at 8·20 + 30 + 120 = 310 s → first frame after: 16.
    expect(summary).toEqual(['illegal_parking:new@16', 'illegal_parking:end@25']);
    const [n, e] = got;
    expect(n.draft.id).toBe(e.draft.id);
    expect(n.draft.startedAt).toBe(new Date(T0 + 8 * 20_000).toISOString());
    expect(n.draft.detections?.[0]).toMatchObject({ label: 'vehicle' });
    expect(n.draft.producer.model).toMatchObject({ name: 'cg-detector' });
    expect(n.images.map((i) => i.role)).toEqual(['annotated', 'clean', 'start']);
    expect(e.images.map((i) => i.role)).toEqual(['end', 'clean']);
    expect((await sharp(n.images[0].bytes).metadata()).width).toBe(640);
  });

  it('brief-stop: a car that only stops briefly produces nothing', async () => {
    const { summary } = await replayScene('brief-stop', 20, zonesFor('brief-stop'));
    expect(summary).toEqual([]);
  });

  it('litter: litter that appears and stays produces one incident, ended when removed', async () => {
    // 10 s per frame: two pieces dropped at frame 6, removed after frame 24.
    const { got, summary } = await replayScene('litter', 10, zonesFor('litter'));
    expect(summary).toEqual(['litter:new@12', 'litter:end@27']);
    expect(got[0].draft.details).toMatchObject({ pieces: 2 });
    expect(got[0].draft.category).toBe('01.04');
    expect(got[0].images.map((i) => i.role)).toEqual(['annotated', 'clean', 'start']);
  });

  it('post: a post left empty during duty hours produces an absence incident; uniformed staff no uniform incident', async () => {
    // 60 s per frame: the guard stands at the post for frames 0-13, then walks away.
    const { summary } = await replayScene('post', 60, zonesFor('post', { post: { schedule: DUTY } }));
    // Last seen at the post at frame 13; its track is kept through one missed frame (maxMissedS
    // 90 s), so the post counts as staffed until frame 14 (840 s) + 300 s → frame 19.
    expect(summary).toEqual(['absence_from_post:new@19']);
  });

  it('no-uniform: an out-of-uniform person produces one incident after consensus', async () => {
    const { got, summary } = await replayScene('no-uniform', 5, zonesFor('no-uniform'));
    expect(summary).toEqual(['uniform_violation:new@4']); // the 5th judgement
    expect(got[0].draft).toMatchObject({
      category: '91.01',
      producer: { rule: 'camera.post.uniform_consensus' },
    });
  });

  it('the same scene served by the ONVIF simulator through capture: the uniform incident arrives', async () => {
    const frames = (await makeTestFrames(0)).concat(
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          readFileSync(path.join(SCENES, 'no-uniform', `frame-${String(i).padStart(3, '0')}.jpg`)),
        ),
      ),
    );
    const cam = await startOnvifCamera({ username: 'admin', password: 'pw', frames, loop: false });
    const got: IncidentDraft[] = [];
    const [unit] = await createCameraUnits(
      {
        models: { detector: DETECTOR, classifier: UNIFORM },
        list: [
          {
            id: 'post-cam',
            xaddr: cam.xaddr,
            username: 'admin',
            password: 'pw',
            snapshotIntervalS: 0.1,
            location: { lat: 30.27, lon: 120.15 },
            zones: [{ id: 'post', type: 'post', polygon: sceneZones('no-uniform').post, consensusFrames: 3 }],
          },
        ],
      },
      { gatewayId: 'gw', dataDir: freshDataDir(), log },
    );
    try {
      await unit.start({
        async incident(d) {
          got.push(d);
        },
        telemetry() {},
      });
      await until(() => got.length, 'the uniform incident');
      expect(got.map((d) => [d.kind, d.lifecycle, d.deviceId])).toEqual([
        ['uniform_violation', 'new', 'post-cam'],
      ]);
    } finally {
      await unit.stop();
      await cam.stop();
    }
  });
});

/** What the demo runs: YOLOX-Nano for people and vehicles, the project's own model for litter. */
const DEMO = { detectors: CAMERA_DETECTORS, classifier: UNIFORM };

describe.skipIf(!ready || !existsSync(GENERAL_DETECTOR))(
  "camera - the demo's scenes with the demo's detectors (real YOLOX-Nano + litter model)",
  () => {
    it('street-parking: YOLOX sees the shaded car park → one violation, ended when it leaves', async () => {
      const { got, summary } = await replayScene('street-parking', 20, zonesFor('street-parking'), DEMO);
      expect(summary).toEqual(['illegal_parking:new@16', 'illegal_parking:end@25']);
      expect(got[0].draft.detections?.[0]).toMatchObject({ label: 'car' });
      expect(got[0].draft.producer.model).toMatchObject({ name: 'yolox-nano' });
    });

    it('litter: still found by the litter model beside YOLOX', async () => {
      const { got, summary } = await replayScene('litter', 10, zonesFor('litter'), DEMO);
      expect(summary).toEqual(['litter:new@12', 'litter:end@27']);
      expect(got[0].draft.producer.model).toMatchObject({ name: 'cg-detector' });
    });

    it('post and no-uniform: YOLOX finds the people the uniform classifier judges', async () => {
      const post = await replayScene('post', 60, zonesFor('post', { post: { schedule: DUTY } }), DEMO);
      // YOLOX last sees the guard at frame 12 (the trained model: 13), so absence comes a frame earlier.
      expect(post.summary).toEqual(['absence_from_post:new@18']);
      const nu = await replayScene('no-uniform', 5, zonesFor('no-uniform'), DEMO);
      expect(nu.summary).toEqual(['uniform_violation:new@4']);
    });
  },
);
