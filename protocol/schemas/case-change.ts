/**
 * @module protocol/schemas/case-change
 * A case change one central instance committed, told to the other instances (core NATS,
 * `subjects.caseChanged`) so each relays it to its own live-console clients. Small on purpose:
 * what the console's event carries and what a unit handler's stream is filtered by; the console
 * reads the case itself.
 */
import { z } from 'zod';
import { IsoTime } from './common.js';

export const CaseChanged = z.object({
  v: z.literal(1),
  /** the instance that committed it (an instance drops its own) */
  origin: z.string().min(1).max(64),
  id: z.string().min(1).max(64),
  version: z.number().int().nonnegative(),
  state: z.string().min(1).max(32),
  source: z.string().min(1).max(32),
  unitId: z.string().min(1).max(64).optional(),
  updatedAt: IsoTime,
});
export type CaseChanged = z.infer<typeof CaseChanged>;
