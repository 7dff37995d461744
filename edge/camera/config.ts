/**
 * @module edge/camera/config
 * The `cameras:` section of the gateway config file. Every field has a description, a default
 * and bounds, unknown keys are rejected, and the cross-field checks are named `verify…`
 * functions whose messages name the camera and zone. edge/camera/README.md documents the same.
 */
import { z } from 'zod';
import { Token } from '../../protocol/index.js';
import { BackgroundParams } from './background/params.js';

const Point = z
  .tuple([z.number().min(0).max(10000), z.number().min(0).max(10000)])
  .describe('[x, y] image pixels');

export const DutyWindow = z
  .object({
    days: z
      .array(z.number().int().min(1).max(7))
      .min(1)
      .default([1, 2, 3, 4, 5, 6, 7])
      .describe('ISO weekdays 1=Mon … 7=Sun'),
    from: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM')
      .describe('local start time, HH:MM'),
    to: z
      .string()
      .regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'HH:MM')
      .describe('local end time, HH:MM (to < from spans midnight)'),
  })
  .strict();

export const ZoneConfig = z
  .object({
    id: Token.describe('zone id, unique within the camera'),
    name: z.string().max(128).optional().describe('human name, e.g. 东门禁停区'),
    type: z
      .enum(['no_parking', 'litter', 'post'])
      .describe('no_parking: illegal parking; litter: litter/garbage; post: uniform + absence (执勤岗)'),
    polygon: z.array(Point).min(3).max(64).describe('polygon in image pixels of the camera frame'),
    schedule: z
      .array(DutyWindow)
      .max(16)
      .optional()
      .describe('when the zone is active (post: duty hours); absent = always'),
    stoppedAfterS: z
      .number()
      .min(0)
      .max(3600)
      .default(10)
      .describe('no_parking: stationary this long = "stopped"'),
    dwellS: z.number().min(0).max(86400).default(300).describe('no_parking: allowed dwell after stopping'),
    persistS: z.number().min(0).max(86400).default(30).describe('litter: present this long = incident'),
    litterBy: z
      .enum(['detector', 'persistence'])
      .default('detector')
      .describe(
        'litter: detector = litter-class boxes; persistence = static objects against the learnt background (cameras.background)',
      ),
    absenceS: z
      .number()
      .min(1)
      .max(86400)
      .default(600)
      .describe('post: no uniformed staff this long = absence'),
    consensusFrames: z.number().int().min(1).max(100).default(5).describe('post: frames judged per person'),
    consensusRatio: z
      .number()
      .min(0.5)
      .max(1)
      .default(0.6)
      .describe('post: share of those frames out of uniform to assert a violation'),
    cooldownS: z
      .number()
      .min(0)
      .max(86400)
      .default(60)
      .describe('after an incident ends, no new one here for this long'),
  })
  .strict();
export type ZoneConfig = z.infer<typeof ZoneConfig>;

export const CameraConfig = z
  .object({
    id: Token.describe('camera id, unique in the gateway; the incident deviceId'),
    name: z.string().max(128).optional().describe('human name, e.g. 西湖路东门'),
    enabled: z.boolean().default(true).describe('false: keep the camera configured but do not poll it'),
    xaddr: z
      .url()
      .optional()
      .describe('ONVIF device service URL, e.g. http://192.168.1.20/onvif/device_service'),
    discovery: z
      .object({
        urn: z.string().optional().describe('endpoint reference, e.g. urn:uuid:…'),
        name: z.string().optional().describe('scope name (percent-decoded)'),
        probeTo: z
          .string()
          .regex(/^[^\s:]+:\d{1,5}$/, 'host:port')
          .optional()
          .describe('send the probe to this host:port (a directed probe) instead of the multicast group'),
      })
      .strict()
      .optional()
      .describe('find the camera by WS-Discovery instead of xaddr'),
    snapshotUri: z.url().optional().describe("override the camera's own snapshot URI (e.g. behind NAT)"),
    profile: z
      .string()
      .optional()
      .describe('media profile for evidence snapshots (main stream); default the largest'),
    detectProfile: z
      .string()
      .default('auto')
      .describe(
        'media profile for detection snapshots; auto = the smallest not below the model input (sub-stream)',
      ),
    username: z.string().max(128).optional().describe('ONVIF user (WS-Security and snapshot Basic/Digest)'),
    password: z.string().max(128).optional().describe('never logged'),
    snapshotIntervalS: z.number().min(0.05).max(3600).default(2).describe('seconds between snapshots'),
    timeoutS: z.number().min(0.05).max(120).default(5).describe('per request (init, snapshot)'),
    backoff: z
      .object({
        initialS: z.number().min(0.05).max(600).default(2).describe('first retry delay, s'),
        maxS: z.number().min(0.05).max(3600).default(60).describe('longest retry delay, s'),
        factor: z.number().min(1).max(10).default(2).describe('growth per failure'),
      })
      .strict()
      .prefault({})
      .describe('retry delays after failures: initial × factor^n, capped'),
    offlineAfterS: z
      .number()
      .min(1)
      .max(86400)
      .default(60)
      .describe('no frame this long → device_offline incident'),
    location: z
      .object({
        lat: z.number().min(-90).max(90).describe('WGS-84 latitude'),
        lon: z.number().min(-180).max(180).describe('WGS-84 longitude'),
        gridCode: z
          .string()
          .regex(/^\d{15}$/, 'GB/T 30428 15-digit grid code')
          .optional()
          .describe('GB/T 30428 grid (网格) code, routes the case'),
        address: z.string().max(256).optional().describe('street address shown to operators'),
      })
      .strict()
      .describe("the camera's surveyed position"),
    zones: z.array(ZoneConfig).max(32).default([]).describe("zones in this camera's image"),
    scoreThreshold: z.number().min(0).max(1).optional().describe('detector score override for this camera'),
  })
  .strict();
