/**
 * @module edge/jt808/config
 * The `jt808:` section of a vehicle gateway: where the TCP endpoint listens, the city's vehicle
 * list (matched by terminal phone number, else plate), the per-vendor signal mapping, and the same
 * geo/rules/telemetry parameters as the serial vehicle unit (its schemas, reused). Unknown keys are
 * rejected; cross-field checks name the vehicle.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues, Token } from '../../protocol/index.js';
import { deviceOfflineAfterS, VehicleSection } from '../vehicle/config.js';

const shape = VehicleSection.shape;

const Bit = z.number().int().min(0).max(31);
const SignalSource = z
  .union([
    z.object({ status: Bit, activeLow: z.boolean().default(false) }).strict(),
    z.object({ io: Bit.max(15), activeLow: z.boolean().default(false) }).strict(),
    z.object({ signals: Bit, activeLow: z.boolean().default(false) }).strict(),
    z
      .object({
        item: z.number().int().min(0xe1).max(0xff),
        byte: z.number().int().min(0).max(254),
        bit: z.number().int().min(0).max(7),
        activeLow: z.boolean().default(false),
      })
      .strict(),
  ])
  .describe('status bit, IO bit (0x2A), extended signal bit (0x25) or a vendor item bit');
export type SignalSource = z.infer<typeof SignalSource>;

export const VendorMapping = z
  .object({
    label: z.string().max(128).optional(),
    dumpBodyRaised: SignalSource.optional(),
    coverOpen: SignalSource.optional(),
  })
  .strict();
export const VendorFile = z.record(Token, VendorMapping);
export type VendorFile = z.infer<typeof VendorFile>;

const Phone = z
  .string()
  .regex(/^\d{1,20}$/, 'digits only (the terminal phone number / SIM number, 1-20 digits)');

const Jt808Vehicle = z
  .object({
    id: Token.describe('vehicle id, the deviceId of its incidents and telemetry'),
    plate: z
      .string()
      .min(1)
      .max(16)
      .describe('licence plate, e.g. 湘D·A1234 (matched when the phone is not)'),
    phone: Phone.optional().describe(
      "terminal phone number from the frame header (leading zeros don't matter)",
    ),
    vendor: Token.describe('key in the vendor mapping file: where this terminal reports body and cover'),
    cameraChannel: z.number().int().min(1).max(255).default(1).describe('camera channel for snapshot'),
  })
  .strict();

export const Jt808Section = z
  .object({
    listen: z
      .object({
        host: z
          .string()
          .min(1)
          .default('127.0.0.1')
          .describe('address to bind (0.0.0.0 for trucks on the network)'),
        port: z.number().int().min(0).max(65535).default(7808).describe('TCP port; 0 = any free port'),
      })
      .strict()
      .prefault({}),
    vendorsFile: z.string().optional().describe('YAML vendor mapping; default edge/jt808/vendors.yaml'),
    vehicles: z
      .array(Jt808Vehicle)
      .max(255)
      .default([])
      .describe('the city vehicle list (at most 255 per gateway)'),
    acceptUnlisted: z
      .boolean()
      .default(false)
      .describe('register terminals not on the list (as jt808-<phone>, no rules); off = 0x8100 result 2'),
    geo: shape.geo,
    rules: shape.rules,
    telemetry: shape.telemetry,
    maxJumpKmh: z.number().min(50).max(1000).default(200).describe('faster implied moves are GPS jumps'),
    authTimeoutS: z
      .number()
      .min(1)
      .max(600)
      .default(30)
      .describe('a connection not authenticated by then is closed'),
    offlineAfterS: z
      .number()
      .min(5)
      .max(3600)
      .default(180)
      .describe('no message (heartbeat 0x0002 included) for this long → terminal offline'),
    deviceOfflineAfterS: deviceOfflineAfterS(
      'a terminal offline (session lost, silent, unauthenticated) this long raises device_offline (ended when back)',
    ),
    commandTimeoutS: z
      .number()
      .min(0.5)
      .max(60)
      .default(4)
      .describe("a terminal answering later is 设备未应答; keep it under central's call timeout (5 s)"),
    subpackageTimeoutS: z
      .number()
      .min(1)
      .max(600)
      .default(30)
      .describe('parts of a message not complete by then are dropped'),
    maxSubpackages: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(1024)
      .describe('more declared parts are refused'),
    maxConnections: z.number().int().min(1).max(100_000).default(20_000),
  })
  .strict()
  .superRefine(verifySection);
export type Jt808Section = z.infer<typeof Jt808Section>;

interface Checked {
  vehicles: { id: string; plate: string; phone?: string }[];
  geo: { route?: unknown; sites?: unknown };
  rules: Record<'routeDeviation' | 'dumping', { enabled: boolean }>;
}

/** Ids, phones and plates are unique; rules that need places have them. */
function verifySection(v: Checked, ctx: z.RefinementCtx): void {
  for (const key of ['id', 'plate', 'phone'] as const) {
    const seen = new Set<string>();
    v.vehicles.forEach((veh, i) => {
      const val = key === 'phone' ? veh.phone?.replace(/^0+/, '') : veh[key];
      if (val === undefined) return;
      if (seen.has(val))
        ctx.addIssue({
          code: 'custom',
          path: ['vehicles', i, key],
          message: `vehicle ${veh.id}: ${key} ${val} is listed twice`,
        });
      seen.add(val);
    });
  }
  if (v.rules.routeDeviation.enabled && !v.geo.route)
    ctx.addIssue({
      code: 'custom',
      path: ['geo', 'route'],
      message: 'jt808: rule routeDeviation needs geo.route (or enabled: false)',
    });
  if (v.rules.dumping.enabled && !v.geo.sites)
    ctx.addIssue({
      code: 'custom',
      path: ['geo', 'sites'],
      message: 'jt808: rule dumping needs geo.sites (or enabled: false)',
    });
}

