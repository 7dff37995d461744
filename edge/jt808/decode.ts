/**
 * @module edge/jt808/decode
 * One frame's body → a typed message, and a whole capture (hex lines or a raw TCP dump) → the
 * decoded messages plus a count of what was refused. Used by the server, the CLI and the tests.
 */
import {
  type Frame,
  type FrameError,
  FrameSplitter,
  type Header,
  MAX_ESCAPED_FRAME,
  parseFrame,
} from './codec.js';
import {
  type Batch,
  BodyError,
  bcdTime,
  decodeAuth,
  decodeBatch,
  decodeCameraAnswer,
  decodeLocation,
  decodeMediaData,
  decodeMediaEvent,
  decodeRegistration,
  decodeResponse,
  type Location,
  type MediaHead,
  MSG,
  type Registration,
} from './messages.js';

export type Message =
  | { kind: 'register'; registration: Registration }
  | { kind: 'auth'; code: string; imei?: string; software?: string }
  | { kind: 'heartbeat' }
  | { kind: 'logout' }
  | { kind: 'location'; location: Location }
  | { kind: 'locationAnswer'; replySerial: number; location: Location }
  | { kind: 'batch'; batch: Batch }
  | { kind: 'terminalResponse'; replySerial: number; replyId: number; result: number }
  | { kind: 'cameraAnswer'; replySerial: number; result: number; ids: number[] }
  | { kind: 'mediaEvent'; media: MediaHead }
  | { kind: 'mediaData'; media: MediaHead; location?: Location; data: Buffer }
  | { kind: 'vendorStatus'; batteryPct: number; t: number }
  /** a vendor text frame "(...)" outside 0x7e framing */
  | { kind: 'text'; text: string }
  | { kind: 'transparent'; type: number; hex: string }
  /** a message id we do not decode (vendor or unsupported): kept as hex, counted */
  | { kind: 'undecoded'; msgId: number; hex: string };

/**
 * Decode a complete (reassembled) body by message id.
 * @throws BodyError when the body is too short or malformed for its id
 */
export function decodeBody(h: Pick<Header, 'msgId' | 'version'>, body: Buffer): Message {
  switch (h.msgId) {
    case MSG.register:
      return { kind: 'register', registration: decodeRegistration(body, h.version) };
    case MSG.auth:
      return { kind: 'auth', ...decodeAuth(body, h.version) };
    case MSG.heartbeat:
      return { kind: 'heartbeat' };
    case MSG.logout:
      return { kind: 'logout' };
    case MSG.location:
      return { kind: 'location', location: decodeLocation(body) };
    case MSG.locationAnswer:
      if (body.length < 2) throw new BodyError('location answer: no reply serial');
      return {
        kind: 'locationAnswer',
        replySerial: body.readUInt16BE(0),
        location: decodeLocation(body.subarray(2)),
      };
    case MSG.batch:
      return { kind: 'batch', batch: decodeBatch(body) };
    case MSG.locationBatch2:
      return decodeBatch2(body);
    case MSG.terminalResponse:
      return { kind: 'terminalResponse', ...decodeResponse(body) };
    case MSG.cameraAnswer:
      return { kind: 'cameraAnswer', ...decodeCameraAnswer(body) };
    case MSG.multimediaEvent:
      return { kind: 'mediaEvent', media: decodeMediaEvent(body) };
    case MSG.multimediaData: {
      const m = decodeMediaData(body);
      return { kind: 'mediaData', media: m, location: m.location, data: m.data };
    }
    case MSG.transparent:
      if (!body.length) throw new BodyError('transparent data: empty body');
      return { kind: 'transparent', type: body[0]!, hex: body.subarray(1).toString('hex') };
    default:
      return { kind: 'undecoded', msgId: h.msgId, hex: body.toString('hex') };
  }
}

/**
 * 0x0210 is not in JT/T 808; terminals that send it use two forms: 7 bytes (battery % and a BCD
 * time, no position) or a batch of location bodies each with a 1-byte length.
 */
function decodeBatch2(body: Buffer): Message {
  if (body.length === 7) return { kind: 'vendorStatus', batteryPct: body[0]!, t: bcdTime(body.subarray(1)) };
  const batch: Batch = { type: 0, locations: [], errors: [] };
  let o = 0;
  while (o + 1 <= body.length) {
    const len = body[o]!;
    const item = body.subarray(o + 1, o + 1 + len);
    o += 1 + len;
    try {
      batch.locations.push(decodeLocation(item));
    } catch (e) {
      batch.errors.push((e as Error).message);
    }
  }
  return { kind: 'batch', batch };
}

/** Every position a message carries (with the blind-area flag of a 0x0704 re-send). */
export function positionsOf(m: Message): { location: Location; blindArea: boolean }[] {
  if (m.kind === 'location' || m.kind === 'locationAnswer')
    return [{ location: m.location, blindArea: false }];
  if (m.kind === 'batch')
    return m.batch.locations.map((location) => ({ location, blindArea: m.batch.type === 1 }));
  return [];
}

export interface DecodedFrame {
  /** byte offset of the segment in the capture (hex lines: the line number) */
  at: number;
  header?: Header;
  message?: Message;
  /** lenient decoding: what strict decoding refuses (badChecksum, badEscape, lengthMismatch) */
  warnings?: string[];
  error?: { problem: string; message: string };
}

