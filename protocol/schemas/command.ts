/**
 * @module protocol/schemas/command
 * Central → gateway request/reply on `cg.v1.cmd.<gatewayId>.<verb>`.
 */
import { z } from 'zod';
import { Token } from '../ids.js';
import { IsoTime } from './common.js';

export const CommandVerb = z.enum(['ping', 'where', 'snapshot', 'reload_config', 'message']);
export type CommandVerb = z.infer<typeof CommandVerb>;

export const CommandRequest = z.object({
  v: z.literal(1),
  requestId: z.string().min(1).max(64),
  verb: CommandVerb,
  deviceId: Token.optional().describe('camera or vehicle to act on, if the gateway has several'),
  sentAt: IsoTime,
  by: z.string().max(64).optional().describe('who asked, for the gateway log'),
  text: z.string().min(1).max(512).optional().describe('message: the text shown/read to the driver'),
});
export type CommandRequest = z.infer<typeof CommandRequest>;

export const CommandReply = z.object({
  v: z.literal(1),
  requestId: z.string().min(1).max(64),
  ok: z.boolean(),
  error: z.string().max(512).optional(),
  answeredAt: IsoTime,
  /**
   * verb-specific: position/speed/signals for where; evidence ref for snapshot; version for
   * reload_config. `noAnswer: true` on a failed reply: the gateway is up but its device (e.g. a
   * JT/T 808 terminal) did not answer, an equipment finding like an unanswered gateway.
   */
  data: z.record(z.string(), z.unknown()).optional(),
});
export type CommandReply = z.infer<typeof CommandReply>;
