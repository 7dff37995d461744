/**
 * @module edge/jt808/codec
 * JT/T 808 framing: 0x7e-delimited frames, 0x7d escaping (0x7d 0x02 = 0x7e, 0x7d 0x01 = 0x7d),
 * XOR checksum over header and body, the 2013 header (6-byte BCD phone) and the 2019 header
 * (bit 14 of the properties, a version byte, 10-byte BCD phone), sub-package fields. No I/O:
 * `FrameSplitter.push(bytes)` yields complete candidates; `parseFrame` checks and splits one.
 */

export const FLAG = 0x7e;
export const ESC = 0x7d;
/** 2019 header + sub-package fields + 1023-byte body + checksum, every byte escaped */
export const MAX_ESCAPED_FRAME = 2 * (17 + 4 + 1023 + 1);

export interface Header {
  msgId: number;
  bodyLength: number;
  /** bits 10-12 of the properties: 0 plain, 1 RSA */
  encryption: number;
  /** 2019 protocol version byte when bit 14 is set; undefined for 2011/2013 headers */
  version?: number;
  /** terminal phone number as BCD digits (12 or 20) */
  phone: string;
  serial: number;
  /** sub-package: total count and this package's 1-based index */
  packages?: { total: number; index: number };
}

export interface Frame {
  header: Header;
  body: Buffer;
  /** lenient parsing only: what strict parsing would have refused */
  warnings?: FrameProblem[];
}

export type FrameProblem =
  | 'badEscape'
  | 'badChecksum'
  | 'tooShort'
  | 'lengthMismatch'
  | 'tooLong'
  | 'cut'
  | 'textFrame';

export class FrameError extends Error {
  constructor(
    readonly problem: FrameProblem,
    message: string,
    /** the header when it could be read (for an error response) */
    readonly header?: Header,
  ) {
    super(message);
  }
}

/** Vendor messages seen on real terminals (0x5501/0x5502 lock reports) carry a 1-byte serial. */
const SHORT_SERIAL = new Set([0x5501, 0x5502]);

/** Undo 0x7d escaping; lenient keeps a 0x7d followed by anything else as it is. */
export function unescapeBytes(seg: Uint8Array, lenient = false): Buffer {
  const out = Buffer.allocUnsafe(seg.length);
  let n = 0;
  for (let i = 0; i < seg.length; i++) {
    const b = seg[i]!;
    if (b !== ESC) {
      out[n++] = b;
      continue;
    }
    const next = seg[++i];
    if (next === 0x01) out[n++] = ESC;
    else if (next === 0x02) out[n++] = FLAG;
    else if (lenient) {
      out[n++] = b;
      i--;
    } else
      throw new FrameError(
        'badEscape',
        `0x7d followed by ${next === undefined ? 'nothing' : `0x${next.toString(16).padStart(2, '0')}`} at byte ${i}`,
      );
  }
  return out.subarray(0, n);
}

export function escapeBytes(raw: Uint8Array): Buffer {
  let extra = 0;
  for (const b of raw) if (b === FLAG || b === ESC) extra++;
  const out = Buffer.allocUnsafe(raw.length + extra);
  let n = 0;
  for (const b of raw) {
    if (b === FLAG) {
      out[n++] = ESC;
      out[n++] = 0x02;
    } else if (b === ESC) {
      out[n++] = ESC;
      out[n++] = 0x01;
    } else out[n++] = b;
  }
  return out;
}

export function xor(b: Uint8Array, from = 0, to = b.length): number {
  let c = 0;
  for (let i = from; i < to; i++) c ^= b[i]!;
  return c;
}

export function bcd(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += (x >> 4).toString(16) + (x & 0xf).toString(16);
  return s;
}

export function toBcd(digits: string, bytes: number): Buffer {
  const s = digits.padStart(bytes * 2, '0').slice(-bytes * 2);
  return Buffer.from(s, 'hex');
}

function readHeader(u: Buffer): { header: Header; offset: number } {
  if (u.length < 13) throw new FrameError('tooShort', `frame of ${u.length} bytes is shorter than a header`);
  const msgId = u.readUInt16BE(0);
  const props = u.readUInt16BE(2);
  let o = 4;
  let version: number | undefined;
  if (props & 0x4000) version = u[o++];
  const phoneLen = version === undefined ? 6 : 10;
  if (u.length < o + phoneLen + 2 + 1)
    throw new FrameError('tooShort', `frame of ${u.length} bytes is cut in its header`);
  const phone = bcd(u.subarray(o, o + phoneLen));
  o += phoneLen;
  let serial: number;
  if (SHORT_SERIAL.has(msgId)) serial = u[o++]!;
  else {
    serial = u.readUInt16BE(o);
    o += 2;
  }
  const header: Header = {
    msgId,
    bodyLength: props & 0x3ff,
    encryption: (props >> 10) & 0x7,
    version,
    phone,
    serial,
  };
  if (props & 0x2000 && !SHORT_SERIAL.has(msgId)) {
    if (u.length < o + 4 + 1) throw new FrameError('tooShort', 'frame cut in its sub-package fields', header);
    header.packages = { total: u.readUInt16BE(o), index: u.readUInt16BE(o + 2) };
    o += 4;
  }
  return { header, offset: o };
}

