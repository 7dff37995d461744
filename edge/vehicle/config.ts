/**
 * @module edge/vehicle/config
 * The `vehicle:` section of a vehicle gateway's config. Every field has a description, a default
 * and bounds; unknown keys are rejected; cross-field checks are named `verify…` functions whose
 * messages name the vehicle. Relative file paths are resolved against the gateway config's folder
 * (UnitContext.configDir when the core provides it, else the working directory).
 */
import { z } from 'zod';
import { Token } from '../../protocol/index.js';

const BAUDS = [4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600] as const;
const baud = (def: (typeof BAUDS)[number]) => z.literal([...BAUDS]).default(def);

/** A GeoJSON file's path, or the GeoJSON itself inline; either is checked by rules/geo.ts's `buildGeo`. */
const GeoSource = z.union([
  z.string().min(1),
  z.looseObject({ type: z.enum(['FeatureCollection', 'Feature']) }).describe('inline GeoJSON'),
]);

const HourWindow = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'HH:MM-HH:MM')
  .describe('local time window, HH:MM-HH:MM (end before start spans midnight)');

/** A boolean vehicle signal taken from a decoded CAN signal. */
const CanSignalMap = z
  .object({
    signal: z.string().min(1).max(64).describe('DBC signal name, e.g. DumpBodyRaised or CoverOpen'),
    threshold: z.number().default(0.5).describe('value >= threshold means true (default 0.5)'),
  })
  .strict();

/** A boolean vehicle signal from a digital input line (a sysfs GPIO value file or any 0/1 file). */
const DigitalInput = z
  .object({
    path: z
      .string()
      .min(1)
      .describe('file whose first character is 0 or 1, e.g. /sys/class/gpio/gpio17/value'),
    activeLow: z.boolean().default(false).describe('true when 0 means active'),
  })
  .strict();

export const GnssSection = z
  .object({
    port: z.string().min(1).describe('serial device of the GNSS receiver, e.g. /dev/ttyUSB0'),
    baud: baud(9600).describe('serial speed; default 9600'),
    staleAfterS: z.number().min(1).max(300).default(5).describe('no fix for this long → gps device offline'),
    rolloverPivot: z.iso
      .date()
      .default('2024-01-01')
      .describe('receiver dates before this are a GPS week rollover and are moved forward 1024 weeks'),
    maxJumpKmh: z
      .number()
      .min(50)
      .max(1000)
      .default(200)
      .describe('a fix implying a faster move than this from the last one is a jump: discarded, counted'),
  })
  .strict();

export const CanSection = z
  .object({
    port: z.string().min(1).describe('serial device of the SLCAN adapter, e.g. /dev/ttyACM0'),
    baud: baud(115200).describe('serial speed to the adapter; default 115200'),
    bitrate: z
      .union([z.literal(125_000), z.literal(250_000), z.literal(500_000), z.literal(1_000_000)])
      .default(250_000)
      .describe('CAN bus bit rate; J1939 trucks use 250000 (default) or 500000'),
    dbc: z.string().min(1).describe('DBC file; messages are matched by J1939 PGN, source address ignored'),
    staleAfterS: z
      .number()
      .min(1)
      .max(300)
      .default(5)
      .describe('no frame for this long → can device offline'),
    signals: z
      .object({
        dumpBodyRaised: CanSignalMap.optional().describe('dump body (车厢) raised'),
        coverOpen: CanSignalMap.optional().describe('cargo cover (篷布/密闭盖) open'),
      })
      .strict()
      .prefault({})
      .describe('which DBC signals give the body and cover states'),
  })
  .strict();

/** How long a device may be offline before device_offline is raised (vehicles and JT/T 808 terminals). */
export const deviceOfflineAfterS = (what: string) => z.number().min(1).max(86_400).default(60).describe(what);

const enabled = (what: string) => z.boolean().default(true).describe(`run the ${what} rule`);

