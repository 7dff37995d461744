/**
 * @module models/dataset/zip
 * A data set zip as central exports it (central/datasets: YOLO images/labels, data.yaml,
 * annotations.coco.json, manifest.json), unpacked and checked before any model sees it: every
 * image needs its label file, every label line five numbers with a known class and coordinates
 * in [0, 1], every image must decode and have the size the COCO annotations give. A bad sample is
 * refused with the file (and line) named, counted and left out; the good ones are kept.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import sharp from 'sharp';

export interface OpenedDataset {
  dir: string;
  classes: string[];
  samples: { split: string; image: string; label: string; negative: boolean }[];
  refused: { file: string; error: string }[];
  close(): void;
}

/** Class names from data.yaml's `names:` block (`  0: person` lines or a `[a, b]` list). */
function yamlNames(text: string): string[] {
  const inline = /^names:\s*\[(.*)\]\s*$/m.exec(text);
  if (inline) return inline[1].split(',').map((s) => s.trim().replace(/^['"]|['"]$/g, ''));
  const block = /^names:\s*\n((?:\s+\d+:\s*.+\n?)+)/m.exec(text);
  if (!block) return [];
  return block[1]
    .trim()
    .split('\n')
    .map((l) => l.replace(/^\s*\d+:\s*/, '').trim());
}

export async function openDatasetZip(zipPath: string): Promise<OpenedDataset> {
  let zip: AdmZip;
  try {
    zip = new AdmZip(zipPath);
  } catch (e) {
    throw new Error(`dataset ${zipPath}: not a readable zip: ${(e as Error).message}`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'cg-dataset-'));
  const close = () => rmSync(dir, { recursive: true, force: true });
  try {
    zip.extractAllTo(dir, true);
    const yaml = path.join(dir, 'data.yaml');
    let classes: string[] = [];
    try {
      classes = yamlNames(readFileSync(yaml, 'utf8'));
    } catch {
      throw new Error(`dataset ${zipPath}: no data.yaml`);
    }
    if (!classes.length) throw new Error(`dataset ${zipPath}: data.yaml has no names`);
    const sizes = new Map<string, { width: number; height: number }>();
    try {
      const coco = JSON.parse(readFileSync(path.join(dir, 'annotations.coco.json'), 'utf8')) as {
        images: { file_name: string; width: number; height: number }[];
      };
      for (const im of coco.images) sizes.set(im.file_name, im);
    } catch {
      // COCO JSON is optional for YOLO training; sizes are then not cross-checked
    }
    const samples: OpenedDataset['samples'] = [];
    const refused: OpenedDataset['refused'] = [];
    for (const split of ['train', 'val']) {
      const imgDir = path.join(dir, 'images', split);
      const names = await readdir(imgDir).catch(() => [] as string[]);
      for (const n of names.filter((x) => /\.(jpe?g|png)$/i.test(x)).sort()) {
        const rel = `images/${split}/${n}`;
        const image = path.join(imgDir, n);
        const labelRel = `labels/${split}/${n.replace(/\.(jpe?g|png)$/i, '.txt')}`;
        const label = path.join(dir, labelRel);
        const error = await checkSample(image, label, labelRel, classes.length, sizes.get(rel));
        if (error) {
          refused.push({ file: rel, error });
          await rm(image, { force: true });
          await rm(label, { force: true });
        } else samples.push({ split, image, label, negative: readFileSync(label, 'utf8').trim() === '' });
      }
    }
    if (!samples.length)
      throw new Error(
        `dataset ${zipPath}: no usable sample (${refused.length} refused${refused[0] ? `, e.g. ${refused[0].file}: ${refused[0].error}` : ''})`,
      );
    return { dir, classes, samples, refused, close };
  } catch (e) {
    close();
    throw e;
  }
}

async function checkSample(
  image: string,
  label: string,
  labelRel: string,
  nc: number,
  want: { width: number; height: number } | undefined,
): Promise<string | undefined> {
  let text: string;
  try {
    text = readFileSync(label, 'utf8');
  } catch {
    return `no label file ${labelRel}`;
  }
  const lines = text.split('\n');
  for (const [i, l] of lines.entries()) {
    if (!l.trim()) continue;
    const v = l.trim().split(/\s+/).map(Number);
    if (v.length !== 5 || v.some((x) => !Number.isFinite(x)))
      return `${labelRel}:${i + 1}: expected "cls cx cy w h", got "${l.trim()}"`;
    if (!Number.isInteger(v[0]) || v[0] < 0 || v[0] >= nc)
      return `${labelRel}:${i + 1}: class ${v[0]} is not one of the ${nc} classes`;
    if (v.slice(1).some((x) => x < 0 || x > 1)) return `${labelRel}:${i + 1}: coordinates outside [0, 1]`;
  }
  const meta = await sharp(image)
    .metadata()
    .catch((e: Error) => e);
  if (meta instanceof Error || !meta.width || !meta.height)
    return `not a readable image${meta instanceof Error ? `: ${meta.message}` : ''}`;
  if (want && (want.width !== meta.width || want.height !== meta.height))
    return `image is ${meta.width}x${meta.height}, annotations.coco.json says ${want.width}x${want.height}`;
  return undefined;
}
