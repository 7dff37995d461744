/**
 * @module edge/vehicle/can
 * CAN stage: SLCAN or candump frames → J1939 messages (BAM joined) → DBC signals by PGN.
 * {@link CanSignalDecoder} is the one entry the unit and the CLI use.
 */
import { type Dbc, type DecodedSignal, decodeSignals } from './dbc.js';
import type { CanFrame } from './frame.js';
import { J1939Decoder } from './j1939.js';

export * from './dbc.js';
export * from './frame.js';
export * from './j1939.js';
export * from './slcan.js';

export interface DecodedMessage {
  pgn: number;
  sa: number;
  priority: number;
  name: string;
  t?: number;
  signals: DecodedSignal[];
}

/** Frames in; decoded messages of PGNs the DBC knows out (source address ignored). */
export class CanSignalDecoder {
  readonly j1939 = new J1939Decoder();
  unknownPgn = 0;

  constructor(private readonly dbc: Dbc) {}

  push(f: CanFrame): DecodedMessage | undefined {
    const m = this.j1939.push(f);
    if (!m) return undefined;
    const def = this.dbc.byPgn.get(m.pgn);
    if (!def) {
      this.unknownPgn++;
      return undefined;
    }
    return {
      pgn: m.pgn,
      sa: m.sa,
      priority: m.priority,
      name: def.name,
      t: m.t,
      signals: decodeSignals(def, m.data),
    };
  }
}
