/**
 * @module edge/config
 * One YAML (or JSON) file per gateway. The core validates its own sections here; the `cameras`,
 * `vehicle` and `jt808` sections are validated by their pipelines' schemas (edge/camera,
 * edge/vehicle, edge/jt808)
 * when the gateway starts, so a mistake anywhere is reported before anything runs.
 * @example
 *   const cfg = loadGatewayConfig('edge/examples/checkpoint.yaml');
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues, Token } from '../protocol/index.js';

export const NatsSection = z
  .object({
    servers: z
      .union([z.string(), z.array(z.string()).min(1)])
      .default('nats://127.0.0.1:4222')
      .describe('NATS server URL(s)'),
    user: z.string().optional().describe("this gateway's own NATS user (see the deployment docs)"),
    pass: z.string().optional(),
    token: z.string().optional(),
    inboxPrefix: z
      .string()
      .regex(/^_INBOX[A-Za-z0-9_-]*$/)
      .optional()
      .describe('reply-subject prefix; default _INBOX_<gatewayId>, which its NATS user may subscribe to'),
    tls: z
      .object({
        caFile: z.string().optional(),
        certFile: z.string().optional(),
        keyFile: z.string().optional(),
      })
      .strict()
      .optional()
      .describe('TLS to NATS; files are PEM'),
  })
  .strict();

export const GatewayConfig = z
  .object({
    gatewayId: Token.describe('unique id of this gateway; part of every subject it uses'),
    kind: z
      .enum(['checkpoint', 'vehicle'])
      .describe('checkpoint (执勤点/场外监控点) or vehicle (渣土车/巡查车)'),
    name: z.string().max(128).optional().describe('human name, e.g. 西湖路执勤点'),
    nats: NatsSection.prefault({}),
    dataDir: z
      .string()
      .default('.data/gateway')
      .describe('state directory (outbox, evidence); relative to the config file'),
    outbox: z
      .object({
        budgetMB: z
          .number()
          .min(1)
          .max(1_000_000)
          .default(2048)
          .describe('disk the outbox may use before dropping telemetry'),
      })
      .strict()
      .prefault({}),
    heartbeatS: z.number().min(1).max(600).default(15).describe('heartbeat period in seconds'),
    metricsPort: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe('serve Prometheus metrics on 127.0.0.1:<port>'),
    cameras: z.unknown().optional().describe('camera section, see edge/camera/README.md'),
    vehicle: z.unknown().optional().describe('vehicle section, see edge/vehicle/README.md'),
    jt808: z
      .unknown()
      .optional()
      .describe("JT/T 808 endpoint for trucks' own terminals, see edge/jt808/README.md"),
    replay: z
      .unknown()
      .optional()
      .describe('replay recorded incidents from a JSON-lines file (drills), see edge/sync/README.md'),
    configSync: z
      .boolean()
      .default(true)
      .describe("apply configuration versions central publishes for this gateway (KV 'cg_gateway_config')"),
  })
  .strict()
  .superRefine(verifyGatewayKind);
export type GatewayConfig = z.infer<typeof GatewayConfig>;

/** A checkpoint needs cameras; a vehicle needs its vehicle section. */
function verifyGatewayKind(
  c: {
    kind: string;
    cameras?: unknown;
    vehicle?: unknown;
    jt808?: unknown;
    replay?: unknown;
    gatewayId: string;
  },
  ctx: z.RefinementCtx,
) {
  if (c.replay !== undefined) return; // a replay (drill) gateway needs no devices
  if (c.kind === 'checkpoint' && c.cameras === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['cameras'],
      message: `checkpoint gateway ${c.gatewayId} needs a cameras section`,
    });
  if (c.kind === 'vehicle' && c.vehicle === undefined && c.jt808 === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['vehicle'],
      message: `vehicle gateway ${c.gatewayId} needs a vehicle section or a jt808 section`,
    });
  if (c.kind === 'checkpoint' && c.jt808 !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['jt808'],
      message: `checkpoint gateway ${c.gatewayId}: the jt808 section belongs to a vehicle gateway`,
    });
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parse and validate; relative paths in the file are resolved against the file's folder. */
export function parseGatewayConfig(text: string, baseDir: string, origin = 'config'): GatewayConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${origin}: not valid YAML/JSON: ${(e as Error).message}`);
  }
  const r = GatewayConfig.safeParse(raw);
  if (!r.success) throw new ConfigError(`${origin}: ${formatIssues(r.error)}`);
  const cfg = r.data;
  if (!isAbsolute(cfg.dataDir)) cfg.dataDir = resolve(baseDir, cfg.dataDir);
  return cfg;
}

export function loadGatewayConfig(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read gateway config ${path}: ${(e as Error).message}`);
  }
  return parseGatewayConfig(text, dirname(resolve(path)), path);
}
