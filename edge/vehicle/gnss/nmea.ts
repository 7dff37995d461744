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
const TALKER_LIST = ['GP', 'GN', 'BD', 'GB', 'GL', 'GA'] as const;
/** Longest sentence we accept; NMEA says 82, real receivers send longer (8-decimal minutes). */
const MAX_LEN = 160;
const KNOT_MPS = 1852 / 3600;
const KMH_MPS = 1 / 3.6;

/**
 * The comma-separated fields of one sentence as offsets into the text it arrived in: reused for
 * every sentence (no split array, no substrings); values are parsed from the characters.
 */
class Fields {
  text = '';
  n = 0;
  readonly starts = new Int32Array(64);
  readonly ends = new Int32Array(64);

  /**
   * Split text[from, to) at commas, in the same pass as the XOR checksum of those characters;
   * returns the checksum, or -1 when there are more fields than any sentence has.
   */
  split(text: string, from: number, to: number): number {
    this.text = text;
    let n = 0;
    let a = from;
    let sum = 0;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      sum ^= c;
      if (c === 44 /* , */) {
        if (n === 63) return -1;
        this.starts[n] = a;
        this.ends[n++] = i;
        a = i + 1;
      }
    }
    this.starts[n] = a;
    this.ends[n++] = to;
    this.n = n;
    return sum;
  }

  /** field i of the sentence body (0 = the first after the address) */
  empty(i: number): boolean {
    return i + 1 >= this.n || this.starts[i + 1] === this.ends[i + 1];
  }
  str(i: number): string | undefined {
    return i + 1 >= this.n ? undefined : this.text.slice(this.starts[i + 1], this.ends[i + 1]);
  }
  char(i: number): number {
    return this.empty(i) ? -1 : this.text.charCodeAt(this.starts[i + 1]);
  }
  /** a number; undefined when empty, NaN when not a finite number */
  num(i: number): number | undefined {
    if (this.empty(i)) return undefined;
    const v = decimal(this.text, this.starts[i + 1], this.ends[i + 1]);
    if (v !== undefined) return v;
    const x = Number(this.str(i)); // rare forms (exponents, spaces): the general parser
    return Number.isFinite(x) ? x : Number.NaN;
  }
}

/**
 * digits[.digits] with an optional sign as a number, read from the characters; undefined for any
 * other form. All digits as one integer over one power of ten: one correctly rounded division,
 * the same value Number() gives (up to 15 significant digits).
 */
function decimal(t: string, a: number, b: number): number | undefined {
  let i = a;
  let sign = 1;
  const c0 = t.charCodeAt(i);
  if (c0 === 45 /* - */ || c0 === 43 /* + */) {
    sign = c0 === 45 ? -1 : 1;
    i++;
  }
  let m = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  for (; i < b; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) scale++;
    } else if (c === 46 /* . */ && !dot) dot = true;
    else return undefined;
  }
  if (digits === 0 || digits > 15 || (dot && scale === 0)) return undefined;
  return (sign * m) / 10 ** scale;
}

