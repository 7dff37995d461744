/**
 * @module edge/vehicle/can/dbc
 * A small DBC reader: messages (`BO_`) and their signals (`SG_`: start bit, length, Intel or
 * Motorola byte order, sign, factor, offset, unit). For J1939 the message is matched by PGN and the
 * source address in the DBC id is ignored (a DBC says 0xFE; real ECUs use their own addresses).
 * Multiplexed signals (`M` multiplexor, `mN` present when the multiplexor reads N) are decoded per
 * frame: only those of the multiplexor value the frame carries. Value tables and attributes are
 * read past, not used.
 */
import { j1939Id } from './j1939.js';

export interface DbcSignal {
  name: string;
  start: number;
  length: number;
  littleEndian: boolean;
  signed: boolean;
  factor: number;
  offset: number;
  min: number;
  max: number;
  unit: string;
  /** this signal is the message's multiplexor (`M`) */
  multiplexor?: boolean;
  /** present only when the multiplexor reads this value (`mN`) */
  muxValue?: number;
}

export interface DbcMessage {
  /** CAN id without the DBC extended flag */
  id: number;
  ext: boolean;
  name: string;
  dlc: number;
  /** J1939 PGN (extended ids only) */
  pgn?: number;
  signals: DbcSignal[];
}

export interface Dbc {
  messages: DbcMessage[];
  byPgn: Map<number, DbcMessage>;
}

const BO = /^BO_\s+(\d+)\s+(\w+)\s*:\s*(\d+)\s+\S+/;
const SG =
  /^SG_\s+(\w+)\s*(M|m\d+M?)?\s*:\s*(\d+)\|(\d+)@([01])([+-])\s*\(([^,]+),([^)]+)\)\s*\[([^|]*)\|([^\]]*)\]\s*"([^"]*)"/;

/**
 * Parse DBC text; throws with the line number on a `BO_`/`SG_` line it cannot read.
 * @example
 * const dbc = parseDbc(fs.readFileSync('edge/vehicle/can/muck-truck.dbc', 'utf8'));
 */
export function parseDbc(text: string): Dbc {
  const messages: DbcMessage[] = [];
  let cur: DbcMessage | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('BO_ ')) {
      const m = BO.exec(line);
      if (!m) throw new Error(`DBC line ${i + 1}: cannot read message: ${line}`);
      const rawId = Number(m[1]);
      const ext = rawId >= 0x80000000;
      const id = ext ? rawId - 0x80000000 : rawId;
      cur = { id, ext, name: m[2], dlc: Number(m[3]), signals: [], pgn: ext ? j1939Id(id).pgn : undefined };
      messages.push(cur);
    } else if (line.startsWith('SG_ ')) {
      const m = SG.exec(line);
      if (!m || !cur) throw new Error(`DBC line ${i + 1}: cannot read signal: ${line}`);
      const mux = m[2];
      cur.signals.push({
        name: m[1],
        start: Number(m[3]),
        length: Number(m[4]),
        littleEndian: m[5] === '1',
        signed: m[6] === '-',
        factor: Number(m[7]),
        offset: Number(m[8]),
        min: Number(m[9]),
        max: Number(m[10]),
        unit: m[11],
        ...(mux === 'M' ? { multiplexor: true } : {}),
        ...(mux?.startsWith('m') ? { muxValue: Number.parseInt(mux.slice(1), 10) } : {}),
      });
    } else if (line !== '' && !line.startsWith('SG_')) cur = line.startsWith('BO_') ? cur : undefined;
  });
  const byPgn = new Map<number, DbcMessage>();
  for (const m of messages) if (m.pgn !== undefined && !byPgn.has(m.pgn)) byPgn.set(m.pgn, m);
  return { messages, byPgn };
}

/** Raw unsigned bits of a signal, as a number (safe up to 53 bits). */
function rawBits(data: Uint8Array, s: DbcSignal): number | undefined {
  let v = 0;
  if (s.littleEndian) {
    if (s.start + s.length > data.length * 8) return undefined;
    for (let i = s.length - 1; i >= 0; i--) {
      const bit = s.start + i;
      v = v * 2 + ((data[bit >> 3] >> (bit & 7)) & 1);
    }
    return v;
  }
  // Motorola: start is the MSB in DBC's sawtooth numbering.
  let bit = s.start;
  for (let i = 0; i < s.length; i++) {
    if (bit >> 3 >= data.length) return undefined;
    v = v * 2 + ((data[bit >> 3] >> (bit & 7)) & 1);
    bit = (bit & 7) === 0 ? bit + 15 : bit - 1;
  }
  return v;
}

/** J1939 reserves the top of each range for "error" and "not available". */
function j1939Available(raw: number, length: number): boolean {
  if (length === 1) return true;
  if (length === 2) return raw !== 3;
  if (length % 8 === 0) {
    const bytes = length / 8;
    const top = 2 ** length;
    // 0xFB.. upwards in the most significant byte is error/NA
    return raw < top - 5 * 2 ** ((bytes - 1) * 8);
  }
  return raw !== 2 ** length - 1;
}

export interface DecodedSignal {
  name: string;
  value: number;
  unit: string;
}

/**
 * Decode a message's signals; signals beyond the data or marked not-available are left out.
 * @param j1939 apply J1939's not-available ranges (default true)
 */
export function decodeSignals(msg: DbcMessage, data: Uint8Array, j1939 = true): DecodedSignal[] {
  const out: DecodedSignal[] = [];
  const muxSignal = msg.signals.find((s) => s.multiplexor && s.muxValue === undefined);
  const mux = muxSignal && rawBits(data, muxSignal);
  for (const s of msg.signals) {
    // a multiplexed signal exists in this frame only for its multiplexor value
    if (s.muxValue !== undefined && s.muxValue !== mux) continue;
    let raw = rawBits(data, s);
    if (raw === undefined) continue;
    if (j1939 && !s.signed && !j1939Available(raw, s.length)) continue;
    if (s.signed && raw >= 2 ** (s.length - 1)) raw -= 2 ** s.length;
    out.push({ name: s.name, value: raw * s.factor + s.offset, unit: s.unit });
  }
  return out;
}
