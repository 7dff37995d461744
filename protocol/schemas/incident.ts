/**
 * @module protocol/schemas/incident
 * An incident as it travels on `cg.v1.incident.<gatewayId>`. One cause (a parked car, a piece of
 * litter, an overspeed episode) is one id; each change is a new revision with lifecycle
 * new → update → end. Central is idempotent by (id, rev).
 */
import { z } from 'zod';
import { CategoryCode } from '../categories.js';
import { Token, Ulid } from '../ids.js';
import { IncidentKind, Lifecycle } from '../kinds.js';
import { Detection, IsoTime, LatLon, ModelRef } from './common.js';

/** Evidence images live in the JetStream object store; the message only names them. */
export const EvidenceRef = z.object({
  role: z.enum(['annotated', 'clean', 'start', 'violation', 'end']).describe('what the image shows'),
  bucket: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/)
    .describe("object store bucket: the publishing gateway's cg_evidence_<gatewayId>"),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'evidence name: letters, digits, . _ - only')
    .describe('object name in the bucket'),
  contentType: z.enum(['image/jpeg', 'image/png']),
  size: z
    .number()
    .int()
    .nonnegative()
    .max(20 * 1024 * 1024),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type EvidenceRef = z.infer<typeof EvidenceRef>;

export const IncidentLocation = LatLon.partial()
  .extend({
    source: z.enum(['gps', 'fixed']).describe("gps: a vehicle fix; fixed: the camera's surveyed position"),
    gridCode: z
      .string()
      .regex(/^\d{15}$/)
      .optional()
      .describe('GB/T 30428 15-digit grid code, if known at the edge'),
    cameraId: Token.optional(),
    zoneId: Token.optional(),
    address: z.string().max(256).optional(),
  })
  .describe('where the cause is');

const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
const C = 'A-HJ-NP-Z0-9';
/** A Chinese licence plate without separators: 粤ZP560港, 浙AD12345 (green), 苏ED51712. */
export const PLATE_PATTERN = new RegExp(
  `^[${PROVINCES}][A-HJ-NP-Z](?:[${C}]{4}[${C}挂学警港澳领试超使]|[DF][${C}]\\d{4}|\\d{5}[DF])$`,
);

export const Plate = z
  .object({
    text: z
      .string()
      .regex(PLATE_PATTERN, 'a Chinese licence plate, e.g. 浙AD12345')
      .describe('as read, no separators'),
    confidence: z.number().min(0).max(1).describe('mean character confidence of the reading'),
  })
  .describe('licence plate read from the evidence frame; absent when unreadable (never a guess)');

export const Incident = z
  .object({
    v: z.literal(1),
    id: Ulid.describe('made at the edge, time-sortable; also the JetStream message id base'),
    rev: z.number().int().nonnegative().describe('0 for new, +1 per update/end'),
    lifecycle: Lifecycle,
    kind: IncidentKind,
    category: CategoryCode,
    gatewayId: Token,
    deviceId: Token.describe('camera id or vehicle id'),
    observedAt: IsoTime.describe('when this revision was observed'),
    startedAt: IsoTime.describe('when the cause began'),
    endedAt: IsoTime.optional(),
    confidence: z.number().min(0).max(1),
    location: IncidentLocation,
    detections: z.array(Detection).max(200).default([]),
    evidence: z.array(EvidenceRef).max(16).default([]),
    producer: z.object({ model: ModelRef.optional(), rule: z.string().min(1).max(64) }),
    plate: Plate.optional(),
    details: z.record(z.string(), z.union([z.string().max(512), z.number(), z.boolean()])).default({}),
  })
  .superRefine((m, ctx) => {
    if (m.lifecycle === 'new' && m.rev !== 0)
      ctx.addIssue({ code: 'custom', path: ['rev'], message: 'a new incident has rev 0' });
    if (m.lifecycle !== 'new' && m.rev === 0)
      ctx.addIssue({ code: 'custom', path: ['rev'], message: 'update/end need rev > 0' });
    if (m.lifecycle === 'end' && !m.endedAt)
      ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'an end revision needs endedAt' });
  });
export type Incident = z.infer<typeof Incident>;
/** What a producer writes before defaults are applied. */
export type IncidentInput = z.input<typeof Incident>;

/**
 * JetStream message id: unique per gateway and revision so every revision is stored once. The
 * gateway id is part of it because JetStream de-duplicates across the whole stream: without it a
 * gateway could pre-empt another's revision by publishing the same id first.
 */
export function incidentMsgId(i: Pick<Incident, 'gatewayId' | 'id' | 'rev'>): string {
  return `${i.gatewayId}.${i.id}.${i.rev}`;
}
