/**
 * models - the vendored real detectors (YOLOX-Nano 416, PP-PicoDet-S 320) on real photos from
 * ../shared/testdata/photos (skipped with a message when absent: a fresh clone has none), and
 * `models validate` catching a wrong layout with the manifests' shipped reference image (a
 * generated frame of our own, so it may ship). Counts were made by looking at each photo; the
 * assertions are what any good detector must find, not one model's scores.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectorSet } from '../edge/camera/detect/ensemble.js';
import { type Detection, type Detector, loadDetector } from '../edge/camera/detect/index.js';
import {
  type CameraUnit,
  createCameraUnits,
  loadDetectorSet,
  parseCameraSection,
} from '../edge/camera/index.js';
import { iou } from '../edge/camera/track/index.js';
import type { IncidentDraft } from '../edge/unit.js';
import { compareDetectors, comparisonTable, validateModel } from '../models/tools.js';
import { freshDataDir } from './support/data-dir.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const YOLOX = path.join(ROOT, 'models/yolox-nano/manifest.json');
const PICODET = path.join(ROOT, 'models/picodet-s-320/manifest.json');
const PHOTOS = path.join(ROOT, '../shared/testdata/photos');
const photo = (p: string) => readFileSync(path.join(PHOTOS, p));
const havePhotos = existsSync(PHOTOS);
if (!havePhotos) console.warn(`skipping real-photo tests: ${PHOTOS} is absent (needs ../shared/testdata)`);
const log = { info() {}, warn() {}, error() {}, debug() {} };
const VEHICLES = ['car', 'bus', 'truck', 'motorcycle'];
const count = (ds: Detection[], labels: string[]) => ds.filter((d) => labels.includes(d.label)).length;

describe('models - vendored detectors validate, a wrong layout fails on the reference image', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cg-layout-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('both vendored manifests validate, reference detections included', async () => {
    for (const m of [YOLOX, PICODET]) {
      const r = await validateModel(m);
      expect(r.reference).toMatch(/1 expected detection\(s\) found/);
    }
  });

  it('the YOLOX file declared as yolov5 fails validate, saying what was expected and what came out', async () => {
    const m = JSON.parse(readFileSync(YOLOX, 'utf8'));
    const wrong = {
      ...m,
      file: path.join(ROOT, 'models/yolox-nano', m.file),
      output: { name: 'output', layout: 'yolov5' },
      reference: { ...m.reference, image: path.join(ROOT, 'models/yolox-nano', m.reference.image) },
    };
    const p = path.join(dir, 'wrong.json');
    await writeFile(p, JSON.stringify(wrong));
    await expect(validateModel(p)).rejects.toThrow(
      /reference .*frame-012\.jpg: expected car at \[220,109,264,101\].*best IoU 0\.\d+.*Check output\.layout/,
    );
  });

  it('models eval --folder: per-class counts of several detectors side by side', async () => {
    const scene = path.join(ROOT, 'models/scenes/street-parking');
    const files = [10, 12, 14].map((i) => path.join(scene, `frame-0${i}.jpg`));
    const c = await compareDetectors([YOLOX, path.join(ROOT, 'models/detector/manifest.json')], files);
    expect(c.models).toEqual(['yolox-nano 0.1.1rc0', 'cg-detector 1.0.0']);
    expect(c.counts.car?.[0]).toBe(3); // YOLOX: the shaded car in each frame, COCO's name
    expect(c.counts.car?.[1]).toBe(0);
    expect(comparisonTable(c)).toMatch(
      /^class\s+yolox-nano 0\.1\.1rc0\s+cg-detector 1\.0\.0\n(.*\n)*car\s+3\s+0\n/m,
    );
  });

  it('a corrupt ONNX file fails at load naming the manifest', async () => {
    const m = JSON.parse(readFileSync(YOLOX, 'utf8'));
    await writeFile(path.join(dir, 'broken.onnx'), Buffer.alloc(4096, 7));
    const p = path.join(dir, 'broken.json');
    await writeFile(p, JSON.stringify({ ...m, file: 'broken.onnx', sha256: undefined }));
    await expect(loadDetector(p)).rejects.toThrow(
      /model yolox-nano \(.*broken\.json\): cannot load the ONNX file/,
    );
  });
});

describe.skipIf(!havePhotos)('models - real photos (../shared/testdata/photos)', () => {
  let yolox: Detector;
  let picodet: Detector;
  let set: DetectorSet;
  beforeAll(async () => {
    yolox = await loadDetector(YOLOX);
    picodet = await loadDetector(PICODET);
    set = await loadDetectorSet(
      parseCameraSection({
        models: { detector: YOLOX },
        list: [{ id: 'c', xaddr: 'http://127.0.0.1:9/', location: { lat: 30, lon: 120 } }],
      }),
      ROOT,
    );
  });
  afterAll(async () => {
    await Promise.all([yolox?.close(), picodet?.close(), set?.close()]);
  });

  it('pedestrian street: at least 4 of the 5 clearly visible people in the foreground', async () => {
    const ds = await set.detect(photo('paddledetection/pedestrian-002.png'));
    expect(count(ds, ['person'])).toBeGreaterThanOrEqual(4);
  });

  it('road with parked cars: at least 6 of the 8 clearly visible cars', async () => {
    const ds = await set.detect(photo('paddledetection/vehicle-005.png'));
    expect(count(ds, VEHICLES)).toBeGreaterThanOrEqual(6);
  });

  it('PicoDet (GFL decoder) and YOLOX agree on the double-decker bus: independent models, one box', async () => {
    const img = photo('coco/000000001584.jpg');
    const big = (ds: Detection[]) =>
      ds.filter((d) => d.label === 'bus').sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h)[0];
    const a = big(await yolox.detect(img));
    const b = big(await picodet.detect(img));
    expect(iou(a.box, b.box)).toBeGreaterThan(0.85);
  });

  it('a real bus (and a van seen as truck + car) is one vehicle, not two', async () => {
    // Without group NMS PicoDet reports the far bus as bus + car and YOLOX car.jpg as truck .87 + car .41.
    const raw = await yolox.detect(photo('paddledetection/car.jpg'));
    expect(count(raw, VEHICLES)).toBe(2);
    const grouped = await set.detect(photo('paddledetection/car.jpg'));
    expect(grouped.filter((d) => VEHICLES.includes(d.label)).map((d) => d.label)).toEqual(['truck']);
    const bus = await set.detect(photo('coco/000000001584.jpg'));
    const front = bus.filter((d) => VEHICLES.includes(d.label) && d.box.w > 300);
    expect(front.map((d) => d.label)).toEqual(['bus']);
  });

  it('parked cars replayed for the dwell inside a no-parking zone: one violation per car, ended when the frames change', async () => {
    // hyperlpr/test_img.jpg (1920x1080): a white car and a dark car behind it, both parked inside
    // the zone; the motorcycle and the van at the left stand outside it.
    const still = photo('hyperlpr/test_img.jpg');
    const empty = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#707070' } })
      .jpeg()
      .toBuffer();
    const zone = [
      [300, 450],
      [1919, 450],
      [1919, 1079],
      [300, 1079],
    ];
    const [unit] = (await createCameraUnits(
      {
        models: { detector: YOLOX },
        list: [
          {
            id: 'lot',
            xaddr: 'http://127.0.0.1:9/onvif/device_service',
            location: { lat: 26.9, lon: 112.6 },
            zones: [{ id: 'np', type: 'no_parking', polygon: zone, stoppedAfterS: 30, dwellS: 120 }],
          },
        ],
      },
      { gatewayId: 'gw', dataDir: freshDataDir(), log, configDir: ROOT },
    )) as CameraUnit[];
    const got: IncidentDraft[] = [];
    const t0 = Date.parse('2026-11-23T02:00:00Z');
    // 10 frames 20 s apart (180 s > stop 30 s + dwell 120 s), then 6 of the empty street (a parked
    // car's track outlives 60 s unseen: tracker.maxMissedStationaryS)
    const frames = [...Array(10).fill(still), ...Array(6).fill(empty)].map((jpeg, i) => ({
      cameraId: 'lot',
      jpeg,
      t: t0 + i * 20_000,
      seq: i,
    }));
    try {
      await unit.replay(
        {
          async incident(d) {
            got.push(d);
          },
          telemetry() {},
        },
        frames,
      );
    } finally {
      await unit.stop();
    }
    const news = got.filter((d) => d.lifecycle === 'new');
    const ends = got.filter((d) => d.lifecycle === 'end');
    expect(news.map((d) => d.kind)).toEqual(['illegal_parking', 'illegal_parking']);
    expect(new Set(news.map((d) => d.detections?.[0]?.trackId)).size).toBe(2);
    expect(ends.map((d) => d.id).sort()).toEqual(news.map((d) => d.id).sort());
    for (const e of ends) expect(Date.parse(e.observedAt)).toBeGreaterThanOrEqual(t0 + 10 * 20_000);
  });
});
