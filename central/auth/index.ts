/**
 * @module central/auth
 * Bearer-token authentication. Tokens are stored as sha256 hashes (users seed file); a request's
 * token is hashed and looked up. The user is put on the Hono context as `user`.
 * @example
 *   const users = loadUsers('central/seed/users.json');
 *   app.use('/api/cases/*', requireUser(users));
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ProblemError } from '../http/problem.js';
import { Role, type User } from './roles.js';

export type { Role, User } from './roles.js';

const UserRecord = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(128),
  role: Role,
  unitId: z.string().max(64).optional(),
  collectorId: z.string().max(64).optional(),
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
const UsersFile = z.strictObject({ users: z.array(UserRecord) });

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export class UserDirectory {
  readonly #byHash = new Map<string, User>();
  readonly #byId = new Map<string, User>();
  constructor(records: z.infer<typeof UserRecord>[]) {
    for (const { tokenSha256, ...u } of records) {
      if (u.role === 'unit_handler' && !u.unitId)
        throw new Error(`user ${u.id}: a unit_handler needs unitId`);
      this.#byHash.set(tokenSha256, u);
      this.#byId.set(u.id, u);
    }
  }
  byToken(token: string): User | undefined {
    return this.#byHash.get(sha256Hex(token));
  }
  byId(id: string): User | undefined {
    return this.#byId.get(id);
  }
  all(): User[] {
    return [...this.#byId.values()];
  }
}

export function loadUsers(file: string): UserDirectory {
  const r = UsersFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!r.success)
    throw new Error(`${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return new UserDirectory(r.data.users);
}

export type AuthEnv = { Variables: { user: User } };

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/** 401 without a known bearer token; optionally 403 unless the user has one of `roles`. */
export function requireUser(users: UserDirectory, roles?: readonly Role[]): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    const user = token ? users.byToken(token) : undefined;
    if (!user) {
      c.header('WWW-Authenticate', 'Bearer realm="citygrid"');
      throw new ProblemError(401, 'unauthorized', token ? 'unknown token' : 'missing bearer token');
    }
    if (roles && !roles.includes(user.role))
      throw new ProblemError(403, 'forbidden', `role ${user.role} may not use this endpoint`);
    c.set('user', user);
    await next();
  };
}
