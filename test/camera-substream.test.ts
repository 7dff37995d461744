/**
 * camera - detect on the sub-stream, evidence from the main stream. The ONVIF simulator serves
 * two real profiles (main 320x180, sub 160x90: each snapshot really is that size); the unit must
 * poll the sub-stream, fetch the main stream only for evidence, and report boxes in main-stream
 * pixels (where the zones are drawn). A camera whose only profile is below the model input runs
 * on, with one warning naming it.
 */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickProfiles } from '../edge/camera/capture/index.js';
import { loadDetector } from '../edge/camera/detect/index.js';
import { createCameraUnits } from '../edge/camera/index.js';
import type { EdgeSinks, EdgeUnit, EvidenceImage, IncidentDraft } from '../edge/unit.js';
import { makeTestFrames, type OnvifCamera, startOnvifCamera } from '../sim/onvif/index.js';
import { freshDataDir } from './support/data-dir.js';
import { until } from './support/until.js';

const td = (f: string) => path.resolve(import.meta.dirname, '../edge/camera/detect/testdata', f);

describe('camera - profile choice (pure)', () => {
  const main = { token: 'main', snapshotUri: 'http://c/main', width: 1920, height: 1080 };
  const sub = { token: 'sub', snapshotUri: 'http://c/sub', width: 640, height: 360 };
  const tiny = { token: 'tiny', snapshotUri: 'http://c/tiny', width: 352, height: 198 };
  const m416 = { width: 416, height: 416 };

  it('auto: the smallest profile that reaches the model input detects, the largest is evidence', () => {
    expect(pickProfiles([main, sub, tiny], m416, { detectProfile: 'auto' })).toEqual({
      detect: sub,
      evidence: main,
    });
  });
  it('one profile: both roles; configured tokens win; unknown tokens fail naming them', () => {
    expect(pickProfiles([main], m416, { detectProfile: 'auto' })).toEqual({ detect: main, evidence: main });
    expect(pickProfiles([main, sub], m416, { detectProfile: 'main', profile: 'sub' })).toEqual({
      detect: main,
      evidence: sub,
    });
    expect(() => pickProfiles([main, sub], m416, { detectProfile: 'nope' })).toThrow(
      /"nope" not found.*main,sub/,
    );
  });
  it('no profile reaches the model: the largest detects, with a warning', () => {
    const r = pickProfiles([tiny], m416, { detectProfile: 'auto' });
    expect(r.detect).toBe(tiny);
    expect(r.warning).toMatch(/no profile reaches the model input 416x416.*352x198/);
  });
});

describe('camera - sub-stream detection, main-stream evidence, over a real simulator', () => {
  let cam: OnvifCamera;
  let small: OnvifCamera;
  let units: EdgeUnit[] = [];
  const got: { draft: IncidentDraft; images: EvidenceImage[] }[] = [];
  const warnings: string[] = [];
  const log = {
    info() {},
    warn(o: object, m?: string) {
      warnings.push(`${JSON.stringify(o)} ${m}`);
    },
    error() {},
    debug() {},
  };
  const sinks: EdgeSinks = {
    async incident(draft, images = []) {
      got.push({ draft, images });
    },
    telemetry() {},
  };
  const MAIN_ZONE = [
    [0, 0],
    [320, 0],
    [320, 180],
    [0, 180],
  ];

  beforeAll(async () => {
    const frames = await makeTestFrames(3, 160, 90);
    cam = await startOnvifCamera({
      frames,
      profiles: [
        { width: 320, height: 180 },
        { width: 160, height: 90 },
      ],
    });
    small = await startOnvifCamera({ frames, profiles: [{ width: 24, height: 16 }] });
    const common = {
      snapshotIntervalS: 0.1,
      timeoutS: 1,
      backoff: { initialS: 0.1, maxS: 0.3 },
      location: { lat: 30.2741, lon: 120.1551 },
    };
    units = await createCameraUnits(
      {
        models: { detector: td('yolov8.manifest.json') },
        list: [
          {
            id: 'two-profiles',
            xaddr: cam.xaddr,
            ...common,
            zones: [{ id: 'np', type: 'no_parking', polygon: MAIN_ZONE, stoppedAfterS: 0.3, dwellS: 0.3 }],
          },
          { id: 'too-small', xaddr: small.xaddr, ...common },
        ],
      },
      { gatewayId: 'gw-1', dataDir: freshDataDir(), log },
    );
    for (const u of units) await u.start(sinks);
  });
  afterAll(async () => {
    for (const u of units) await u.stop();
    await cam?.stop();
    await small?.stop();
  });

  it('polls the sub-stream, fetches the main stream only for evidence, boxes in main-stream pixels', async () => {
    await until(() => got.some((g) => g.draft.kind === 'illegal_parking'), 'parking incident');
    const polled = cam.stats.profileSnapshots[1] ?? 0;
    const mainFetches = cam.stats.profileSnapshots[0] ?? 0;
    // start mark + new revision (annotated and clean share one fetch)
    expect(mainFetches).toBeGreaterThanOrEqual(1);
    expect(mainFetches).toBeLessThanOrEqual(3);
    expect(polled).toBeGreaterThan(mainFetches);
    const p = got.find((g) => g.draft.kind === 'illegal_parking');
    for (const img of p?.images ?? []) {
      const m = await sharp(img.bytes).metadata();
      expect([img.role, m.width, m.height]).toEqual([img.role, 320, 180]);
    }
    // The same model on a 160x90 sub-stream frame, scaled ×2, is where the incident says the car is.
    const det = await loadDetector(td('yolov8.manifest.json'));
    const sub = await sharp((await makeTestFrames(1, 160, 90))[0])
      .jpeg()
      .toBuffer();
    const v = (await det.detect(sub)).find((d) => d.label === 'vehicle');
    await det.close();
    const box = p?.draft.detections?.[0]?.box;
    expect(box?.x).toBeCloseTo((v?.box.x ?? 0) * 2, 0);
    expect(box?.w).toBeCloseTo((v?.box.w ?? 0) * 2, 0);
    expect(box?.h).toBeCloseTo((v?.box.h ?? 0) * 2, 0);
  });

  it('a camera whose only profile is below the model input runs on, with one warning naming it', async () => {
    await until(() => (units[1].devices()[0].counters?.frames ?? 0) >= 3, 'frames from the small camera');
    const w = warnings.filter((x) => x.includes('too-small') && x.includes('no profile reaches'));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/32x32.*24x16/);
  });
});
