/**
 * @module protocol/ids
 * Identifier formats shared by edge and central. Incident ids are ULIDs made at the edge:
 * time-sortable (delivery order = creation order) and unique without coordination.
 */
import { monotonicFactory } from 'ulidx';
import { z } from 'zod';

/** A NATS-subject-safe token: no dots, spaces or wildcards, so it can sit inside a subject. */
export const Token = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1-64 chars of A-Z a-z 0-9 _ - (no dots or spaces)');

export const Ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a 26-char ULID');

const nextUlid = monotonicFactory();

/** A new time-sortable id (monotonic within this process even inside one millisecond). */
export function newId(now: number = Date.now()): string {
  return nextUlid(now);
}
