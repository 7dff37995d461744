/**
 * camera - units: the whole pipeline per camera (simulator → node-onvif → snapshot → sharp →
 * onnxruntime-node → tracker → rules → incident with evidence) into recording sinks, with one
 * camera failing beside a healthy one. The tiny test models (edge/camera/detect/testdata) always
 * see a person and a vehicle, so a standing vehicle and an out-of-uniform person appear.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCameraUnits, parseCameraSection } from '../edge/camera/index.js';
import type { EdgeSinks, EdgeUnit, EvidenceImage, IncidentDraft } from '../edge/unit.js';
import { Incident } from '../protocol/index.js';
import { makeTestFrames, type OnvifCamera, startOnvifCamera } from '../sim/onvif/index.js';
import { until } from './support/until.js';

const td = (f: string) => path.resolve(import.meta.dirname, '../edge/camera/detect/testdata', f);
const log = { info() {}, warn() {}, error() {}, debug() {} };
const FULL = [
  [0, 0],
  [160, 0],
  [160, 90],
  [0, 90],
];

describe('camera - units end to end into sinks', () => {
  let good: OnvifCamera;
  let bad: OnvifCamera;
  let units: EdgeUnit[] = [];
  const got: { draft: IncidentDraft; images: EvidenceImage[] }[] = [];
  const stateDir = mkdtempSync(path.join(tmpdir(), 'cam-units-'));
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
    units = await createCameraUnits(section, { gatewayId: 'gw-1', dataDir: stateDir, log });
    for (const u of units) await u.start(sinks);
  });
  afterAll(async () => {
    for (const u of units) await u.stop();
    await good?.stop();
    await bad?.stop();
    rmSync(stateDir, { recursive: true, force: true });
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
    // the end says what went wrong and what recovered, not "no frame"
    expect(off[1].draft.details).toMatchObject({ error: expect.stringMatching(/HTTP 500/) });
    expect(String(off[1].draft.details?.recovered)).toMatch(/^frames again/);
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

/**
 * Regression: open causes lived only in memory, so a car parked across a config reload gave a
 * second `new` and the first incident never ended. Now each camera keeps its open causes in the
 * unit data dir; a reload (stop, new units from the new config, start) continues them.
 */
describe('camera - open incidents survive reloads and restarts', () => {
  let cam: OnvifCamera;
  let stateDir: string;
  let units: EdgeUnit[] = [];
  const got: IncidentDraft[] = [];
  const sinks: EdgeSinks = {
    async incident(draft) {
      got.push(draft);
    },
    telemetry() {},
  };
  const camera = (id: string, zones: unknown[]) => ({
    id,
    xaddr: cam.xaddr,
    username: 'admin',
    password: 'pw',
    snapshotIntervalS: 0.1,
    timeoutS: 1,
    offlineAfterS: 5,
    location: { lat: 27.8967, lon: 112.5719, gridCode: '430405001001001' },
    zones,
  });
  const NP = { id: 'np-1', type: 'no_parking', polygon: FULL, stoppedAfterS: 0.3, dwellS: 0.3 };
  const POST = { id: 'post-1', type: 'post', polygon: FULL, consensusFrames: 3 };
  const section = (list: unknown[]) => ({
    models: { detector: td('yolov8.manifest.json'), classifier: td('classifier_nouniform.manifest.json') },
    list,
  });
  const frames = () =>
    units.reduce((n, u) => n + ((u as { counters?: { frames: number } }).counters?.frames ?? 0), 0);
  async function run(list: unknown[]) {
    for (const u of units) await u.stop();
    units = await createCameraUnits(section(list), { gatewayId: 'gw-1', dataDir: stateDir, log });
    for (const u of units) await u.start(sinks);
  }
  const of = (kind: string) => got.filter((d) => d.kind === kind).map((d) => [d.lifecycle, d.rev, d.id]);

  beforeAll(async () => {
    cam = await startOnvifCamera({
      username: 'admin',
      password: 'pw',
      frames: await makeTestFrames(3, 160, 90),
    });
    stateDir = mkdtempSync(path.join(tmpdir(), 'cam-state-'));
  });
  afterAll(async () => {
    for (const u of units) await u.stop();
    await cam?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('a parked car across a reload: one `new`, no second `new`; its zone removed: one `end` with the reason', async () => {
    await run([camera('gate-1', [NP, POST])]);
    await until(
      () => of('illegal_parking').length > 0 && of('uniform_violation').length > 0,
      'both incidents',
    );
    const [[, , parkId]] = of('illegal_parking');
    // reload with the same config: the car is still there, matched again, the same incident
    await run([camera('gate-1', [NP, POST])]);
    await until(() => frames() >= 10, 'frames after the reload');
    expect(of('illegal_parking').filter(([phase]) => phase === 'new')).toHaveLength(1);
    expect(of('uniform_violation').filter(([phase]) => phase === 'new')).toHaveLength(1);
    // a reload whose config drops the zone ends the incident, saying why
    await run([camera('gate-1', [POST])]);
    await until(() => of('illegal_parking').some(([phase]) => phase === 'end'), 'parking end');
    await until(() => frames() >= 10, 'frames after the second reload');
    const park = got.filter((d) => d.kind === 'illegal_parking');
    expect(park.map((d) => d.lifecycle).filter((l) => l !== 'update')).toEqual(['new', 'end']);
    expect(park.at(-1)).toMatchObject({ id: parkId, details: { endReason: 'zone removed from config' } });
    expect(park.at(-1)!.rev).toBe(park.length - 1);
  });

  it('a camera removed from the config: its open incidents end with that reason', async () => {
    const [[, , uniformId]] = of('uniform_violation');
    await run([camera('gate-9', [POST])]);
    await until(
      () => of('uniform_violation').some(([phase, , id]) => phase === 'end' && id === uniformId),
      'end',
    );
    const end = got.find(
      (d) => d.kind === 'uniform_violation' && d.lifecycle === 'end' && d.id === uniformId,
    );
    expect(end).toMatchObject({ deviceId: 'gate-1', details: { endReason: 'camera removed from config' } });
    // the state goes with it: the next reload does not end it again
    await run([camera('gate-9', [POST])]);
    await until(() => frames() >= 5, 'frames');
    expect(got.filter((d) => d.lifecycle === 'end' && d.id === uniformId)).toHaveLength(1);
  });
});
