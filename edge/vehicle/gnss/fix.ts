/**
 * @module edge/vehicle/gnss/fix
 * Merges the sentences of one receiver epoch (same time of day: RMC, GGA, GNS, VTG, GSA, GLL, ZDA) into
 * one fix, the way gpsd does: the date is carried from the last RMC/ZDA, the fix mode from the last
 * GSA, and a 10-bit GPS week rollover can be undone. Also the shared sanity check every decoded
 * fix passes before the vehicle state sees it (Traccar's manner).
 */
import type { NmeaCounters, Sentence } from './nmea.js';
import { NmeaReader, type NmeaReaderOptions } from './nmea.js';

export type FixMode = 'none' | '2d' | '3d';

/** One receiver epoch. `t` (ms since epoch) is absent until a date is known. */
export interface Fix {
  t?: number;
  lat?: number;
  lon?: number;
  speedMps?: number;
  track?: number;
  altM?: number;
  mode: FixMode;
  talker: string;
  sats?: number;
  hdop?: number;
  /** the receiver's date was 1024 weeks behind and was moved forward */
  rolloverCorrected?: boolean;
}

const DAY_MS = 86_400_000;
const ROLLOVER_MS = 1024 * 7 * DAY_MS;

export interface FixAssemblerOptions {
  /**
   * Dates before this (ms) are taken as a GPS week-number rollover and moved forward by 1024
   * weeks until they are not. Off when undefined (the CLI's default, so old logs stay old).
   */
  rolloverPivotMs?: number;
}

interface Epoch {
  tod?: number;
  day?: number;
  parts: Sentence[];
}

/**
 * Turns a sentence stream into fixes. A fix is emitted when a sentence of another epoch arrives,
 * or on `flush()` (the serial reader flushes after a quiet gap, so the last epoch is not held back).
 */
export class FixAssembler {
  private epoch: Epoch | undefined;
  private lastDay: number | undefined;
  private lastDayTod = 0;
  private gsaFixType: number | undefined;

  constructor(
    private readonly onFix: (f: Fix) => void,
    private readonly opts: FixAssemblerOptions = {},
  ) {}

  push(s: Sentence): void {
    const tod = 'tod' in s ? s.tod : undefined;
    if (this.epoch && tod !== undefined && this.epoch.tod !== undefined && tod !== this.epoch.tod)
      this.flush();
    if (!this.epoch) this.epoch = { parts: [] };
    if (tod !== undefined) this.epoch.tod = tod;
    if ((s.type === 'RMC' || s.type === 'ZDA') && s.day !== undefined && tod !== undefined) {
      this.epoch.day = s.day;
      this.lastDay = s.day;
      this.lastDayTod = tod;
    }
    if (s.type === 'GSA') this.gsaFixType = s.fixType;
    this.epoch.parts.push(s);
  }

  flush(): void {
    const e = this.epoch;
    this.epoch = undefined;
    if (!e || e.tod === undefined) return;
    const fix = this.merge(e);
    if (fix) this.onFix(fix);
  }

  private dayFor(tod: number): number | undefined {
    if (this.lastDay === undefined) return undefined;
    // Past midnight since the last dated sentence: the next day.
    return tod < this.lastDayTod - 43_200 ? this.lastDay + 1 : this.lastDay;
  }

