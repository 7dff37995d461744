/**
 * @module edge/vehicle/gnss/nmea
 * NMEA 0183 framing and sentence decoding, with no I/O: feed it strings or Buffers in any chunking
 * and it calls back with decoded sentences. It survives what real receivers send: NUL bytes,
 * sentences glued together or cut short, garbage between sentences, bad or missing checksums.
 * Every rejected piece of input is counted by reason (see {@link NmeaCounters}).
 */

/** Why a piece of input was rejected, plus what was accepted. */
export interface NmeaCounters {
  sentences: number;
  badChecksum: number;
  noChecksum: number;
  tooLong: number;
  cut: number;
  malformed: number;
  unsupported: number;
  garbageBytes: number;
  nulBytes: number;
}

export const newNmeaCounters = (): NmeaCounters => ({
  sentences: 0,
  badChecksum: 0,
  noChecksum: 0,
  tooLong: 0,
  cut: 0,
  malformed: 0,
  unsupported: 0,
  garbageBytes: 0,
  nulBytes: 0,
});

/** Seconds since midnight UTC (with fraction), as receivers send hhmmss.sss. */
export type TimeOfDay = number;

export interface Rmc {
  type: 'RMC';
  talker: string;
  tod?: TimeOfDay;
  valid: boolean;
  lat?: number;
  lon?: number;
  speedMps?: number;
  track?: number;
  /** days since 1970-01-01 from ddmmyy */
  day?: number;
  /** FAA mode indicator (NMEA 2.3+): N = no fix */
  faa?: string;
}
export interface Gga {
  type: 'GGA';
  talker: string;
  tod?: TimeOfDay;
  quality: number;
  lat?: number;
  lon?: number;
  sats?: number;
  hdop?: number;
  altM?: number;
}
/** GNS (NMEA 3.0+): GGA for multi-constellation receivers; one mode letter per system. */
export interface Gns {
  type: 'GNS';
  talker: string;
  tod?: TimeOfDay;
  /** any system with a fix (mode letter other than N) */
  valid: boolean;
  lat?: number;
  lon?: number;
  sats?: number;
  hdop?: number;
  altM?: number;
}
export interface Vtg {
  type: 'VTG';
  talker: string;
  track?: number;
  speedMps?: number;
  faa?: string;
}
export interface Gsa {
  type: 'GSA';
  talker: string;
  /** 1 = no fix, 2 = 2D, 3 = 3D */
  fixType: number;
  prns: number[];
  pdop?: number;
  hdop?: number;
  vdop?: number;
}
export interface Gsv {
  type: 'GSV';
  talker: string;
  inView: number;
}
export interface Gll {
  type: 'GLL';
  talker: string;
  tod?: TimeOfDay;
  valid: boolean;
  lat?: number;
  lon?: number;
}
export interface Zda {
  type: 'ZDA';
  talker: string;
  tod?: TimeOfDay;
  day?: number;
}
export type Sentence = Rmc | Gga | Gns | Vtg | Gsa | Gsv | Gll | Zda;

/** Talkers we take positions from: GPS, combined GNSS, BeiDou (BD and GB), GLONASS, Galileo. */
const TALKERS = new Set(['GP', 'GN', 'BD', 'GB', 'GL', 'GA']);
/** Longest sentence we accept; NMEA says 82, real receivers send longer (8-decimal minutes). */
const MAX_LEN = 160;
const KNOT_MPS = 1852 / 3600;
const KMH_MPS = 1 / 3.6;

const num = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : Number.NaN;
};

/** ddmm.mmmm + hemisphere → signed degrees; NaN on garbage, undefined when empty. */
function coord(v: string | undefined, hemi: string | undefined, degDigits: 2 | 3): number | undefined {
  if (!v) return undefined;
  const dot = v.indexOf('.');
  const intLen = dot < 0 ? v.length : dot;
  if (intLen !== degDigits + 2 || !/^\d+(\.\d+)?$/.test(v)) return Number.NaN;
  const deg = Number(v.slice(0, degDigits));
  const min = Number(v.slice(degDigits));
  if (min >= 60) return Number.NaN;
  const abs = deg + min / 60;
  if (hemi === 'N' || hemi === 'E') return abs;
  if (hemi === 'S' || hemi === 'W') return -abs;
  return Number.NaN;
}

