/**
 * @module central/auth
 * Bearer-token authentication. Two sources of users:
 * - **issued tokens** (`<data>/users.json`, written by `npm run users -- issue|revoke|list`):
 *   a token is `cgt_<tokenId>.<secret>`; the file keeps the secret only as a salted bcrypt
 *   hash, with an expiry and a revocation time. Lookup is by token id (no scan); a verified
 *   token is remembered in memory (bcrypt is slow on purpose) until the file changes — central
 *   re-reads it within a second of a revoke, so a revoked token stops working without a restart.
 * - **demo users** (`central/seed/users.json`, fixed tokens such as `demo-operator`, stored as
 *   sha256), loaded only with `--demo` / `createCentral({ demo: true })`.
 * Failed sign-ins are limited per client address (`FailedLoginLimiter`), not per token, so
 * guessing with ever new tokens is slowed down. The user is put on the Hono context as `user`.
 * @example
 *   const users = new UserDirectory({ issuedFile: '.data/central/users.json' });
 *   app.use('/api/cases/*', requireUser(users));
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { getConnInfo } from '@hono/node-server/conninfo';
import bcrypt from 'bcryptjs';
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ProblemError } from '../http/problem.js';
import { Role, type User } from './roles.js';

export type { Role, User } from './roles.js';

const UserFields = {
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(128),
  role: Role,
  unitId: z.string().max(64).optional(),
  collectorId: z.string().max(64).optional(),
};
/** The demo seed: fixed tokens, sha256 (only for `--demo`). */
const DemoUser = z.strictObject({ ...UserFields, tokenSha256: z.string().regex(/^[0-9a-f]{64}$/) });
const DemoFile = z.strictObject({ users: z.array(DemoUser) });

export const IssuedToken = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  userId: z.string().min(1).max(64),
  bcrypt: z.string().regex(/^\$2[aby]\$\d{2}\$/),
  issuedAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().optional(),
});
export type IssuedToken = z.infer<typeof IssuedToken>;
export const IssuedFile = z.strictObject({
  users: z.array(z.strictObject(UserFields)),
  tokens: z.array(IssuedToken),
});
export type IssuedFile = z.infer<typeof IssuedFile>;