/** Only digits in t[a, b). */
function allDigits(t: string, a: number, b: number): boolean {
  if (a >= b) return false;
  for (let i = a; i < b; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** ddmm.mmmm + hemisphere → signed degrees; NaN on garbage, undefined when empty. */
function coord(f: Fields, i: number, degDigits: 2 | 3): number | undefined {
  if (f.empty(i)) return undefined;
  const t = f.text;
  const a = f.starts[i + 1];
  const b = f.ends[i + 1];
  let dot = -1;
  for (let k = a; k < b; k++) if (t.charCodeAt(k) === 46) dot = k;
  const intEnd = dot < 0 ? b : dot;
  if (intEnd - a !== degDigits + 2 || !allDigits(t, a, intEnd) || (dot >= 0 && !allDigits(t, dot + 1, b)))
    return Number.NaN;
  const deg = decimal(t, a, a + degDigits)!;
  const min = decimal(t, a + degDigits, b) ?? Number.NaN;
  if (min >= 60) return Number.NaN;
  const abs = deg + min / 60;
  const hemi = f.char(i + 1);
  if (hemi === 78 /* N */ || hemi === 69 /* E */) return abs;
  if (hemi === 83 /* S */ || hemi === 87 /* W */) return -abs;
  return Number.NaN;
}

function tod(f: Fields, i: number): TimeOfDay | undefined {
  if (f.empty(i)) return undefined;
  const t = f.text;
  const a = f.starts[i + 1];
  const b = f.ends[i + 1];
  const dotOk = b === a + 6 || (b > a + 7 && t.charCodeAt(a + 6) === 46 && allDigits(t, a + 7, b));
  if (!allDigits(t, a, a + 6) || !dotOk) return Number.NaN;
  const h = decimal(t, a, a + 2)!;
  const m = decimal(t, a + 2, a + 4)!;
  const sec = decimal(t, a + 4, b) ?? Number.NaN;
  if (h > 23 || m > 59 || sec >= 61) return Number.NaN;
  return h * 3600 + m * 60 + sec;
}

/** Days since epoch from day, month and a 4-digit year; NaN when out of range. */
function epochDay(d: number, mo: number, y: number): number {
  if (!(d >= 1 && d <= 31 && mo >= 1 && mo <= 12 && y >= 1980)) return Number.NaN;
  return Date.UTC(y, mo - 1, d) / 86_400_000;
}

function ddmmyy(f: Fields, i: number): number | undefined {
  if (f.empty(i)) return undefined;
  const t = f.text;
  const a = f.starts[i + 1];
  if (f.ends[i + 1] !== a + 6 || !allDigits(t, a, a + 6)) return Number.NaN;
  const yy = decimal(t, a + 4, a + 6)!;
  // Two-digit years: 80-99 are 19xx (GPS began 1980), the rest 20xx.
  return epochDay(decimal(t, a, a + 2)!, decimal(t, a + 2, a + 4)!, yy >= 80 ? 1900 + yy : 2000 + yy);
}

/** NaN marks a field that was there but unreadable (no rest array, no closure: this runs per sentence). */
const nan = (v: number | undefined) => v !== undefined && Number.isNaN(v);

/** Body field count (without the address), as `split(',').length - 1` counted it. */
const count = (f: Fields) => f.n - 1;

/** Decode the fields of one checksum-verified sentence; undefined = not a type we use; null = malformed. */
function decodeFields(talker: string, type: string, f: Fields): Sentence | null | undefined {
  switch (type) {
    case 'RMC': {
      const knots = f.num(6);
      const s: Rmc = {
        type,
        talker,
        tod: tod(f, 0),
        valid: f.char(1) === 65 /* A */ && f.ends[2] - f.starts[2] === 1,
        lat: coord(f, 2, 2),
        lon: coord(f, 4, 3),
        speedMps: knots === undefined ? undefined : knots * KNOT_MPS,
        track: f.num(7),
        day: ddmmyy(f, 8),
        faa: f.str(11) || undefined,
      };
      return nan(s.tod) || nan(s.lat) || nan(s.lon) || nan(s.speedMps) || nan(s.track) || nan(s.day)
        ? null
        : s;
    }
    case 'GGA': {
      const s: Gga = {
        type,
        talker,
        tod: tod(f, 0),
        lat: coord(f, 1, 2),
        lon: coord(f, 3, 3),
        quality: f.empty(5) ? 0 : (f.num(5) as number),
        sats: f.num(6),
        hdop: f.num(7),
        altM: f.num(8),
      };
      return nan(s.tod) || nan(s.lat) || nan(s.lon) || nan(s.quality) || nan(s.altM) || count(f) < 9
        ? null
        : s;
    }
    case 'GNS': {
      const modes = f.str(5) ?? '';
      const s: Gns = {
        type,
        talker,
        tod: tod(f, 0),
        lat: coord(f, 1, 2),
        lon: coord(f, 3, 3),
        valid: /[^N]/.test(modes) && modes !== '',
        sats: f.num(6),
        hdop: f.num(7),
        altM: f.num(8),
      };
      return nan(s.tod) || nan(s.lat) || nan(s.lon) || nan(s.altM) || count(f) < 9 ? null : s;
    }
    case 'VTG': {
      // Old-style VTG (pre NMEA 2.3) has no unit letters; both forms carry track first.
      const unitLetters = f.char(1) === 84 /* T */ && f.ends[2] - f.starts[2] === 1;
      const kn = unitLetters ? f.num(4) : f.num(2);
      const kmh = unitLetters ? f.num(6) : f.num(3);
      const s: Vtg = {
        type,
        talker,
        track: f.num(0),
        speedMps: kn !== undefined ? kn * KNOT_MPS : kmh !== undefined ? kmh * KMH_MPS : undefined,
        faa: unitLetters ? f.str(8) || undefined : undefined,
      };
      return nan(s.track) || nan(s.speedMps) ? null : s;
    }
    case 'GSA': {
      const prns: number[] = [];
      for (let k = 2; k < 14; k++) if (!f.empty(k)) prns.push(f.num(k) ?? Number.NaN);
      const fixType = f.empty(1) ? 0 : (f.num(1) as number);
      const s: Gsa = { type, talker, fixType, prns, pdop: f.num(14), hdop: f.num(15), vdop: f.num(16) };
      return nan(s.fixType) || prns.some(Number.isNaN) || !(s.fixType >= 1 && s.fixType <= 3) ? null : s;
    }
    case 'GSV': {
      const inView = f.str(2) === undefined ? Number.NaN : f.empty(2) ? 0 : f.num(2);
      return inView !== undefined && Number.isInteger(inView) ? { type, talker, inView } : null;
    }
    case 'GLL': {
      const s: Gll = {
        type,
        talker,
        lat: coord(f, 0, 2),
        lon: coord(f, 2, 3),
        tod: tod(f, 4),
        valid: f.char(5) === 65 && f.ends[6] - f.starts[6] === 1 && f.str(6) !== 'N',
      };
      return nan(s.tod) || nan(s.lat) || nan(s.lon) ? null : s;
    }
    case 'ZDA': {
      const day =
        !f.empty(1) && !f.empty(2) && !f.empty(3)
          ? epochDay(f.num(1) ?? Number.NaN, f.num(2) ?? Number.NaN, f.num(3) ?? Number.NaN)
          : undefined;
      const s: Zda = { type, talker, tod: tod(f, 0), day };
      return nan(s.tod) || nan(s.day) ? null : s;
    }
    default:
      return undefined;
  }
}

const hexDigit = (c: number) =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;

function hex2(c1: number, c2: number): number {
  const a = hexDigit(c1);
  const b = hexDigit(c2);
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
  private readonly fields = new Fields();
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
          if (open.length > 3 && open.charCodeAt(open.length - 3) === 42 /* * */)
            this.finish(open, 0, open.length);
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
        // usually the whole sentence is in this chunk: decode it in place, no substring
        const carried = this.buf;
        this.inSentence = false;
        this.buf = '';
        if (carried) {
          const body = carried + text.slice(seg, i);
          this.finish(body, 0, body.length);
        } else this.finish(text, seg, i);
        seg = -1;
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
    if (open.length > 3 && open.charCodeAt(open.length - 3) === 42 /* * */) this.finish(open, 0, open.length);
    else this.counters.cut++;
  }

  /** Decode one sentence body t[a, b) (between `$` and the line end): checksum and fields read in place. */
  private finish(t: string, a: number, b: number): void {
    let star = -1;
    for (let i = b - 1; i >= a; i--)
      if (t.charCodeAt(i) === 42 /* * */) {
        star = i;
        break;
      }
    const f = this.fields;
    const sum = f.split(t, a, star < 0 ? b : star);
    if (star < 0) {
      if (!this.opts.acceptNoChecksum) {
        this.counters.noChecksum++;
        return;
      }
    } else {
      const want = b === star + 3 ? hex2(t.charCodeAt(star + 1), t.charCodeAt(star + 2)) : -1;
      if (want !== sum && sum >= 0) {
        this.counters.badChecksum++;
        return;
      }
    }
    if (sum < 0) {
      this.counters.malformed++;
      return;
    }
    if (f.ends[0] - a !== 5 || t.charCodeAt(a) === 80 /* P */) {
      this.counters.unsupported++;
      return;
    }
    const talker = talkerOf(t.charCodeAt(a), t.charCodeAt(a + 1));
    if (!talker) {
      this.counters.unsupported++;
      return;
    }
    const s = decodeFields(talker, typeOf(t, a), f);
    if (s === undefined) this.counters.unsupported++;
    else if (s === null) this.counters.malformed++;
    else {
      this.counters.sentences++;
      this.onSentence(s);
    }
  }
}

/** The talker of `$XX…` when it is one we take positions from (interned strings, no slicing). */
function talkerOf(a: number, b: number): string | undefined {
  for (const t of TALKER_LIST) if (t.charCodeAt(0) === a && t.charCodeAt(1) === b) return t;
  return undefined;
}

const TYPES = ['RMC', 'GGA', 'GNS', 'VTG', 'GSA', 'GSV', 'GLL', 'ZDA'] as const;
function typeOf(t: string, at: number): string {
  const a = t.charCodeAt(at + 2);
  const b = t.charCodeAt(at + 3);
  const c = t.charCodeAt(at + 4);
  for (const t of TYPES)
    if (t.charCodeAt(0) === a && t.charCodeAt(1) === b && t.charCodeAt(2) === c) return t;
  return '';
}

/** `GPRMC,...` → `$GPRMC,...*hh\r\n`: for simulators and tests. */
export function formatSentence(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return `$${body}*${x.toString(16).toUpperCase().padStart(2, '0')}\r\n`;
}
