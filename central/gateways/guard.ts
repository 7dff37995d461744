/**
 * @module central/gateways/guard
 * Front-door limits for central's HTTP API, as one Hono middleware mounted before every route:
 * a request body size limit (declared length checked before reading; a streamed body is cut off
 * at the limit), a per-client rate limit (token bucket keyed by the bearer token's hash, else the
 * peer address), and counters of what was refused and of every response class (exposed by
 * central/gateways/metrics.ts). Nothing secret is kept or logged: tokens are hashed before they become keys.
 * @example
 *   const guard = apiGuard({ maxBodyBytes: 1 << 20, largeBody: { '/api/attachments': 8 << 20 } });
 *   app.use('*', guard.middleware);
 */
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProblemError } from '../http/problem.js';

export interface GuardOptions {
  /** default limit for a request body, bytes */
  maxBodyBytes?: number;
  /** larger limits by path prefix (uploads); the route's own limit still applies */
  largeBody?: Record<string, number>;
  /** sustained requests per second per client (default env CG_API_RATE_PER_S or 50) */
  ratePerS?: number;
  /** burst a client may use at once (default env CG_API_BURST or 200) */
  burst?: number;
  /** how many clients to remember (least recently seen are forgotten) */
  maxClients?: number;
  now?: () => number;
}

export interface GuardCounters {
  tooLarge: number;
  rateLimited: number;
  responses: Record<string, number>;
}

export interface ApiGuard {
  middleware: MiddlewareHandler;
  counters: GuardCounters;
}

interface Bucket {
  tokens: number;
  at: number;
}

function clientKey(auth: string | undefined, addr: string): string {
  const m = /^Bearer\s+(\S+)$/i.exec(auth ?? '');
  return m ? `t:${createHash('sha256').update(m[1]!).digest('hex').slice(0, 32)}` : `a:${addr}`;
}

function peerAddress(env: unknown): string {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

export function apiGuard(o: GuardOptions = {}): ApiGuard {
  const maxBody = o.maxBodyBytes ?? 1024 * 1024;
  // env knobs let an operator tune the limits without a code change (docs/DEPLOYMENT.md)
  const rate = o.ratePerS ?? (Number(process.env.CG_API_RATE_PER_S) || 50);
  const burst = o.burst ?? (Number(process.env.CG_API_BURST) || Math.max(200, rate * 4));
  const maxClients = o.maxClients ?? 10_000;
  const now = o.now ?? Date.now;
  const buckets = new Map<string, Bucket>();
  const counters: GuardCounters = { tooLarge: 0, rateLimited: 0, responses: {} };

  const limitFor = (path: string) => {
    for (const [prefix, n] of Object.entries(o.largeBody ?? {})) if (path.startsWith(prefix)) return n;
    return maxBody;
  };
  const tooLarge = (limit: number) => {
    counters.tooLarge++;
    return new ProblemError(413, 'payload-too-large', `request bodies are limited to ${limit} bytes here`);
  };

  const take = (key: string): boolean => {
    const t = now();
    let b = buckets.get(key);
    if (b) buckets.delete(key);
    else b = { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    buckets.set(key, b); // re-insert: the Map's order is least recently seen first
    if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };

  const count = (status: number) => {
    const cls = `${Math.floor(status / 100)}xx`;
    counters.responses[cls] = (counters.responses[cls] ?? 0) + 1;
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    try {
      if (!take(clientKey(c.req.header('authorization'), peerAddress(c.env)))) {
        counters.rateLimited++;
        c.header('retry-after', '1');
        throw new ProblemError(429, 'rate-limited', `more than ${rate} requests/s; slow down`);
      }
      const limit = limitFor(c.req.path);
      const declared = Number(c.req.header('content-length') ?? '0');
      if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
      if (c.req.method === 'GET' || c.req.method === 'HEAD') await next();
      else
        await bodyLimit({
          maxSize: limit,
          onError: () => {
            throw tooLarge(limit);
          },
        })(c, next);
      count(c.res.status);
    } catch (e) {
      // refused here (or a body read cut off): the app's error handler answers
      count(e instanceof ProblemError ? e.status : 500);
      throw e;
    }
  };

  return {
    middleware,
    counters,
  };
}