export const TOKEN_FORMAT = /^cgt_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function parseFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  const r = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!r.success)
    throw new Error(`${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

function checkUser(u: User): void {
  if (u.role === 'unit_handler' && !u.unitId) throw new Error(`user ${u.id}: a unit_handler needs unitId`);
}

export interface UserDirectoryOptions {
  /** demo seed file (fixed tokens); only for demos and tests */
  demoFile?: string;
  /** issued tokens file; re-read when it changes */
  issuedFile?: string;
  now?: () => Date;
}

export class UserDirectory {
  readonly #demoByHash = new Map<string, User>();
  readonly #byId = new Map<string, User>();
  readonly #o: UserDirectoryOptions;
  #issued: { users: Map<string, User>; tokens: Map<string, IssuedToken> } = {
    users: new Map(),
    tokens: new Map(),
  };
  /** sha256(token) → token id, for tokens whose bcrypt check passed (cleared on reload) */
  #verified = new Map<string, string>();
  #mtimeMs = -1;
  #checkedAt = 0;

  constructor(o: UserDirectoryOptions | z.infer<typeof DemoUser>[]) {
    // an array is the demo seed's records (tests that build a directory directly)
    this.#o = Array.isArray(o) ? {} : o;
    const demo = Array.isArray(o) ? o : o.demoFile ? parseFile(o.demoFile, DemoFile).users : [];
    for (const { tokenSha256, ...u } of demo) {
      checkUser(u);
      this.#demoByHash.set(tokenSha256, u);
      this.#byId.set(u.id, u);
    }
    this.#reload(true);
  }

  get hasDemoUsers(): boolean {
    return this.#demoByHash.size > 0;
  }

  /** Re-read the issued file when its mtime moved (checked at most once a second). */
  #reload(force = false): void {
    const file = this.#o.issuedFile;
    if (!file) return;
    const now = Date.now();
    if (!force && now - this.#checkedAt < 1000) return;
    this.#checkedAt = now;
    const mtime = existsSync(file) ? statSync(file).mtimeMs : 0;
    if (mtime === this.#mtimeMs) return;
    const data: IssuedFile = mtime ? parseFile(file, IssuedFile) : { users: [], tokens: [] };
    const users = new Map<string, User>();
    for (const u of data.users) {
      checkUser(u);
      users.set(u.id, u);
      this.#byId.set(u.id, u);
    }
    this.#issued = { users, tokens: new Map(data.tokens.map((t) => [t.id, t])) };
    this.#verified = new Map();
    this.#mtimeMs = mtime;
  }

  byToken(token: string): User | undefined {
    const demo = this.#demoByHash.get(sha256Hex(token));
    if (demo) return demo;
    const m = TOKEN_FORMAT.exec(token);
    if (!m) return undefined;
    this.#reload();
    const t = this.#issued.tokens.get(m[1]!);
    if (!t || t.revokedAt) return undefined;
    if (Date.parse(t.expiresAt) <= (this.#o.now?.() ?? new Date()).getTime()) return undefined;
    const key = sha256Hex(token);
    if (this.#verified.get(key) !== t.id) {
      if (!bcrypt.compareSync(m[2]!, t.bcrypt)) return undefined;
      this.#verified.set(key, t.id);
    }
    return this.#issued.users.get(t.userId);
  }

  byId(id: string): User | undefined {
    return this.#byId.get(id);
  }

  all(): User[] {
    return [...this.#byId.values()];
  }
}

/** The demo seed as a directory (tests, demo). */
export function loadUsers(file: string): UserDirectory {
  return new UserDirectory({ demoFile: file });
}

export type AuthEnv = { Variables: { user: User } };

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/** The peer address of a request (`unknown` for in-process `app.request()` calls). */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function isLoopback(address: string): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/**
 * Failed sign-ins per client address: a bucket of `burst` failures refilled at `perMinute`.
 * While empty, every sign-in from that address is answered 429 before any token is checked.
 */
export class FailedLoginLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  limited = 0;
  constructor(
    readonly burst = 30,
    readonly perMinute = 30,
  ) {}

  #bucket(addr: string, now: number) {
    const b = this.#buckets.get(addr) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
    b.at = now;
    this.#buckets.set(addr, b);
    if (this.#buckets.size > 10_000) this.#buckets.delete(this.#buckets.keys().next().value!);
    return b;
  }

  /** seconds until this address may try again; 0 = it may */
  blockedFor(addr: string, now = Date.now()): number {
    const b = this.#bucket(addr, now);
    return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / this.perMinute) * 60);
  }

  failed(addr: string, now = Date.now()): void {
    this.#bucket(addr, now).tokens -= 1;
  }
}

/** One limiter per process: every route group shares it. */
export const failedLogins = new FailedLoginLimiter();

/** The signed-in user, or the 401/429 problem (counting the failure against the address). */
export function authenticate(c: Context, users: UserDirectory, limiter = failedLogins): User {
  const addr = clientAddress(c);
  const wait = limiter.blockedFor(addr);
  if (wait) {
    limiter.limited++;
    c.header('Retry-After', String(wait));
    throw new ProblemError(
      429,
      'too-many-failed-sign-ins',
      `too many failed sign-ins from ${addr}; retry in ${wait} s`,
    );
  }
  const token = bearerToken(c.req.header('authorization'));
  const user = token ? users.byToken(token) : undefined;
  if (!user) {
    if (token) limiter.failed(addr);
    c.header('WWW-Authenticate', 'Bearer realm="citygrid"');
    throw new ProblemError(
      401,
      'unauthorized',
      token ? 'unknown, expired or revoked token' : 'missing bearer token',
    );
  }
  return user;
}

/** 401 without a known bearer token; optionally 403 unless the user has one of `roles`. */
export function requireUser(users: UserDirectory, roles?: readonly Role[]): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const user = authenticate(c, users);
    if (roles && !roles.includes(user.role))
      throw new ProblemError(403, 'forbidden', `role ${user.role} may not use this endpoint`);
    c.set('user', user);
    await next();
  };
}
