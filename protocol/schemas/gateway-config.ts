/**
 * @module protocol/schemas/gateway-config
 * The envelope central writes to the KV bucket `cg_gateway_config` under key = gateway id.
 * `config` holds the gateway's configuration sections (cameras, zones, schedules, limits, models:
 * whatever edge/config.ts accepts) except what is local to the box (`gatewayId`, `nats`,
 * `dataDir`): credentials never travel through central. The gateway validates `config` with its
 * own schemas before applying it and reports `version` in its heartbeat's `configVersion`.
 */
import { z } from 'zod';
import { Token } from '../ids.js';
import { IsoTime } from './common.js';

/** Keys a synced configuration may not set: they belong to the box and its credentials. */
export const LOCAL_ONLY_CONFIG_KEYS = ['gatewayId', 'nats', 'dataDir'] as const;

export const GatewayConfigDoc = z.object({
  v: z.literal(1),
  gatewayId: Token,
  version: z.number().int().positive().describe('increases by one with every change central makes'),
  updatedAt: IsoTime,
  updatedBy: z.string().max(64).describe('user id that made the change'),
  config: z
    .record(z.string(), z.unknown())
    .refine((c) => LOCAL_ONLY_CONFIG_KEYS.every((k) => !(k in c)), {
      message: `may not set ${LOCAL_ONLY_CONFIG_KEYS.join(', ')} (local to the gateway)`,
    })
    .describe('gateway configuration sections (edge/config.ts GatewayConfig without local keys)'),
});
export type GatewayConfigDoc = z.infer<typeof GatewayConfigDoc>;

/** What a heartbeat's `configVersion` says for a synced version. */
export function syncedConfigVersion(version: number): string {
  return `sync-${version}`;
}