export type CameraConfig = z.infer<typeof CameraConfig>;

export const TrackerParams = z
  .object({
    iouMatch: z.number().min(0.05).max(0.95).default(0.3).describe('min IoU to continue a track'),
    maxMissedS: z.number().min(0).max(600).default(8).describe('a track survives missed frames this long'),
    maxMissedStationaryS: z
      .number()
      .min(0)
      .max(3600)
      .default(60)
      .describe('…and this long once it has stood still (a parked car hidden by a passing bus)'),
    stationaryAfterS: z
      .number()
      .min(0)
      .max(3600)
      .default(10)
      .describe('standing still this long makes a track stationary for maxMissedStationaryS'),
    stationaryTolerance: z
      .number()
      .min(0)
      .max(1)
      .default(0.15)
      .describe('centre may move this fraction of the box diagonal and still be stationary'),
  })
  .strict();

export const DetectorUse = z
  .object({
    manifest: z.string().min(1).describe('detector manifest path (models/<name>/manifest.json)'),
    labels: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('the labels this detector contributes; absent = all of its labels'),
  })
  .strict();
export type DetectorUse = z.infer<typeof DetectorUse>;

export const CameraSection = z
  .object({
    models: z
      .object({
        detector: z
          .string()
          .min(1)
          .optional()
          .describe('one detector for every label (shorthand for detectors: [{ manifest }])'),
        detectors: z
          .array(DetectorUse)
          .min(1)
          .max(4)
          .optional()
          .describe(
            'several detectors run on each frame, e.g. a general COCO model for person/vehicle and a litter model',
          ),
        classifier: z
          .string()
          .min(1)
          .optional()
          .describe('uniform classifier manifest; needed by post zones'),
      })
      .strict()
      .describe('model manifests, paths relative to the gateway config file'),
    labels: z
      .object({
        vehicle: z
          .array(z.string())
          .default(['vehicle', 'car', 'truck', 'bus', 'motorcycle'])
          .describe('detector labels that are vehicles (illegal parking)'),
        person: z
          .array(z.string())
          .default(['person'])
          .describe('detector labels that are people (post zones)'),
        litter: z
          .array(z.string())
          .default(['litter', 'garbage', 'trash'])
          .describe('detector labels that are litter / exposed garbage'),
        uniform: z.array(z.string()).default(['uniform']).describe('classifier labels meaning "in uniform"'),
        groups: z
          .record(z.string(), z.array(z.string()).min(1))
          .default({ vehicle: ['vehicle', 'car', 'truck', 'bus', 'motorcycle'] })
          .describe(
            'labels naming the same kind of thing: one box per object across the group (NMS), one track, label by vote',
          ),
        groupIou: z
          .number()
          .min(0.1)
          .max(1)
          .default(0.6)
          .describe('boxes of one group overlapping more than this are one object'),
      })
      .strict()
      .prefault({})
      .describe('which detector/classifier labels mean what'),
    timezone: z.string().default('Asia/Shanghai').describe('IANA zone for schedules'),
    tracker: TrackerParams.prefault({}).describe('object tracker'),
    updateEveryS: z
      .number()
      .min(0)
      .max(86400)
      .default(600)
      .describe('re-report an ongoing incident (update revision) this often; 0 = never'),
    evidence: z
      .object({
        jpegQuality: z
          .number()
          .int()
          .min(30)
          .max(100)
          .default(80)
          .describe('JPEG quality of annotated evidence'),
      })
      .strict()
      .prefault({})
      .describe('evidence images'),
    background: BackgroundParams.prefault({}).describe(
      'background model for litter zones with litterBy: persistence',
    ),
    plates: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'read licence plates (PP-OCRv4) on illegal-parking evidence frames (new/update/end only)',
          ),
      })
      .strict()
      .prefault({})
      .describe('licence plates on vehicle evidence'),
    list: z.array(CameraConfig).min(1).max(64).describe('the cameras of this gateway'),
  })
  .strict()
  .superRefine((s, ctx) => {
    verifyDetectors(s, ctx);
    verifyUniqueIds(s, ctx);
    verifyCameraAddress(s, ctx);
    verifyZones(s, ctx);
    verifyTimezone(s, ctx);
  });