const Overspeed = z
  .object({
    enabled: enabled('overspeed (超速)'),
    defaultLimitKmh: z
      .number()
      .min(5)
      .max(150)
      .default(60)
      .describe('limit outside every zone with its own limit'),
    toleranceKmh: z.number().min(0).max(30).default(0).describe('speed above limit+tolerance counts as over'),
    minDurationS: z.number().min(0).max(600).default(10).describe('over for this long opens an episode'),
    endAfterS: z
      .number()
      .min(0)
      .max(600)
      .default(5)
      .describe('back under the limit this long ends the episode'),
  })
  .strict();

const RouteDeviation = z
  .object({
    enabled: enabled('route deviation (偏离路线)'),
    corridorM: z
      .number()
      .min(10)
      .max(5000)
      .default(100)
      .describe('half-width of the corridor around the route'),
    minDistanceM: z
      .number()
      .min(0)
      .max(50_000)
      .default(200)
      .describe('travelled outside the corridor at least this far'),
    minDurationS: z.number().min(0).max(3600).default(30).describe('and for at least this long'),
    endAfterS: z.number().min(0).max(3600).default(10).describe('back inside this long ends the episode'),
  })
  .strict();

const Dumping = z
  .object({
    enabled: enabled('dumping outside approved sites (违规倾倒)'),
    stationaryBelowKmh: z
      .number()
      .min(0)
      .max(20)
      .default(3)
      .describe('slower than this counts as stationary'),
    minDurationS: z
      .number()
      .min(0)
      .max(3600)
      .default(20)
      .describe('body raised, stationary, outside sites this long'),
    endAfterS: z
      .number()
      .min(0)
      .max(3600)
      .default(5)
      .describe('body down (or moving) this long ends the episode'),
  })
  .strict();

const CoverOpen = z
  .object({
    enabled: enabled('cover open while moving (未密闭行驶)'),
    aboveKmh: z.number().min(0).max(100).default(10).describe('moving faster than this with the cover open'),
    minDurationS: z.number().min(0).max(3600).default(20).describe('for at least this long'),
    endAfterS: z.number().min(0).max(3600).default(5).describe('closed or slow this long ends the episode'),
  })
  .strict();

const Restricted = z
  .object({
    enabled: enabled('restricted zones and hours (限行区/限行时段)'),
    minDurationS: z
      .number()
      .min(0)
      .max(3600)
      .default(10)
      .describe('inside a closed restricted zone this long'),
    endAfterS: z
      .number()
      .min(0)
      .max(3600)
      .default(5)
      .describe('outside (or allowed hours) this long ends it'),
    utcOffsetMin: z
      .number()
      .int()
      .min(-720)
      .max(840)
      .default(480)
      .describe('local time for allowed hours; +480 = China'),
  })
  .strict();

const Telemetry = z
  .object({
    minIntervalS: z.number().min(0.1).max(3600).default(5).describe('never more often than this'),
    maxIntervalS: z
      .number()
      .min(1)
      .max(3600)
      .default(30)
      .describe('at least this often while there is a fix'),
    minDistanceM: z.number().min(0).max(10_000).default(100).describe('or when moved this far'),
    minHeadingDeg: z.number().min(0).max(180).default(20).describe('or when the heading turned this much'),
    batchSize: z.number().int().min(1).max(1000).default(10).describe('points per telemetry message'),
    maxBatchDelayS: z.number().min(0).max(3600).default(15).describe('send a partial batch after this long'),
  })
  .strict();