/** Decode one escaped segment (what lay between two 0x7e) to a frame and its message. */
export function decodeSegment(seg: Uint8Array, at = 0, lenient = false): DecodedFrame {
  let frame: Frame;
  try {
    frame = parseFrame(seg, lenient);
  } catch (e) {
    const fe = e as FrameError;
    if (fe.problem === 'textFrame')
      return { at, message: { kind: 'text', text: Buffer.from(seg).toString('latin1') } };
    return { at, header: fe.header, error: { problem: fe.problem ?? 'malformed', message: fe.message } };
  }
  const warnings = frame.warnings ? { warnings: frame.warnings } : {};
  if (frame.header.packages && frame.header.packages.total > 1)
    return {
      at,
      header: frame.header,
      ...warnings,
      error: { problem: 'subpackage', message: 'one part of a sub-packaged message' },
    };
  try {
    return { at, header: frame.header, ...warnings, message: decodeBody(frame.header, frame.body) };
  } catch (e) {
    return {
      at,
      header: frame.header,
      ...warnings,
      error: { problem: 'badBody', message: (e as Error).message },
    };
  }
}

const HEX_LINE = /^[0-9a-fA-F\s]+$/;

/**
 * A capture file: text with one hex frame per line (`#` lines and blanks ignored), or raw bytes
 * as they came off a TCP connection.
 */
export function decodeCapture(bytes: Buffer, lenient = false): DecodedFrame[] {
  const text = bytes.toString('latin1');
  const out: DecodedFrame[] = [];
  const lines = text.split(/\r?\n/);
  const isHex = lines.every((l) => !l.trim() || l.trimStart().startsWith('#') || HEX_LINE.test(l.trim()));
  if (isHex && text.trim()) {
    lines.forEach((l, i) => {
      const s = l.trim().replace(/\s+/g, '');
      if (!s || s.startsWith('#')) return;
      if (s.length % 2) {
        out.push({
          at: i + 1,
          error: { problem: 'oddHex', message: `line ${i + 1}: odd number of hex digits` },
        });
        return;
      }
      const b = Buffer.from(s, 'hex');
      // lenient: one line is one frame, flags inside it are data (published test frames do that)
      if (lenient && b[0] === 0x7e && b[b.length - 1] === 0x7e && b.length > 2)
        out.push(decodeSegment(b.subarray(1, -1), i + 1, true));
      else decodeStream(b, () => i + 1, out, lenient);
    });
    return out;
  }
  decodeStream(bytes, (off) => off, out, lenient);
  return out;
}

function decodeStream(
  b: Buffer,
  where: (offset: number) => number,
  out: DecodedFrame[],
  lenient = false,
): void {
  const split = new FrameSplitter();
  split.push(
    b,
    (seg, off) => out.push(decodeSegment(seg, where(off), lenient)),
    (off) =>
      out.push({
        at: where(off),
        error: { problem: 'tooLong', message: `no 0x7e flag within ${MAX_ESCAPED_FRAME} bytes` },
      }),
  );
  const rest = split.takePending();
  if (!rest) return;
  // a text frame "(...)" has no flags; anything else without a closing flag is cut
  const d = decodeSegment(rest.seg, where(rest.offset));
  out.push(
    d.message?.kind === 'text'
      ? d
      : {
          at: where(rest.offset),
          error: {
            problem: 'cut',
            message: `${rest.seg.length} bytes after the last 0x7e flag, no closing flag`,
          },
        },
  );
}

/** A capture as JSON lines (one per frame) and a summary: messages by id, refusals by problem. */
export function summariseJt808(
  bytes: Buffer,
  lenient = false,
): { lines: string[]; summary: Record<string, unknown> } {
  const frames = decodeCapture(bytes, lenient);
  const messages: Record<string, number> = {};
  const rejected: Record<string, number> = {};
  const lines: string[] = [];
  for (const f of frames) {
    if (f.error) rejected[f.error.problem] = (rejected[f.error.problem] ?? 0) + 1;
    const id = f.header ? `0x${f.header.msgId.toString(16).padStart(4, '0')}` : undefined;
    if (id && f.message) messages[id] = (messages[id] ?? 0) + 1;
    lines.push(
      JSON.stringify({
        at: f.at,
        msgId: id ?? null,
        phone: f.header?.phone ?? null,
        serial: f.header?.serial ?? null,
        version: f.header?.version ?? null,
        ...(f.warnings ? { warnings: f.warnings } : {}),
        ...(f.error ? { error: f.error } : {}),
        ...(f.message ? { message: jsonMessage(f.message) } : {}),
      }),
    );
  }
  const positions = frames.reduce((n, f) => n + (f.message ? positionsOf(f.message).length : 0), 0);
  return { lines, summary: { frames: frames.length, positions, messages, rejected } };
}

/** Times as ISO strings, media bytes as their length. */
function jsonMessage(m: Message): unknown {
  const iso = (l: Location) => ({ ...l, t: new Date(l.t).toISOString() });
  if (m.kind === 'location' || m.kind === 'locationAnswer') return { ...m, location: iso(m.location) };
  if (m.kind === 'batch') return { ...m, batch: { ...m.batch, locations: m.batch.locations.map(iso) } };
  if (m.kind === 'mediaData')
    return { ...m, location: m.location && iso(m.location), data: undefined, bytes: m.data.length };
  if (m.kind === 'vendorStatus') return { ...m, t: new Date(m.t).toISOString() };
  return m;
}
