/**
 * @module central/store/postgres/errors
 * postgres.js errors → the contract's typed errors: a lost connection (refused, timed out,
 * closed, the server shutting down) is `StoreUnavailable`; a unique violation is the
 * `Duplicate` it is; anything else stays what it was (a defect, a 500).
 */
import { type Duplicate, StoreUnavailable } from '../contract/errors.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  // SQLSTATE: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return CONNECTION_CODES.has(code) || code.startsWith('08');
}

export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: unknown })?.code === '23505';
}

/** Map a driver error; `target` names the database (no password) for the message. */
export function mapError(e: unknown, target: string, duplicate?: () => Duplicate): unknown {
  if (isConnectionError(e)) return new StoreUnavailable(target, (e as Error).message);
  if (duplicate && isUniqueViolation(e)) return duplicate();
  return e;
}
