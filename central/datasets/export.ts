/**
 * @module central/datasets/export
 * The verdicts as a training set, one zip (archiver, streamed):
 * - YOLO layout: `images/{train,val}/<caseId>.jpg`, `labels/{train,val}/<caseId>.txt`
 *   (`cls cx cy w h`, normalised), `data.yaml` with the class names — what
 *   models/train/train_detect.py reads;
 * - `annotations.coco.json` (COCO detection format, the same boxes);
 * - `manifest.json`: per sample the source case, incident, verdict, reason, model, split; and
 *   every verdict left out, with why.
 * Labels: a confirmed case's boxes get the class of its incident kind; `wrong_category` the class of
 * the operator's category; a false positive is a negative sample (image, empty label file); a
 * duplicate was a right detection (positive); `invalid` / `out_of_scope` teach nothing (left out).
 * The split is fixed per case (hash of the id, 1 in 5 to val), so re-exports keep held-out cases held out.
 */
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import archiver from 'archiver';
import sharp from 'sharp';
import { INCIDENT_KINDS } from '../../protocol/index.js';
import type { EvidenceSource } from '../evidence/routes.js';
import type { Verdict, VerdictLog } from './verdicts.js';

/** The detector classes, in cg-detector's order (a fine-tune keeps its head). */
export const CLASSES = ['person', 'vehicle', 'litter'] as const;
const KIND_CLASS: Record<string, (typeof CLASSES)[number]> = {
  illegal_parking: 'vehicle',
  litter: 'litter',
  exposed_garbage: 'litter',
  uniform_violation: 'person',
  absence_from_post: 'person',
};
const kindOfCategory = (cat: string) =>
  Object.entries(INCIDENT_KINDS).find(([, k]) => k.category === cat)?.[0];

export interface ExportFilter {
  from?: Date;
  to?: Date;
  /** incident kinds, e.g. litter, illegal_parking */
  types?: string[];
}

export interface ExportProgress {
  done: number;
  total: number;
}

export interface ManifestSample {
  file: string;
  caseId: string;
  incidentId?: string;
  verdict: Verdict['verdict'];
  reason?: string;
  category: string;
  aiCategory?: string;
  kind?: string;
  gatewayId?: string;
  deviceId?: string;
  model?: Verdict['model'];
  split: 'train' | 'val';
  negative: boolean;
  boxes: number;
}

export const splitOf = (caseId: string): 'train' | 'val' =>
  createHash('sha256').update(caseId).digest()[0] % 5 === 0 ? 'val' : 'train';

export function selectVerdicts(all: Verdict[], f: ExportFilter): Verdict[] {
  return all.filter(
    (v) =>
      (!f.from || Date.parse(v.at) >= f.from.getTime()) &&
      (!f.to || Date.parse(v.at) < f.to.getTime()) &&
      (!f.types?.length || (v.kind !== undefined && f.types.includes(v.kind))),
  );
}

/** The class a verdict's boxes get, `null` for a negative, or why it is left out. */
function classOf(v: Verdict): (typeof CLASSES)[number] | null | { skip: string } {
  if (v.verdict === 'rejected') {
    if (v.reason === 'false_positive') return null;
    if (v.reason === 'duplicate')
      return KIND_CLASS[v.kind ?? ''] ?? { skip: `kind ${v.kind} has no detector class` };
    return { skip: `rejected as ${v.reason}: not a statement about the detection` };
  }
  const kind = v.verdict === 'wrong_category' ? kindOfCategory(v.category) : v.kind;
  return KIND_CLASS[kind ?? ''] ?? { skip: `category ${v.category} has no detector class` };
}