export const VehicleSection = z
  .object({
    id: Token.describe('vehicle id, the deviceId of its incidents and telemetry'),
    plate: z.string().min(1).max(16).describe('licence plate, e.g. 浙A·D1234'),
    gnss: GnssSection,
    can: CanSection.optional().describe('SLCAN CAN adapter; absent = no CAN'),
    di: z
      .object({
        dumpBodyRaised: DigitalInput.optional().describe('input line: dump body raised'),
        coverOpen: DigitalInput.optional().describe('input line: cargo cover open'),
        pollMs: z
          .number()
          .int()
          .min(50)
          .max(10_000)
          .default(500)
          .describe('how often the input files are read'),
      })
      .strict()
      .optional()
      .describe('digital input lines, instead of CAN signals'),
    geo: z
      .object({
        route: GeoSource.optional().describe('the approved route (LineString features)'),
        sites: GeoSource.optional().describe('approved disposal sites (Polygon features)'),
        zones: GeoSource.optional().describe(
          'zones (Polygon features; properties speedLimitKmh, restricted, allowedHours)',
        ),
      })
      .strict()
      .prefault({})
      .describe(
        'places (WGS-84 lon/lat): each a GeoJSON file path, or the GeoJSON itself (what config sync carries)',
      ),
    rules: z
      .object({
        overspeed: Overspeed.prefault({}).describe(
          'speed over the zone (or default) limit for a minimum time',
        ),
        routeDeviation: RouteDeviation.prefault({}).describe('outside the buffered corridor of geo.route'),
        dumping: Dumping.prefault({}).describe(
          'body raised while stationary outside every geo.sites polygon',
        ),
        coverOpen: CoverOpen.prefault({}).describe('driving with the cargo cover open (spillage risk)'),
        restricted: Restricted.prefault({}).describe('inside a restricted zone outside its allowedHours'),
      })
      .strict()
      .prefault({})
      .describe('rule parameters; every rule yields one incident per episode: new → update → end'),
    telemetry: Telemetry.prefault({}).describe('track points up at a bounded rate, batched'),
    deviceOfflineAfterS: deviceOfflineAfterS(
      'a gps/can device offline this long raises a device_offline incident (ended when it is back)',
    ),
  })
  .strict()
  .superRefine(verifySignalSources)
  .superRefine(verifyTelemetry);
export type VehicleSection = z.infer<typeof VehicleSection>;
export type VehicleSectionInput = z.input<typeof VehicleSection>;
export { HourWindow };

/** What the verify functions read (the parsed section, before the type above exists). */
interface Checked {
  id: string;
  can?: { signals: { dumpBodyRaised?: unknown; coverOpen?: unknown } };
  di?: { dumpBodyRaised?: unknown; coverOpen?: unknown };
  geo: { route?: unknown; sites?: unknown; zones?: unknown };
  rules: Record<
    'overspeed' | 'routeDeviation' | 'dumping' | 'coverOpen' | 'restricted',
    { enabled: boolean }
  >;
  telemetry: { minIntervalS: number; maxIntervalS: number };
}

/** A rule that needs a signal has a source for it (CAN or a digital input), and not two. */
export function verifySignalSources(v: Checked, ctx: z.RefinementCtx): void {
  const need: [keyof typeof v.rules, 'dumpBodyRaised' | 'coverOpen'][] = [
    ['dumping', 'dumpBodyRaised'],
    ['coverOpen', 'coverOpen'],
  ];
  for (const [rule, signal] of need) {
    const fromCan = v.can?.signals[signal];
    const fromDi = v.di?.[signal];
    if (v.rules[rule].enabled && !fromCan && !fromDi)
      ctx.addIssue({
        code: 'custom',
        path: ['rules', rule],
        message: `vehicle ${v.id}: rule ${rule} needs can.signals.${signal} or di.${signal} (or enabled: false)`,
      });
    if (fromCan && fromDi)
      ctx.addIssue({
        code: 'custom',
        path: ['di', signal],
        message: `vehicle ${v.id}: ${signal} has two sources (CAN and a digital input); keep one`,
      });
  }
  if (v.rules.routeDeviation.enabled && !v.geo.route)
    ctx.addIssue({
      code: 'custom',
      path: ['geo', 'route'],
      message: `vehicle ${v.id}: rule routeDeviation needs geo.route (or enabled: false)`,
    });
  if (v.rules.dumping.enabled && !v.geo.sites)
    ctx.addIssue({
      code: 'custom',
      path: ['geo', 'sites'],
      message: `vehicle ${v.id}: rule dumping needs geo.sites, the approved disposal sites (or enabled: false)`,
    });
}

/** The telemetry rate bounds are ordered. */
export function verifyTelemetry(v: Checked, ctx: z.RefinementCtx): void {
  if (v.telemetry.minIntervalS > v.telemetry.maxIntervalS)
    ctx.addIssue({
      code: 'custom',
      path: ['telemetry'],
      message: `vehicle ${v.id}: telemetry.minIntervalS must not exceed maxIntervalS`,
    });
}