/**
 * Check and split one frame: `seg` is what lay between two 0x7e flags (still escaped).
 * `lenient` (the field CLI, the published test frames) turns checksum, escape and length
 * problems into warnings instead of refusing the frame; the server is always strict.
 * @throws FrameError naming the problem and the offset
 */
export function parseFrame(seg: Uint8Array, lenient = false): Frame {
  if (seg[0] === 0x28 && seg[seg.length - 1] === 0x29)
    throw new FrameError('textFrame', `text frame ${Buffer.from(seg).toString('latin1')}`);
  const warnings: FrameProblem[] = [];
  let u: Buffer;
  try {
    u = unescapeBytes(seg);
  } catch (e) {
    if (!lenient) throw e;
    warnings.push('badEscape');
    u = unescapeBytes(seg, true);
  }
  const { header, offset } = readHeader(u);
  const sum = xor(u, 0, u.length - 1);
  if (sum !== u[u.length - 1] && lenient) warnings.push('badChecksum');
  else if (sum !== u[u.length - 1])
    throw new FrameError(
      'badChecksum',
      `checksum 0x${u[u.length - 1]!.toString(16)} at byte ${u.length - 1}, computed 0x${sum.toString(16)}`,
      header,
    );
  const body = u.subarray(offset, u.length - 1);
  if (body.length !== header.bodyLength && lenient) warnings.push('lengthMismatch');
  else if (body.length !== header.bodyLength)
    throw new FrameError(
      'lengthMismatch',
      `message 0x${header.msgId.toString(16).padStart(4, '0')} declares a ${header.bodyLength}-byte body, has ${body.length}`,
      header,
    );
  return warnings.length ? { header, body, warnings } : { header, body };
}

export interface EncodeHeader {
  msgId: number;
  phone: string;
  serial: number;
  /** 2019 header with this version byte */
  version?: number;
  packages?: { total: number; index: number };
}

/** Build one escaped frame with both flags. */
export function encodeFrame(h: EncodeHeader, body: Uint8Array = Buffer.alloc(0)): Buffer {
  if (body.length > 0x3ff) throw new Error(`body of ${body.length} bytes: more than 1023 needs sub-packages`);
  const v19 = h.version !== undefined;
  const props = body.length | (v19 ? 0x4000 : 0) | (h.packages ? 0x2000 : 0);
  const parts: Buffer[] = [Buffer.from([h.msgId >> 8, h.msgId & 0xff, props >> 8, props & 0xff])];
  if (v19) parts.push(Buffer.from([h.version!]));
  parts.push(toBcd(h.phone, v19 ? 10 : 6));
  parts.push(Buffer.from([(h.serial >> 8) & 0xff, h.serial & 0xff]));
  if (h.packages) {
    const p = Buffer.alloc(4);
    p.writeUInt16BE(h.packages.total, 0);
    p.writeUInt16BE(h.packages.index, 2);
    parts.push(p);
  }
  parts.push(Buffer.from(body));
  const raw = Buffer.concat(parts);
  return Buffer.concat([
    Buffer.from([FLAG]),
    escapeBytes(Buffer.concat([raw, Buffer.from([xor(raw)])])),
    Buffer.from([FLAG]),
  ]);
}

/**
 * Splits a TCP byte stream on 0x7e flags. Empty segments (the 0x7e 0x7e between frames) are
 * skipped; a segment that grows past `maxBytes` without a flag is dropped up to the next flag.
 */
export class FrameSplitter {
  private buf: Buffer[] = [];
  private len = 0;
  private skipping = false;
  /** stream offset of the first byte of the next chunk, and of the segment being collected */
  private pos = 0;
  private segStart = 0;
  /** segments dropped because they grew too long */
  tooLong = 0;

  constructor(private readonly maxBytes = MAX_ESCAPED_FRAME) {}

  /**
   * Feed bytes; `onSegment` gets each complete non-empty segment with its stream offset,
   * `onTooLong` each overlong one (dropped up to the next flag).
   */
  push(
    chunk: Uint8Array,
    onSegment: (seg: Buffer, offset: number) => void,
    onTooLong: (offset: number) => void,
  ): void {
    let start = 0;
    for (;;) {
      const i = chunk.indexOf(FLAG, start);
      const end = i < 0 ? chunk.length : i;
      if (!this.skipping && end > start) {
        if (!this.len) this.segStart = this.pos + start;
        this.buf.push(Buffer.from(chunk.subarray(start, end)));
        this.len += end - start;
        if (this.len > this.maxBytes) {
          this.buf = [];
          this.len = 0;
          this.skipping = true;
          this.tooLong++;
          onTooLong(this.segStart);
        }
      }
      if (i < 0) break;
      if (!this.skipping && this.len > 0) {
        const seg = this.buf.length === 1 ? this.buf[0]! : Buffer.concat(this.buf, this.len);
        this.buf = [];
        this.len = 0;
        onSegment(seg, this.segStart);
      }
      this.skipping = false;
      start = i + 1;
    }
    this.pos += chunk.length;
  }

  /** bytes held of a frame not yet ended (a cut frame when the stream ends here) */
  pending(): number {
    return this.len;
  }

  /** the held bytes and their offset, when the stream ended without a closing flag */
  takePending(): { seg: Buffer; offset: number } | undefined {
    if (!this.len) return undefined;
    const seg = Buffer.concat(this.buf, this.len);
    this.buf = [];
    this.len = 0;
    return { seg, offset: this.segStart };
  }
}
