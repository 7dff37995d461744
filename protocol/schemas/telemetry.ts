/**
 * @module protocol/schemas/telemetry
 * Vehicle positions and CAN-derived signals, batched, on `cg.v1.telemetry.<gatewayId>`.
 */
import { z } from 'zod';
import { Token } from '../ids.js';
import { IsoTime } from './common.js';

export const FixMode = z.enum(['none', '2d', '3d']);

export const TrackPoint = z.object({
  t: IsoTime,
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  speedMps: z.number().min(0).max(150).optional(),
  trackDeg: z.number().min(0).max(360).optional(),
  altM: z.number().min(-1000).max(20000).optional(),
  mode: FixMode.default('3d'),
  /** CAN or digital-input signals at this point, e.g. dumpBodyRaised, coverOpen, engineRpm. */
  signals: z.record(z.string().max(64), z.union([z.number(), z.boolean()])).optional(),
});
export type TrackPoint = z.infer<typeof TrackPoint>;

export const Telemetry = z.object({
  v: z.literal(1),
  gatewayId: Token,
  vehicleId: Token,
  sentAt: IsoTime,
  points: z.array(TrackPoint).min(1).max(1000),
});
export type Telemetry = z.infer<typeof Telemetry>;