export type CameraSection = z.infer<typeof CameraSection>;
type Ctx = z.RefinementCtx;

/** Exactly one of models.detector / models.detectors. */
export function verifyDetectors(s: { models: { detector?: string; detectors?: DetectorUse[] } }, ctx: Ctx) {
  if (!s.models.detector === !s.models.detectors)
    ctx.addIssue({
      code: 'custom',
      path: ['models'],
      message: 'give models.detector (one model) or models.detectors (a list), not both or neither',
    });
}

/** The detectors of a section as a list (models.detector is the one-model shorthand). */
export function detectorUses(s: Pick<CameraSection, 'models'>): DetectorUse[] {
  return s.models.detectors ?? (s.models.detector ? [{ manifest: s.models.detector }] : []);
}

export function verifyUniqueIds(s: { list: CameraConfig[] }, ctx: Ctx) {
  const seen = new Set<string>();
  s.list.forEach((c, i) => {
    if (seen.has(c.id))
      ctx.addIssue({ code: 'custom', path: ['list', i, 'id'], message: `camera ${c.id}: duplicate id` });
    seen.add(c.id);
    const zs = new Set<string>();
    c.zones.forEach((z, j) => {
      if (zs.has(z.id))
        ctx.addIssue({
          code: 'custom',
          path: ['list', i, 'zones', j, 'id'],
          message: `camera ${c.id} zone ${z.id}: duplicate id`,
        });
      zs.add(z.id);
    });
  });
}

export function verifyCameraAddress(s: { list: CameraConfig[] }, ctx: Ctx) {
  s.list.forEach((c, i) => {
    if (!c.xaddr && !c.discovery)
      ctx.addIssue({
        code: 'custom',
        path: ['list', i],
        message: `camera ${c.id}: needs xaddr or discovery`,
      });
    if (c.discovery && !c.discovery.urn && !c.discovery.name)
      ctx.addIssue({
        code: 'custom',
        path: ['list', i, 'discovery'],
        message: `camera ${c.id}: discovery needs urn or name`,
      });
    if (c.backoff.maxS < c.backoff.initialS)
      ctx.addIssue({
        code: 'custom',
        path: ['list', i, 'backoff'],
        message: `camera ${c.id}: backoff.maxS < initialS`,
      });
    if ((c.username === undefined) !== (c.password === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['list', i],
        message: `camera ${c.id}: give both username and password`,
      });
  });
}

/** Whether two edges of a polygon cross (touching at an end point does not count). */
function edgesCross(a: number[], b: number[], c: number[], d: number[]): boolean {
  const side = (p: number[], q: number[], r: number[]) =>
    Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0;
}

/** A figure-eight polygon has no inside a rule could test: its first crossing edges, or undefined. */
export function selfIntersection(polygon: readonly number[][]): [number, number] | undefined {
  const n = polygon.length;
  for (let i = 0; i < n; i++)
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // neighbours through the closing edge
      if (edgesCross(polygon[i], polygon[(i + 1) % n], polygon[j], polygon[(j + 1) % n])) return [i, j];
    }
  return undefined;
}

/** Polygons must be proper (non-zero area, not self-intersecting); post zones need the classifier. */
export function verifyZones(s: { list: CameraConfig[]; models: { classifier?: string } }, ctx: Ctx) {
  s.list.forEach((c, i) => {
    c.zones.forEach((z, j) => {
      const path = ['list', i, 'zones', j];
      let a = 0;
      z.polygon.forEach(([x1, y1], k) => {
        const [x2, y2] = z.polygon[(k + 1) % z.polygon.length];
        a += x1 * y2 - x2 * y1;
      });
      if (Math.abs(a) / 2 < 1)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'polygon'],
          message: `camera ${c.id} zone ${z.id}: polygon has no area`,
        });
      const crossing = selfIntersection(z.polygon);
      if (crossing)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'polygon'],
          message: `camera ${c.id} zone ${z.id}: polygon crosses itself (edges ${crossing[0] + 1} and ${crossing[1] + 1}); list the corners in order around the zone`,
        });
      if (z.type === 'post' && !s.models.classifier)
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'type'],
          message: `camera ${c.id} zone ${z.id}: post zones need models.classifier (uniform model)`,
        });
    });
  });
}

export function verifyTimezone(s: { timezone: string }, ctx: Ctx) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: s.timezone });
  } catch {
    ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${s.timezone}"` });
  }
}
