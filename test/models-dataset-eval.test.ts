/**
 * models - eval --baseline --candidate --dataset ZIP: a data set zip written by central's exporter
 * (central/datasets) from verdicts on real photos (../shared/testdata/photos; vehicle boxes cut
 * by the real YOLOX-Nano, frames with no vehicle as rejected false positives), then both
 * detectors on its held-out split through the gateway code; and the zip checks (missing label,
 * wrong-size image). Skips with a message when the shared material is absent.
 */
import { createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitOf, VerdictLog, writeDataset } from '../central/datasets/index.js';
import { loadDetector } from '../edge/camera/detect/index.js';
import { compareOnDataset } from '../models/dataset/compare.js';
import { openDatasetZip } from '../models/dataset/zip.js';
import { MODELS_DIR } from '../models/eval/index.js';
import { SHARED_PHOTOS, sharedYoloxManifest } from './support/shared-yolox.js';

const det = sharedYoloxManifest();
const CG = path.join(MODELS_DIR, 'detector', 'manifest.json');
const skip =
  det.skip ??
  (!existsSync(path.join(SHARED_PHOTOS, 'coco'))
    ? `real photos absent: ${SHARED_PHOTOS}`
    : !existsSync(CG)
      ? `${CG} absent`
      : undefined);
if (skip) console.warn(`models-dataset-eval: skipped (${skip})`);

const dir = mkdtempSync(path.join(tmpdir(), 'cg-ds-eval-'));
const zipPath = path.join(dir, 'set.zip');
const CARS = [
  'coco/000000001532.jpg',
  'coco/000000009769.jpg',
  'coco/000000005037.jpg',
  'paddledetection/vehicle-005.png',
  'hyperlpr/test_img.jpg',
  'coco/000000006040.jpg',
];
const EMPTY = [
  'coco/000000008899.jpg',
  'coco/000000002923.jpg',
  'coco/000000000724.jpg',
  'coco/000000001818.jpg',
];

/** A case id that lands in the wanted split, so the held-out split is never empty. */
function caseId(i: number, want: 'train' | 'val') {
  for (let k = 0; ; k++) if (splitOf(`case-${i}-${k}`) === want) return `case-${i}-${k}`;
}

beforeAll(async () => {
  if (skip) return;
  const log = new VerdictLog(path.join(dir, 'verdicts'));
  const d = await loadDetector(det.manifest as string);
  const lines: string[] = [];
  const files = [...CARS.map((f) => ({ f, car: true })), ...EMPTY.map((f) => ({ f, car: false }))];
  for (const [i, { f, car }] of files.entries()) {
    const jpeg = await sharp(path.join(SHARED_PHOTOS, f)).removeAlpha().jpeg({ quality: 90 }).toBuffer();
    const frame = `inc-${i}-r0-clean.jpg`;
    writeFileSync(path.join(dir, 'verdicts', 'frames', frame), jpeg);
    const boxes = car ? (await d.detect(jpeg)).filter((x) => ['car', 'bus', 'truck'].includes(x.label)) : [];
    lines.push(
      JSON.stringify({
        caseId: caseId(i, i % 2 ? 'val' : 'train'),
        seq: 2,
        at: new Date(Date.UTC(2026, 10, 20 + i)).toISOString(),
        by: 'op',
        verdict: car ? 'confirmed' : 'rejected',
        reason: car ? undefined : 'false_positive',
        category: '05.05',
        kind: 'illegal_parking',
        detections: boxes.map((b) => ({ label: 'vehicle', score: b.score, box: b.box })),
        frame,
        frameKept: true,
      }),
    );
  }
  await d.close();
  writeFileSync(path.join(dir, 'verdicts', 'verdicts.jsonl'), `${lines.join('\n')}\n`);
  const out = createWriteStream(zipPath);
  await writeDataset(new VerdictLog(path.join(dir, 'verdicts')), { get: async () => undefined }, {}, out);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!!skip)('models - compare detectors on a data set zip', () => {
  it('AP per class and false positives on the negatives for both; an equal candidate is not offered', async () => {
    const r = await compareOnDataset({ baseline: CG, candidate: CG, dataset: zipPath });
    expect(r.heldout).toBe(5);
    expect(r.baseline.negatives).toBe(2);
    expect(r.baseline.groundTruth.vehicle).toBeGreaterThan(3);
    expect(r.baseline.ap.vehicle).toBeGreaterThanOrEqual(0);
    expect(r.candidate.mAP).toBe(r.baseline.mAP);
    expect(r.offer).toBe(false);
  }, 120_000);

  it('a detector whose labels are not the data set classes is refused by name', async () => {
    await expect(
      compareOnDataset({ baseline: CG, candidate: det.manifest as string, dataset: zipPath }),
    ).rejects.toThrow(
      /labels \[person,bicycle,car.*\] are not the data set's classes \[person,vehicle,litter\]/,
    );
  });

  it('a missing label file and a wrong-size image are refused by file; the good samples stay', async () => {
    const zip = new AdmZip(zipPath);
    const labels = zip.getEntries().filter((e) => e.entryName.startsWith('labels/train/'));
    const images = zip.getEntries().filter((e) => e.entryName.startsWith('images/val/'));
    zip.deleteFile(labels[0].entryName);
    zip.updateFile(images[0].entryName, await sharp(images[0].getData()).resize(100, 80).jpeg().toBuffer());
    const bad = path.join(dir, 'bad.zip');
    zip.writeZip(bad);
    const ds = await openDatasetZip(bad);
    try {
      expect(ds.refused).toEqual([
        {
          file: labels[0].entryName.replace('labels', 'images').replace('.txt', '.jpg'),
          error: `no label file ${labels[0].entryName}`,
        },
        {
          file: images[0].entryName,
          error: expect.stringMatching(/^image is 100x80, annotations.coco.json says \d+x\d+$/),
        },
      ]);
      expect(ds.samples).toHaveLength(8);
    } finally {
      ds.close();
    }
    writeFileSync(path.join(dir, 'junk.zip'), 'not a zip');
    await expect(openDatasetZip(path.join(dir, 'junk.zip'))).rejects.toThrow(/junk.zip: not a readable zip/);
  });
});
