/**
 * @module central/devices/share
 * Where several central instances share one store, each one's devices board must hold what any
 * of them learnt: gateway heartbeats and telemetry come from the streams to every instance (each
 * has its own durables), but a handset's beat (its collector's report, the app's heartbeat) and
 * a call to a gateway happen on one instance only. That instance applies them at once and stores
 * them on `cg.v1.central.board` (stream CG_CENTRAL_BOARD, central's own: gateways may not publish
 * there); every instance reads the stream with its own durable (`central-board-<instance>`, in
 * ingest) and applies the others' changes, its own being already on its board. A stream rather
 * than core NATS: an instance that was away catches up, as it does on heartbeats.
 */
import { z } from 'zod';
import { encode, IsoTime, type StreamDef, subjects, Token } from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import type { DeviceBoard, SharedChange } from './board.js';

export const BOARD_STREAM = {
  name: 'CG_CENTRAL_BOARD',
  subjects: [subjects.boardChanged],
  maxAgeNs: 2 * 24 * 3600 * 1e9, // as long as the heartbeats in CG_STATUS
  duplicateWindowNs: 60 * 1e9,
  maxBytes: 64 * 1024 ** 2,
  description: "handset beats and gateway calls one central instance told the others' devices boards",
} as const satisfies StreamDef;
export const BOARD_CONSUMER = 'central-board';

const Beat = z.strictObject({
  deviceId: Token,
  collectorId: z.string().min(1).max(64),
  iccid: z.string().max(20).optional(),
  intervalS: z.number().positive(),
  assigned: z.strictObject({
    collectorId: z.string().min(1).max(64),
    iccid: z.string().max(20),
    msisdn: z.string().max(20),
    gridCodes: z.array(z.string().max(32)).max(256),
  }),
  at: IsoTime,
});
const Call = z.strictObject({
  at: IsoTime,
  verb: z.string().min(1).max(32),
  deviceId: Token.optional(),
  by: z.string().max(64).optional(),
  answered: z.boolean(),
  error: z.string().max(2048).optional(),
});
export const BoardChange = z.strictObject({
  v: z.literal(1),
  /** the instance that applied it first (an instance skips its own) */
  origin: z.string().min(1).max(64),
  change: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('handsetBeat'), beat: Beat }),
    z.strictObject({ type: z.literal('call'), gatewayId: Token, call: Call }),
  ]),
});
export type BoardChange = z.infer<typeof BoardChange>;

/** The board's form of a change told on the stream. */
export function sharedChange(m: BoardChange): SharedChange {
  const c = m.change;
  return c.type === 'call' ? c : { type: 'handsetBeat', beat: { ...c.beat, at: new Date(c.beat.at) } };
}

/** Store each change this instance's board learns first-hand; returns the stop. */
export function tellBoardChanges(
  link: Link,
  board: DeviceBoard,
  origin: string,
  log: { warn(o: object, m?: string): void },
): () => void {
  return board.onShared((c) => {
    if (link.isClosed()) return;
    const change = c.type === 'call' ? c : { ...c, beat: { ...c.beat, at: c.beat.at.toISOString() } };
    // the board already has it: a failed publish only leaves the other instances without it
    link
      .publishStored(subjects.boardChanged, encode(BoardChange, { v: 1, origin, change }))
      .catch((e: Error) => {
        log.warn({ change: c.type, err: e.message }, 'board change not told to the other instances');
      });
  });
}
