/**
 * @module protocol/schemas/status
 * Heartbeats on `cg.v1.status.<gatewayId>`: the gateway itself and each device it runs.
 * Central derives online/offline and uptime from these.
 */
import { z } from 'zod';
import { Token } from '../ids.js';
import { IsoTime, ModelRef } from './common.js';

export const DeviceStatus = z.object({
  id: Token,
  type: z.enum(['camera', 'gps', 'can', 'di']),
  online: z.boolean(),
  lastSeenAt: IsoTime.optional(),
  error: z.string().max(512).optional().describe('why it is offline, for the devices board'),
  counters: z.record(z.string(), z.number()).optional().describe('e.g. badChecksum, framesDecoded'),
});
export type DeviceStatus = z.infer<typeof DeviceStatus>;

export const RunningModel = ModelRef.extend({
  task: z.enum(['detect', 'classify']),
  cameraIds: z.array(Token).max(256).describe('the cameras this model serves'),
});
export type RunningModel = z.infer<typeof RunningModel>;

export const GatewayStatus = z.object({
  v: z.literal(1),
  gatewayId: Token,
  gatewayKind: z.enum(['checkpoint', 'vehicle']),
  sentAt: IsoTime,
  startedAt: IsoTime,
  softwareVersion: z.string().max(64),
  configVersion: z.string().max(64).optional(),
  configRefused: z
    .object({
      version: z.string().max(64),
      reason: z.string().max(1024),
      at: IsoTime,
    })
    .optional()
    .describe('the last synced configuration this gateway refused (it kept running the old one)'),
  intervalS: z.number().positive().describe('heartbeat period; central marks offline after a few missed'),
  outbox: z
    .object({
      depth: z.number().int().nonnegative(),
      oldestPendingAgeS: z.number().nonnegative(),
      droppedTelemetry: z.number().int().nonnegative(),
      droppedEvidence: z
        .number()
        .int()
        .nonnegative()
        .optional()
        .describe('evidence images the disk budget removed'),
      droppedIncidents: z
        .number()
        .int()
        .nonnegative()
        .optional()
        .describe('whole incidents the disk budget removed (never silently: alert on it)'),
      writeFailures: z
        .number()
        .int()
        .nonnegative()
        .optional()
        .describe('outbox writes that failed (disk full)'),
    })
    .optional(),
  devices: z.array(DeviceStatus).max(256),
  models: z.array(RunningModel).max(32).optional().describe('the models loaded now (name, version, sha256)'),
});
export type GatewayStatus = z.infer<typeof GatewayStatus>;
