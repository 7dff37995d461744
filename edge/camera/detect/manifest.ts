/**
 * @module edge/camera/detect/manifest
 * The model manifest (`models/<name>/manifest.json`): the single source of truth for how a model
 * is fed and how its output is read. The models engineer imports this schema to write manifests;
 * the detector validates every manifest with it at load.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const DETECT_LAYOUTS = ['yolov5', 'yolov8', 'yolox', 'picodet'] as const;
export const CLASSIFY_LAYOUTS = ['logits', 'softmax'] as const;

export const ManifestInput = z
  .object({
    name: z.string().min(1).describe('input tensor name, e.g. "images"'),
    width: z.number().int().min(8).max(4096).describe('model input width, px'),
    height: z.number().int().min(8).max(4096).describe('model input height, px'),
    channels: z.enum(['rgb', 'bgr']).default('rgb').describe('channel order the model expects'),
    layout: z.enum(['nchw', 'nhwc']).default('nchw').describe('tensor layout'),
    scale: z
      .number()
      .positive()
      .default(1 / 255)
      .describe('pixel value multiplier applied first (1/255 for YOLOv5/v8, 1 for YOLOX)'),
    mean: z.array(z.number()).length(3).default([0, 0, 0]).describe('subtracted after scaling, per channel'),
    std: z
      .array(z.number().positive())
      .length(3)
      .default([1, 1, 1])
      .describe('divided after mean, per channel'),
    letterbox: z
      .object({
        enabled: z.boolean().default(true).describe('keep aspect ratio and pad; false stretches'),
        pad: z.number().int().min(0).max(255).default(114).describe('pad value, 0..255'),
        center: z
          .boolean()
          .default(true)
          .describe('centre the image (YOLOv5/v8) or pad right/bottom (YOLOX)'),
      })
      .strict()
      .default({ enabled: true, pad: 114, center: true }),
  })
  .strict();

export const ManifestOutput = z
  .object({
    name: z
      .string()
      .min(1)
      .optional()
      .describe('output tensor name, e.g. "output0"; picodet reads all outputs (by shape) and needs none'),
    layout: z
      .enum([...DETECT_LAYOUTS, ...CLASSIFY_LAYOUTS])
      .describe(
        'yolov5 [1,N,5+C]; yolov8 [1,4+C,N] (also v11); yolox raw grid [1,N,5+C]; picodet GFL score + distance maps per stride; logits/softmax [1,C]',
      ),
    strides: z
      .array(z.number().int().positive())
      .min(1)
      .optional()
      .describe('grid strides: YOLOX e.g. [8,16,32]; picodet default [8,16,32,64]'),
  })
  .strict();

/**
 * A reference image and what the model must find on it: `models validate` runs it, so a wrong
 * layout or normalisation (which still "runs") fails with a reason instead of yielding junk boxes.
 */
export const ManifestReference = z
  .object({
    image: z.string().min(1).describe('image file, relative to the manifest'),
    expect: z
      .array(
        z
          .object({
            label: z.string().min(1),
            box: z
              .tuple([z.number(), z.number(), z.number(), z.number()])
              .describe('[x, y, w, h] in the image pixels, approximate'),
            minIou: z.number().min(0.05).max(1).default(0.5).describe('how close a detection must be'),
          })
          .strict(),
      )
      .min(1)
      .describe('detections the model must give'),
    score: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("score threshold for the check (default: the manifest's)"),
  })
  .strict();
export type ManifestReference = z.infer<typeof ManifestReference>;

export const ModelManifest = z
  .object({
    name: z.string().min(1).max(128),
    version: z.string().min(1).max(64).default('0.0.0'),
    task: z.enum(['detect', 'classify']),
    file: z.string().min(1).describe('the .onnx file, relative to the manifest'),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits')
      .optional()
      .describe('checked at load when present'),
    input: ManifestInput,
    output: ManifestOutput,
    labels: z.array(z.string().min(1)).min(1).max(1000),
    reference: ManifestReference.optional(),
    thresholds: z
      .object({
        score: z.number().min(0).max(1).default(0.35).describe('minimum detection score'),
        iou: z.number().min(0).max(1).default(0.5).describe('NMS IoU threshold (per class)'),
      })
      .strict()
      .default({ score: 0.35, iou: 0.5 }),
  })
  .strict()
  .superRefine((m, ctx) => {
    const detect = (DETECT_LAYOUTS as readonly string[]).includes(m.output.layout);
    if (m.task === 'detect' && !detect)
      ctx.addIssue({
        code: 'custom',
        path: ['output', 'layout'],
        message: `task detect needs one of ${DETECT_LAYOUTS}`,
      });
    if (m.task === 'classify' && detect)
      ctx.addIssue({
        code: 'custom',
        path: ['output', 'layout'],
        message: `task classify needs one of ${CLASSIFY_LAYOUTS}`,
      });
    if (!m.output.name && m.output.layout !== 'picodet')
      ctx.addIssue({
        code: 'custom',
        path: ['output', 'name'],
        message: `${m.output.layout} needs output.name`,
      });
    if (m.output.layout === 'yolox' || m.output.layout === 'picodet') {
      for (const s of m.output.strides ?? []) {
        if (m.input.width % s || m.input.height % s)
          ctx.addIssue({
            code: 'custom',
            path: ['output', 'strides'],
            message: `input size not divisible by stride ${s}`,
          });
      }
      if (!m.output.strides && m.output.layout === 'yolox')
        ctx.addIssue({
          code: 'custom',
          path: ['output', 'strides'],
          message: 'yolox needs strides, e.g. [8,16,32]',
        });
    }
  });
export type ModelManifest = z.infer<typeof ModelManifest>;
export type ModelManifestInput = z.input<typeof ModelManifest>;

export interface LoadedManifest {
  manifest: ModelManifest;
  /** absolute path of the .onnx file */
  modelPath: string;
  /** sha256 of the .onnx bytes, computed at load */
  sha256: string;
  bytes: Uint8Array;
}

function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Read, validate and checksum a manifest and its model file. Throws with a message naming the file. */
export async function loadManifest(manifestPath: string): Promise<LoadedManifest> {
  const abs = path.resolve(manifestPath);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(abs, 'utf8'));
  } catch (e) {
    throw new Error(`model manifest ${abs}: cannot read JSON: ${(e as Error).message}`);
  }
  const parsed = ModelManifest.safeParse(raw);
  if (!parsed.success) throw new Error(`model manifest ${abs}: ${describeIssues(parsed.error)}`);
  const manifest = parsed.data;
  const modelPath = path.resolve(path.dirname(abs), manifest.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (e) {
    throw new Error(`model manifest ${abs}: model file ${modelPath} unreadable: ${(e as Error).message}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (manifest.sha256 && manifest.sha256 !== sha256)
    throw new Error(
      `model manifest ${abs}: sha256 mismatch for ${manifest.file} (manifest ${manifest.sha256}, file ${sha256})`,
    );
  return { manifest, modelPath, sha256, bytes };
}
