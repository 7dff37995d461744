/** @module protocol/schemas/deadletter  A message that failed validation, kept with the reason. */
import { z } from 'zod';
import { IsoTime } from './common.js';

export const DeadLetter = z.object({
  v: z.literal(1),
  subject: z.string().max(256),
  reason: z.string().max(2048),
  receivedAt: IsoTime,
  size: z.number().int().nonnegative(),
  /** First 64 KiB of the payload, base64, so the sender can be debugged. */
  payloadBase64: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;