export const DEFAULT_VENDORS = join(dirname(fileURLToPath(import.meta.url)), 'vendors.yaml');

/** Parse the section and its vendor file; every vehicle's vendor exists and maps what its rules need. */
export function loadJt808Section(raw: unknown, baseDir: string): { cfg: Jt808Section; vendors: VendorFile } {
  const r = Jt808Section.safeParse(raw);
  if (!r.success) throw new Error(`jt808 section: ${formatIssues(r.error)}`);
  const cfg = r.data;
  const file = cfg.vendorsFile
    ? isAbsolute(cfg.vendorsFile)
      ? cfg.vendorsFile
      : resolve(baseDir, cfg.vendorsFile)
    : DEFAULT_VENDORS;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`jt808 section: vendorsFile ${file}: ${(e as Error).message}`);
  }
  const v = VendorFile.safeParse(parseYaml(text));
  if (!v.success) throw new Error(`jt808 vendorsFile ${file}: ${formatIssues(v.error)}`);
  for (const veh of cfg.vehicles) {
    const m = v.data[veh.vendor];
    if (!m) throw new Error(`jt808 vehicle ${veh.id}: vendor "${veh.vendor}" is not in ${file}`);
    if (cfg.rules.dumping.enabled && !m.dumpBodyRaised)
      throw new Error(
        `jt808 vehicle ${veh.id}: rule dumping needs dumpBodyRaised, vendor "${veh.vendor}" does not map it (or rules.dumping.enabled: false)`,
      );
    if (cfg.rules.coverOpen.enabled && !m.coverOpen)
      throw new Error(
        `jt808 vehicle ${veh.id}: rule coverOpen needs coverOpen, vendor "${veh.vendor}" does not map it (or rules.coverOpen.enabled: false)`,
      );
  }
  return { cfg, vendors: v.data };
}