/** Write the zip to `out`; resolves with the manifest once the archive is finalised. */
export async function writeDataset(
  log: VerdictLog,
  objects: EvidenceSource,
  filter: ExportFilter,
  out: Writable,
  onProgress: (p: ExportProgress) => void = () => {},
): Promise<{ samples: ManifestSample[]; skipped: { caseId: string; why: string }[] }> {
  const zip = archiver('zip', { zlib: { level: 6 } });
  const closed = new Promise<void>((res, rej) => {
    out.on('close', res);
    out.on('finish', res);
    out.on('error', rej);
    zip.on('error', rej);
  });
  zip.pipe(out);
  const verdicts = selectVerdicts(log.all(), filter);
  const samples: ManifestSample[] = [];
  const skipped: { caseId: string; why: string }[] = [];
  const coco = {
    images: [] as { id: number; file_name: string; width: number; height: number }[],
    annotations: [] as {
      id: number;
      image_id: number;
      category_id: number;
      bbox: number[];
      area: number;
      iscrowd: 0;
    }[],
    categories: CLASSES.map((name, id) => ({ id, name })),
  };
  let done = 0;
  for (const v of verdicts) {
    onProgress({ done: done++, total: verdicts.length });
    const cls = classOf(v);
    if (cls && typeof cls === 'object') {
      skipped.push({ caseId: v.caseId, why: cls.skip });
      continue;
    }
    const bytes = await log.frame(v, objects).catch(() => undefined);
    if (!bytes) {
      skipped.push({ caseId: v.caseId, why: `evidence frame ${v.frame ?? '(none)'} is not stored` });
      continue;
    }
    const meta = await sharp(bytes)
      .metadata()
      .catch(() => undefined);
    if (!meta?.width || !meta.height || meta.format !== 'jpeg') {
      skipped.push({ caseId: v.caseId, why: `evidence frame ${v.frame} is not a readable JPEG` });
      continue;
    }
    const { width: W, height: H } = meta;
    const split = splitOf(v.caseId);
    const file = `images/${split}/${v.caseId}.jpg`;
    const imageId = coco.images.length + 1;
    coco.images.push({ id: imageId, file_name: file, width: W, height: H });
    const lines: string[] = [];
    if (cls !== null)
      for (const d of v.detections) {
        const x0 = Math.max(0, d.box.x);
        const y0 = Math.max(0, d.box.y);
        const x1 = Math.min(W, d.box.x + d.box.w);
        const y1 = Math.min(H, d.box.y + d.box.h);
        if (x1 <= x0 || y1 <= y0) continue;
        const c = CLASSES.indexOf(cls);
        const f6 = (n: number) => n.toFixed(6);
        lines.push(
          `${c} ${f6((x0 + x1) / 2 / W)} ${f6((y0 + y1) / 2 / H)} ${f6((x1 - x0) / W)} ${f6((y1 - y0) / H)}`,
        );
        coco.annotations.push({
          id: coco.annotations.length + 1,
          image_id: imageId,
          category_id: c,
          bbox: [x0, y0, x1 - x0, y1 - y0].map((n) => Math.round(n * 10) / 10),
          area: Math.round((x1 - x0) * (y1 - y0)),
          iscrowd: 0,
        });
      }
    zip.append(Buffer.from(bytes), { name: file });
    zip.append(lines.length ? `${lines.join('\n')}\n` : '', { name: `labels/${split}/${v.caseId}.txt` });
    samples.push({
      file,
      caseId: v.caseId,
      incidentId: v.incidentId,
      verdict: v.verdict,
      reason: v.reason,
      category: v.category,
      aiCategory: v.aiCategory,
      kind: v.kind,
      gatewayId: v.gatewayId,
      deviceId: v.deviceId,
      model: v.model,
      split,
      negative: cls === null,
      boxes: lines.length,
    });
  }
  onProgress({ done, total: verdicts.length });
  const names = CLASSES.map((n, i) => `  ${i}: ${n}`).join('\n');
  zip.append(`path: .\ntrain: images/train\nval: images/val\nnc: ${CLASSES.length}\nnames:\n${names}\n`, {
    name: 'data.yaml',
  });
  zip.append(JSON.stringify(coco), { name: 'annotations.coco.json' });
  const manifest = {
    exportedAt: new Date().toISOString(),
    filter: { from: filter.from?.toISOString(), to: filter.to?.toISOString(), types: filter.types },
    classes: CLASSES,
    counts: {
      samples: samples.length,
      negatives: samples.filter((s) => s.negative).length,
      train: samples.filter((s) => s.split === 'train').length,
      val: samples.filter((s) => s.split === 'val').length,
      skipped: skipped.length,
    },
    samples,
    skipped,
  };
  zip.append(JSON.stringify(manifest, null, 2), { name: 'manifest.json' });
  await zip.finalize();
  await closed;
  return { samples, skipped };
}