function tod(v: string | undefined): TimeOfDay | undefined {
  if (!v) return undefined;
  if (!/^\d{6}(\.\d+)?$/.test(v)) return Number.NaN;
  const h = Number(v.slice(0, 2));
  const m = Number(v.slice(2, 4));
  const s = Number(v.slice(4));
  if (h > 23 || m > 59 || s >= 61) return Number.NaN;
  return h * 3600 + m * 60 + s;
}

/** Days since epoch from day, month and a 4-digit year; NaN when out of range. */
function epochDay(d: number, mo: number, y: number): number {
  if (!(d >= 1 && d <= 31 && mo >= 1 && mo <= 12 && y >= 1980)) return Number.NaN;
  return Date.UTC(y, mo - 1, d) / 86_400_000;
}

function ddmmyy(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (!/^\d{6}$/.test(v)) return Number.NaN;
  const yy = Number(v.slice(4, 6));
  // Two-digit years: 80-99 are 19xx (GPS began 1980), the rest 20xx.
  return epochDay(Number(v.slice(0, 2)), Number(v.slice(2, 4)), yy >= 80 ? 1900 + yy : 2000 + yy);
}

const bad = (...vals: (number | undefined)[]) => vals.some((v) => v !== undefined && Number.isNaN(v));

/** Decode the fields of one checksum-verified sentence; undefined = not a type we use; null = malformed. */
export function decodeFields(talker: string, type: string, f: string[]): Sentence | null | undefined {
  switch (type) {
    case 'RMC': {
      const s: Rmc = {
        type,
        talker,
        tod: tod(f[0]),
        valid: f[1] === 'A',
        lat: coord(f[2], f[3], 2),
        lon: coord(f[4], f[5], 3),
        speedMps: f[6] ? num(f[6])! * KNOT_MPS : undefined,
        track: num(f[7]),
        day: ddmmyy(f[8]),
        faa: f[11] || undefined,
      };
      return bad(s.tod, s.lat, s.lon, s.speedMps, s.track, s.day) ? null : s;
    }
    case 'GGA': {
      const s: Gga = {
        type,
        talker,
        tod: tod(f[0]),
        lat: coord(f[1], f[2], 2),
        lon: coord(f[3], f[4], 3),
        quality: f[5] ? Number(f[5]) : 0,
        sats: num(f[6]),
        hdop: num(f[7]),
        altM: num(f[8]),
      };
      return bad(s.tod, s.lat, s.lon, s.quality, s.altM) || f.length < 9 ? null : s;
    }
    case 'GNS': {
      const s: Gns = {
        type,
        talker,
        tod: tod(f[0]),
        lat: coord(f[1], f[2], 2),
        lon: coord(f[3], f[4], 3),
        valid: /[^N]/.test(f[5] ?? 'N') && (f[5] ?? '') !== '',
        sats: num(f[6]),
        hdop: num(f[7]),
        altM: num(f[8]),
      };
      return bad(s.tod, s.lat, s.lon, s.altM) || f.length < 9 ? null : s;
    }
    case 'VTG': {
      // Old-style VTG (pre NMEA 2.3) has no unit letters; both forms carry track first.
      const kn = f[1] === 'T' ? num(f[4]) : num(f[2]);
      const kmh = f[1] === 'T' ? num(f[6]) : num(f[3]);
      const s: Vtg = {
        type,
        talker,
        track: num(f[0]),
        speedMps: kn !== undefined ? kn * KNOT_MPS : kmh !== undefined ? kmh * KMH_MPS : undefined,
        faa: f[1] === 'T' ? f[8] || undefined : undefined,
      };
      return bad(s.track, s.speedMps) ? null : s;
    }
    case 'GSA': {
      const prns = f
        .slice(2, 14)
        .filter((x) => x !== '')
        .map(Number);
      const s: Gsa = {
        type,
        talker,
        fixType: Number(f[1]),
        prns,
        pdop: num(f[14]),
        hdop: num(f[15]),
        vdop: num(f[16]),
      };
      return bad(s.fixType, ...prns) || !(s.fixType >= 1 && s.fixType <= 3) ? null : s;
    }
    case 'GSV': {
      const inView = Number(f[2]);
      return Number.isInteger(inView) ? { type, talker, inView } : null;
    }
    case 'GLL': {
      const s: Gll = {
        type,
        talker,
        lat: coord(f[0], f[1], 2),
        lon: coord(f[2], f[3], 3),
        tod: tod(f[4]),
        valid: f[5] === 'A' && f[6] !== 'N',
      };
      return bad(s.tod, s.lat, s.lon) ? null : s;
    }
    case 'ZDA': {
      const s: Zda = {
        type,
        talker,
        tod: tod(f[0]),
        day: f[1] && f[2] && f[3] ? epochDay(Number(f[1]), Number(f[2]), Number(f[3])) : undefined,
      };
      return bad(s.tod, s.day) ? null : s;
    }
    default:
      return undefined;
  }
}

