/**
 * @module edge/vehicle/can/j1939
 * J1939 over CAN: priority, PGN and source address from 29-bit ids, and BAM multi-packet
 * reassembly (TP.CM announce + TP.DT packets). Peer-to-peer RTS/CTS transfers are joined the same
 * way by listening to their TP.DT packets (a vehicle unit only listens; it never sends CTS).
 */
import type { CanFrame } from './frame.js';

export const PGN_TP_CM = 0xec00;
export const PGN_TP_DT = 0xeb00;
const TP_BAM = 32;
const TP_RTS = 16;
const TP_ABORT = 255;

export interface J1939Id {
  priority: number;
  pgn: number;
  sa: number;
  /** destination address for PDU1 (PF < 240) messages; 255 = global */
  da?: number;
}

/** Split a 29-bit identifier. */
export function j1939Id(id: number): J1939Id {
  const priority = (id >>> 26) & 0x7;
  const sa = id & 0xff;
  const ps = (id >>> 8) & 0xff;
  const pf = (id >>> 16) & 0xff;
  const dpEdp = (id >>> 24) & 0x3;
  if (pf < 240) return { priority, pgn: (dpEdp << 16) | (pf << 8), sa, da: ps };
  return { priority, pgn: (dpEdp << 16) | (pf << 8) | ps, sa };
}

/** Build a 29-bit id, for simulators. */
export function j1939MakeId(priority: number, pgn: number, sa: number, da = 0xff): number {
  const pf = (pgn >>> 8) & 0xff;
  const ps = pf < 240 ? da : pgn & 0xff;
  return (((priority & 7) << 26) | ((pgn >>> 16) << 24) | (pf << 16) | (ps << 8) | (sa & 0xff)) >>> 0;
}

export interface J1939Message extends J1939Id {
  data: Uint8Array;
  t?: number;
}

export interface J1939Counters {
  messages: number;
  /** 11-bit data frames: not J1939 */
  standardFrames: number;
  /** remote (RTR) frames, standard or extended: they carry no data */
  remoteFrames: number;
  /** 29-bit data frames without data bytes: nothing to decode */
  emptyFrames: number;
  bamCompleted: number;
  /** a transfer ended by an abort, an out-of-sequence packet or an impossible announce */
  bamAborted: number;
  /** a transfer that stopped before its last packet: silent past T1, re-announced, or cut by the end of a log */
  bamIncomplete: number;
  /** TP.DT packets with no transfer announced for them */
  strayPackets: number;
}

/** J1939-21 T1: the longest gap between the packets of one transfer, ms. */
export const TP_T1_MS = 750;

interface Bam {
  pgn: number;
  size: number;
  packets: number;
  next: number;
  buf: Uint8Array;
  priority: number;
  lastAt?: number;
}

/**
 * Frames in, J1939 messages out; TP.CM/TP.DT frames are consumed and the reassembled message is
 * emitted when its last packet arrives. A packet out of sequence aborts that transfer.
 */
export class J1939Decoder {
  readonly counters: J1939Counters = {
    messages: 0,
    standardFrames: 0,
    remoteFrames: 0,
    emptyFrames: 0,
    bamCompleted: 0,
    bamAborted: 0,
    bamIncomplete: 0,
    strayPackets: 0,
  };
  private readonly open = new Map<number, Bam>();

  /** End of input (a recording's last line): transfers still open never completed. */
  end(): void {
    this.counters.bamIncomplete += this.open.size;
    this.open.clear();
  }

  push(f: CanFrame): J1939Message | undefined {
    if (f.rtr) {
      this.counters.remoteFrames++;
      return undefined;
    }
    if (!f.ext) {
      this.counters.standardFrames++;
      return undefined;
    }
    if (f.data.length === 0) {
      this.counters.emptyFrames++;
      return undefined;
    }
    if (f.t !== undefined && this.open.size) this.expire(f.t);
    const id = j1939Id(f.id);
    // one transfer at a time per (source, destination) pair
    const key = (id.sa << 8) | (id.da ?? 0xff);
    if (id.pgn === PGN_TP_CM && (f.data[0] === TP_BAM || f.data[0] === TP_RTS) && f.data.length === 8) {
      const size = f.data[1] | (f.data[2] << 8);
      const packets = f.data[3];
      if (this.open.has(key)) this.counters.bamIncomplete++;
      if (size < 9 || size > 1785 || packets !== Math.ceil(size / 7)) {
        this.counters.bamAborted++;
        this.open.delete(key);
        return undefined;
      }
      const pgn = f.data[5] | (f.data[6] << 8) | (f.data[7] << 16);
      this.open.set(key, {
        pgn,
        size,
        packets,
        next: 1,
        buf: new Uint8Array(packets * 7),
        priority: id.priority,
        lastAt: f.t,
      });
      return undefined;
    }
    if (id.pgn === PGN_TP_CM && f.data[0] === TP_ABORT) {
      // an abort comes from the receiver: its SA is our transfer's destination
      if (this.open.delete(((id.da ?? 0xff) << 8) | id.sa)) this.counters.bamAborted++;
      return undefined;
    }
    if (id.pgn === PGN_TP_DT) {
      const bam = this.open.get(key);
      if (!bam) {
        this.counters.strayPackets++;
        return undefined;
      }
      bam.lastAt = f.t;
      if (f.data[0] !== bam.next || f.data.length !== 8) {
        this.counters.bamAborted++;
        this.open.delete(key);
        return undefined;
      }
      bam.buf.set(f.data.subarray(1, 8), (bam.next - 1) * 7);
      if (bam.next++ < bam.packets) return undefined;
      this.open.delete(key);
      this.counters.bamCompleted++;
      this.counters.messages++;
      const pf = (bam.pgn >>> 8) & 0xff;
      return {
        priority: bam.priority,
        pgn: bam.pgn,
        sa: id.sa,
        da: pf < 240 ? (id.da ?? 0xff) : undefined,
        data: bam.buf.slice(0, bam.size),
        t: f.t,
      };
    }
    if (id.pgn === PGN_TP_CM) return undefined;
    this.counters.messages++;
    return { ...id, data: f.data, t: f.t };
  }

  /** Transfers whose sender went quiet for longer than T1 will not complete. */
  private expire(t: number): void {
    for (const [key, bam] of this.open)
      if (bam.lastAt !== undefined && t - bam.lastAt > TP_T1_MS) {
        this.open.delete(key);
        this.counters.bamIncomplete++;
      }
  }
}
