/** @module edge/log  The gateway's logger: JSON lines (pino), pretty when a person watches. */
import pino from 'pino';

export function createLogger(name: string, level = process.env.CG_LOG_LEVEL ?? 'info') {
  return pino({ name, level, redact: ['nats.pass', 'nats.token', '*.password', '*.pass', 'password'] });
}