function hex2(c1: number, c2: number): number {
  const h = (c: number) =>
    c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
  const a = h(c1);
  const b = h(c2);
  return a < 0 || b < 0 ? -1 : a * 16 + b;
}

export interface NmeaReaderOptions {
  /** accept sentences that carry no checksum at all (some old receivers); default false */
  acceptNoChecksum?: boolean;
}

/**
 * Incremental NMEA framer and decoder. `push` any chunk; complete sentences go to `onSentence`.
 * @example
 * const r = new NmeaReader((s) => console.log(s.type));
 * r.push(Buffer.from('$GPGGA,...*5A\r\n'));
 */
export class NmeaReader {
  readonly counters = newNmeaCounters();
  private buf = '';
  private inSentence = false;

  constructor(
    private readonly onSentence: (s: Sentence) => void,
    private readonly opts: NmeaReaderOptions = {},
  ) {}

  push(chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    // The open sentence is this.buf (carried over from earlier chunks) + text[seg, i): slices,
    // not per-character concatenation, keep the hot path cheap.
    let seg = this.inSentence ? 0 : -1;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0) {
        this.counters.nulBytes++;
        if (seg >= 0) {
          this.buf += text.slice(seg, i);
          seg = i + 1;
        }
        continue;
      }
      if (c === 36 /* $ */) {
        // A new start while a sentence is open: either two sentences glued without a line end
        // (the open one ends in *hh) or the open one was cut short.
        if (this.inSentence) {
          const open = this.buf + text.slice(seg, i);
          if (open.length > 3 && open.charCodeAt(open.length - 3) === 42 /* * */) this.finish(open);
          else this.counters.cut++;
        }
        this.inSentence = true;
        this.buf = '';
        seg = i + 1;
        continue;
      }
      if (!this.inSentence) {
        if (c !== 13 && c !== 10) this.counters.garbageBytes++;
        continue;
      }
      if (c === 13 || c === 10) {
        const body = this.buf + text.slice(seg, i);
        this.inSentence = false;
        this.buf = '';
        seg = -1;
        this.finish(body);
        continue;
      }
      if (c < 32 || c > 126 || this.buf.length + (i - seg) >= MAX_LEN) {
        this.counters[c < 32 || c > 126 ? 'malformed' : 'tooLong']++;
        this.inSentence = false;
        this.buf = '';
        seg = -1;
      }
    }
    if (this.inSentence && seg >= 0) this.buf += text.slice(seg);
  }

  /**
   * End of input (end of a recorded file): a sentence still open is complete only if it ends in
   * its checksum; anything else was cut off by the end of the recording.
   */
  end(): void {
    if (!this.inSentence) return;
    const open = this.buf;
    this.inSentence = false;
    this.buf = '';
    if (open.length > 3 && open.charCodeAt(open.length - 3) === 42 /* * */) this.finish(open);
    else this.counters.cut++;
  }

  /** Decode one sentence body (between `$` and the line end). */
  private finish(body: string): void {
    const star = body.lastIndexOf('*');
    let payload = body;
    if (star < 0) {
      if (!this.opts.acceptNoChecksum) {
        this.counters.noChecksum++;
        return;
      }
    } else {
      payload = body.slice(0, star);
      const want = body.length === star + 3 ? hex2(body.charCodeAt(star + 1), body.charCodeAt(star + 2)) : -1;
      let sum = 0;
      for (let i = 0; i < payload.length; i++) sum ^= payload.charCodeAt(i);
      if (want !== sum) {
        this.counters.badChecksum++;
        return;
      }
    }
    const fields = payload.split(',');
    const addr = fields[0];
    if (addr.length !== 5 || addr[0] === 'P') {
      this.counters.unsupported++;
      return;
    }
    const talker = addr.slice(0, 2);
    if (!TALKERS.has(talker)) {
      this.counters.unsupported++;
      return;
    }
    const s = decodeFields(talker, addr.slice(2), fields.slice(1));
    if (s === undefined) this.counters.unsupported++;
    else if (s === null) this.counters.malformed++;
    else {
      this.counters.sentences++;
      this.onSentence(s);
    }
  }
}

/** `GPRMC,...` → `$GPRMC,...*hh\r\n`: for simulators and tests. */
export function formatSentence(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}