  private merge(e: Epoch): Fix | undefined {
    let talker = '';
    const f: Fix = { mode: '2d', talker };
    let invalid = false;
    let hasPos = false;
    for (const s of e.parts) {
      talker ||= s.talker;
      switch (s.type) {
        case 'RMC':
          if (!s.valid || s.faa === 'N') invalid = true;
          else if (s.lat !== undefined && s.lon !== undefined) {
            f.lat = s.lat;
            f.lon = s.lon;
            hasPos = true;
          }
          if (s.speedMps !== undefined) f.speedMps = s.speedMps;
          if (s.track !== undefined) f.track = s.track;
          talker = s.talker;
          break;
        case 'GGA':
          if (s.quality === 0) invalid = true;
          else {
            if (s.lat !== undefined && s.lon !== undefined && !hasPos) {
              f.lat = s.lat;
              f.lon = s.lon;
              hasPos = true;
            }
            if (s.altM !== undefined) f.altM = s.altM;
          }
          f.sats = s.sats;
          f.hdop = s.hdop;
          break;
        case 'GNS':
          if (!s.valid) invalid = true;
          else {
            if (s.lat !== undefined && s.lon !== undefined && !hasPos) {
              f.lat = s.lat;
              f.lon = s.lon;
              hasPos = true;
            }
            if (s.altM !== undefined && f.altM === undefined) f.altM = s.altM;
          }
          f.sats ??= s.sats;
          f.hdop ??= s.hdop;
          break;
        case 'GLL':
          if (s.valid && !hasPos && s.lat !== undefined && s.lon !== undefined) {
            f.lat = s.lat;
            f.lon = s.lon;
            hasPos = true;
          }
          break;
        case 'VTG':
          if (f.speedMps === undefined && s.speedMps !== undefined) f.speedMps = s.speedMps;
          if (f.track === undefined && s.track !== undefined) f.track = s.track;
          break;
        default:
          break;
      }
    }
    f.talker = talker;
    if (invalid || !hasPos) {
      f.mode = 'none';
      delete f.lat;
      delete f.lon;
      delete f.altM;
      // gpsd reports no motion without a fix; a void RMC's speed/track are stale.
      delete f.speedMps;
      delete f.track;
    } else f.mode = fixMode(this.gsaFixType, f.altM, f.sats);
    if (f.mode === '2d') delete f.altM;
    const tod = e.tod!;
    const day = e.day ?? this.dayFor(tod);
    if (day !== undefined) {
      let t = Math.round((day * DAY_MS + tod * 1000) * 1000) / 1000;
      const pivot = this.opts.rolloverPivotMs;
      if (pivot !== undefined && t < pivot) {
        while (t < pivot) t += ROLLOVER_MS;
        f.rolloverCorrected = true;
      }
      f.t = t;
    }
    return f;
  }
}

/**
 * The fix mode of an epoch with a position. NMEA 0183 gives it in GSA (1/2/3) and puts the MSL
 * altitude in GGA; gpsd (driver_nmea0183.c, processGGA) takes a GGA with an altitude and at least
 * 4 satellites in use as 3D, because GSA may come later in the cycle or not at all. We follow
 * gpsd where the two disagree: a receiver that reports an altitude solved from ≥4 satellites has a
 * 3D solution whatever its GSA says (the Telit PLS83-W sends GSA mode 2 beside a GGA with 5
 * satellites and 250.8 m, and gpsd reports 3D with that altitude). GSA decides otherwise: a GSA
 * 3D without altitude stays 3D (gpsd too), a GSA 2D with <4 satellites stays 2D without altitude.
 */
export function fixMode(
  gsaFixType: number | undefined,
  altM: number | undefined,
  sats: number | undefined,
): FixMode {
  const solvedAltitude = altM !== undefined && (sats ?? 0) >= 4;
  if (gsaFixType === 3 || solvedAltitude) return '3d';
  if (gsaFixType === 2) return '2d';
  return altM !== undefined ? '3d' : '2d';
}

export interface DecodeResult {
  fixes: Fix[];
  counters: NmeaCounters;
}

/**
 * Decode a whole log (string or Buffer) without any serial I/O; `#` comment lines are skipped.
 * This is the reader's benchmarkable entry point.
 * @example
 * const { fixes, counters } = decodeNmea(fs.readFileSync('drive.nmea'));
 */
export function decodeNmea(
  input: string | Uint8Array,
  opts: NmeaReaderOptions & FixAssemblerOptions = {},
): DecodeResult {
  const fixes: Fix[] = [];
  const asm = new FixAssembler((f) => fixes.push(f), opts);
  const reader = new NmeaReader((s) => asm.push(s), opts);
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  reader.push(text.replace(/^#.*$/gm, ''));
  reader.end();
  asm.flush();
  return { fixes, counters: reader.counters };
}

export interface SanityOptions {
  /** how far in the future a fix time may be (receiver/host clock skew), ms; default 10 min */
  maxFutureMs?: number;
}

/**
 * The shared sanity check: a fix the rules may use has a time, a position, lat/lon in range and a
 * time not in the future. Returns the reason it fails, or undefined when it passes.
 */
export function fixProblem(f: Fix, nowMs: number, opts: SanityOptions = {}): string | undefined {
  if (f.mode === 'none') return 'no fix';
  if (f.t === undefined) return 'no date';
  if (f.lat === undefined || f.lon === undefined) return 'no position';
  if (!(f.lat >= -90 && f.lat <= 90) || !(f.lon >= -180 && f.lon <= 180)) return 'lat/lon out of range';
  if (f.t > nowMs + (opts.maxFutureMs ?? 600_000)) return 'time in the future';
  if (f.speedMps !== undefined && !(f.speedMps >= 0 && f.speedMps < 150)) return 'speed out of range';
  return undefined;
}
