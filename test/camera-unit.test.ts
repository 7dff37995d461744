/**
 * camera - units: the whole pipeline per camera (simulator → node-onvif → snapshot → sharp →
 * onnxruntime-node → tracker → rules → incident with evidence) into recording sinks, with one
 * camera failing beside a healthy one. The tiny test models (edge/camera/detect/testdata) always
 * see a person and a vehicle, so a standing vehicle and an out-of-uniform person appear.
 */
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCameraUnits, parseCameraSection } from '../edge/camera/index.js';
import type { EdgeSinks, EdgeUnit, EvidenceImage, IncidentDraft } from '../edge/unit.js';
import { Incident } from '../protocol/index.js';
import { makeTestFrames, type OnvifCamera, startOnvifCamera } from './simulators/onvif/index.js';

const td = (f: string) => path.resolve(import.meta.dirname, '../edge/camera/detect/testdata', f);
const log = { info() {}, warn() {}, error() {}, debug() {} };
const FULL = [
  [0, 0],
  [160, 0],
  [160, 90],
  [0, 90],
];

async function until(cond: () => boolean, what: string, ms = 30_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('camera - units end to end into sinks', () => {
  let good: OnvifCamera;
  let bad: OnvifCamera;
  let units: EdgeUnit[] = [];
  const got: { draft: IncidentDraft; images: EvidenceImage[] }[] = [];
  const sinks: EdgeSinks = {
    async incident(draft, images = []) {
      got.push({ draft, images });
    },
    telemetry() {},
  };

  beforeAll(async () => {
    const frames = await makeTestFrames(3, 160, 90);
    good = await startOnvifCamera({
      username: 'admin',
      password: 'pw',
      frames,
      quirks: { jpgContentType: true },
    });
    bad = await startOnvifCamera({ username: 'op', password: 'other', frames });
    const common = {
      snapshotIntervalS: 0.1,
      timeoutS: 1,
      backoff: { initialS: 0.1, maxS: 0.3 },
      offlineAfterS: 1,
      location: { lat: 30.2741, lon: 120.1551, gridCode: '330106001001001' },
    };
    const section = {
      models: { detector: td('yolov8.manifest.json'), classifier: td('classifier_nouniform.manifest.json') },
      list: [
        {
          id: 'gate-1',
          name: '东门',
          xaddr: good.xaddr,
          username: 'admin',
          password: 'pw',
          ...common,
          zones: [
            { id: 'np-1', type: 'no_parking', polygon: FULL, stoppedAfterS: 0.3, dwellS: 0.3 },
            { id: 'post-1', type: 'post', polygon: FULL, consensusFrames: 3 },
          ],
        },
        { id: 'gate-2', xaddr: bad.xaddr, username: 'op', password: 'other', ...common },
      ],
    };
    parseCameraSection(section);
    units = await createCameraUnits(section, { gatewayId: 'gw-1', dataDir: '/tmp', log });
    for (const u of units) await u.start(sinks);
  });
  afterAll(async () => {
    for (const u of units) await u.stop();
    await good?.stop();
    await bad?.stop();
  });

  it('a standing vehicle in a no-parking zone: one violation with start, violation and clean evidence', async () => {
    await until(() => got.some((g) => g.draft.kind === 'illegal_parking'), 'parking incident');
    const p = got.filter((g) => g.draft.kind === 'illegal_parking');
    expect(p).toHaveLength(1);
    const { draft, images } = p[0];
    expect(draft).toMatchObject({
      lifecycle: 'new',
      rev: 0,
      category: '05.05',
      deviceId: 'gate-1',
      location: { source: 'fixed', cameraId: 'gate-1', zoneId: 'np-1', gridCode: '330106001001001' },
      producer: { model: { name: 'test-yolov8' }, rule: 'camera.no_parking.dwell' },
    });
    expect(draft.detections?.[0]).toMatchObject({ label: 'vehicle', trackId: expect.any(Number) });
    expect(Incident.safeParse({ ...draft, v: 1, gatewayId: 'gw-1' }).success).toBe(true);
    expect(images.map((i) => i.role)).toEqual(['annotated', 'clean', 'start']);
    for (const i of images) expect((await sharp(i.bytes).metadata()).format).toBe('jpeg');
    // The annotated frame differs from the clean one (boxes and zones drawn).
    expect(Buffer.from(images[0].bytes).equals(Buffer.from(images[1].bytes))).toBe(false);
  });

  it('an out-of-uniform person in a post zone: one incident after consensus', async () => {
    await until(() => got.some((g) => g.draft.kind === 'uniform_violation'), 'uniform incident');
    const u = got.filter((g) => g.draft.kind === 'uniform_violation');
    expect(u).toHaveLength(1);
    expect(u[0].draft).toMatchObject({ category: '91.01', details: { outOfUniformFrames: 3, frames: 3 } });
    expect(u[0].images.map((i) => i.role)).toEqual(['annotated', 'clean']);
  });

  it('a camera that fails is reported offline with an incident and ends it when back; the other keeps going', async () => {
    const [u1, u2] = units;
    await until(() => u1.devices()[0].online && u2.devices()[0].online, 'both cameras online');
    bad.setFault('http500');
    await until(
      () => got.some((g) => g.draft.kind === 'device_offline' && g.draft.lifecycle === 'new'),
      'offline incident',
    );
    const dev = u2.devices()[0];
    expect(dev).toMatchObject({ id: 'gate-2', type: 'camera', online: false });
    expect(dev.error).toMatch(/HTTP 500/);
    const framesBefore = u1.devices()[0].counters?.frames ?? 0;
    await until(
      () => (u1.devices()[0].counters?.frames ?? 0) >= framesBefore + 3,
      'gate-1 frames during the outage',
    );
    bad.setFault(null);
    await until(
      () => got.some((g) => g.draft.kind === 'device_offline' && g.draft.lifecycle === 'end'),
      'offline end',
    );
    const off = got.filter((g) => g.draft.kind === 'device_offline');
    expect(off.map((g) => [g.draft.lifecycle, g.draft.rev, g.draft.deviceId])).toEqual([
      ['new', 0, 'gate-2'],
      ['end', 1, 'gate-2'],
    ]);
    expect(off[0].draft.id).toBe(off[1].draft.id);
    expect(off[0].draft.category).toBe('93.01');
  });

  it('the snapshot command answers with a fresh annotated frame for its camera only', async () => {
    const req = {
      v: 1 as const,
      requestId: 'r1',
      verb: 'snapshot' as const,
      deviceId: 'gate-1',
      sentAt: new Date().toISOString(),
    };
    const answers = await Promise.all(units.map((u) => u.command?.(req, sinks)));
    expect(answers[1]).toBeUndefined();
    const a = answers[0] as { image: { base64: string }; detections: unknown[] };
    expect(a.detections.length).toBe(2);
    expect((await sharp(Buffer.from(a.image.base64, 'base64')).metadata()).width).toBe(160);
  });
});
