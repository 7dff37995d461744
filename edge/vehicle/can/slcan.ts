/**
 * @module edge/vehicle/can/slcan
 * SLCAN (Lawicel ASCII) over a serial line: the setup commands (bit rate `Sn`, open `O`, close
 * `C`), frames `t`/`T`/`r`/`R` ending in CR, and the adapter's replies (CR = OK, BEL = error).
 * Pure: the serial stage writes {@link slcanSetup} and pushes received bytes into {@link SlcanReader}.
 */
import type { CanFrame } from './frame.js';

/** Lawicel `Sn` codes by bit rate. */
export const SLCAN_BITRATES: Record<number, string> = {
  10000: 'S0',
  20000: 'S1',
  50000: 'S2',
  100000: 'S3',
  125000: 'S4',
  250000: 'S5',
  500000: 'S6',
  800000: 'S7',
  1000000: 'S8',
};

/** Close (in case it was left open), set the bit rate, open. J1939 buses run at 250k or 500k. */
export function slcanSetup(bitrate: number): string {
  const s = SLCAN_BITRATES[bitrate];
  if (!s)
    throw new Error(
      `SLCAN: unsupported bit rate ${bitrate} (use one of ${Object.keys(SLCAN_BITRATES).join(', ')})`,
    );
  return `C\r${s}\rO\r`;
}

/** Frame → SLCAN line (with the trailing CR). */
export function encodeSlcan(f: CanFrame): string {
  const kind = f.ext ? (f.rtr ? 'R' : 'T') : f.rtr ? 'r' : 't';
  const id = f.id
    .toString(16)
    .toUpperCase()
    .padStart(f.ext ? 8 : 3, '0');
  const data = f.rtr ? '' : Buffer.from(f.data).toString('hex').toUpperCase();
  return `${kind}${id}${f.rtr ? 0 : f.data.length}${data}\r`;
}

/** One SLCAN line (without CR) → frame, or a reason it is not one. */
export function parseSlcanLine(line: string): CanFrame | string {
  const kind = line[0];
  const ext = kind === 'T' || kind === 'R';
  const rtr = kind === 'r' || kind === 'R';
  if (kind !== 't' && kind !== 'T' && kind !== 'r' && kind !== 'R') return 'unknown command';
  const idLen = ext ? 8 : 3;
  const idHex = line.slice(1, 1 + idLen);
  const dlc = Number(line[1 + idLen]);
  if (!/^[0-9A-Fa-f]+$/.test(idHex) || idHex.length !== idLen || !(dlc >= 0 && dlc <= 8))
    return 'bad id or length';
  const id = Number.parseInt(idHex, 16);
  if (ext && id > 0x1fffffff) return 'identifier out of range';
  // Some adapters append a 4-hex-digit timestamp (Z1): accept and ignore it.
  const rest = line.slice(2 + idLen);
  const want = rtr ? 0 : dlc * 2;
  if (!(rest.length === want || rest.length === want + 4) || !/^[0-9A-Fa-f]*$/.test(rest))
    return 'bad data bytes';
  return { id, ext, rtr, data: Uint8Array.from(Buffer.from(rest.slice(0, want), 'hex')) };
}

export interface SlcanCounters {
  frames: number;
  acks: number;
  errors: number;
  malformed: number;
}

/**
 * Incremental SLCAN receiver.
 * @example
 * const r = new SlcanReader((f) => decoder.push(f));
 * port.on('data', (b) => r.push(b));
 */
export class SlcanReader {
  readonly counters: SlcanCounters = { frames: 0, acks: 0, errors: 0, malformed: 0 };
  private buf = '';

  constructor(
    private readonly onFrame: (f: CanFrame) => void,
    private readonly onError: (why: string) => void = () => {},
  ) {}

  push(chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1');
    for (const ch of text) {
      if (ch === '\x07') {
        this.counters.errors++;
        this.buf = '';
        this.onError('adapter answered BEL (command refused)');
      } else if (ch === '\r' || ch === '\n') {
        const line = this.buf;
        this.buf = '';
        if (line === '' || line === 'z' || line === 'Z') {
          if (ch === '\r') this.counters.acks++;
          continue;
        }
        const f = parseSlcanLine(line);
        if (typeof f === 'string') this.counters.malformed++;
        else {
          this.counters.frames++;
          this.onFrame(f);
        }
      } else if (this.buf.length < 40) this.buf += ch;
      else {
        this.counters.malformed++;
        this.buf = '';
      }
    }
  }
}
