/**
 * Issue 13, finding 8: API authentication.
 * - Without demo mode the demo tokens are dead; tokens come from `npm run users -- issue`
 *   (salted bcrypt in users.json, never the secret), expire, and `revoke` stops a token in a
 *   running central within about a second.
 * - Failed sign-ins are limited per client address: 100 guesses with ever new random tokens
 *   from one address get 429 after the first 30 (the old limiter was keyed by the token).
 * - /api/metrics answers anonymously only on loopback; elsewhere an admin token is needed
 *   (in-process `app.request()` calls have no peer address and stand for a remote caller).
 * - The console and the API send CSP with frame-ancestors 'none', X-Frame-Options and nosniff.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../central/auth/cli.js';
import { failedLogins } from '../central/auth/index.js';
import { type Central, createCentral } from '../central/central.js';
import { ROOT, TOKENS } from './central-helpers.js';
import { until } from './support/until.js';

const dataDir = mkdtempSync(join(tmpdir(), 'cg-sec-auth-'));
let central: Central;
let url: string;

beforeAll(async () => {
  central = await createCentral({ dataDir, logLevel: 'silent' });
  ({ url } = await central.start({ port: 0 }));
});
afterAll(async () => {
  await central?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const me = (token: string) => fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
/** The CLI as a child process (async: central runs in this process and must keep serving). */
const users = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((res) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'central/auth/cli.ts', ...args, '--data', dataDir],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
      (e, stdout, stderr) => res({ status: e ? Number(e.code ?? 1) : 0, stdout, stderr }),
    );
  });

describe('security - API tokens', () => {
  it('demo tokens are dead without --demo; issued tokens work, are stored salted and slow, expire, and revoke at once', {
    timeout: 60_000,
  }, async () => {
    expect((await me(TOKENS.operator)).status).toBe(401);
    const issued = await users(
      'issue',
      '--user',
      'u-op-1',
      '--name',
      '值班员张三',
      '--role',
      'operator',
      '--days',
      '30',
    );
    expect(issued.status, issued.stderr).toBe(0);
    const token = issued.stdout.trim();
    expect(token).toMatch(/^cgt_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    const ok = await until(async () => {
      const r = await me(token);
      return r.status === 200 && r;
    }, 'issued token accepted');
    expect(await ok.json()).toMatchObject({ id: 'u-op-1', role: 'operator' });

    const second = issueToken({ data: dataDir, user: 'u-op-1', days: 30 });
    const file = readFileSync(join(dataDir, 'users.json'), 'utf8');
    for (const secret of [token.split('.')[1]!, second.token.split('.')[1]!])
      expect(file).not.toContain(secret);
    const hashes = JSON.parse(file).tokens.map((t: { bcrypt: string }) => t.bcrypt);
    expect(hashes).toHaveLength(2);
    for (const h of hashes) expect(h).toMatch(/^\$2[aby]\$10\$/); // bcrypt, cost 10, own salt each
    expect(new Set(hashes).size).toBe(2);

    const old = issueToken({
      data: dataDir,
      user: 'u-op-1',
      days: 1,
      now: new Date(Date.now() - 2 * 86_400_000),
    });
    await until(async () => (await me(second.token)).status === 200, 'file re-read');
    expect((await me(old.token)).status).toBe(401);
    // a right id with a wrong secret is refused too
    expect((await me(`${token.split('.')[0]}.${randomBytes(32).toString('base64url')}`)).status).toBe(401);

    const tokenId = token.slice(4, 20);
    const revoked = await users('revoke', '--token', tokenId);
    expect(revoked.stdout).toContain(`revoked ${tokenId}`);
    await until(async () => (await me(token)).status === 401, 'revoked token refused');
    expect((await me(second.token)).status).toBe(200);
    const list = await users('list');
    expect(list.stdout).toMatch(new RegExp(`${tokenId}  u-op-1 \\(值班员张三, operator\\)  revoked`));
  });

  it('limits failed sign-ins per client address, whatever the token', async () => {
    const before = failedLogins.limited;
    const statuses: number[] = [];
    let retryAfter = 0;
    for (let i = 0; i < 100; i++) {
      const r = await me(`guess-${randomBytes(12).toString('hex')}`);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = Number(r.headers.get('retry-after'));
    }
    const count = (s: number) => statuses.filter((x) => x === s).length;
    console.log(`[security] 100 random tokens from one address: ${count(401)}×401, ${count(429)}×429`);
    expect(count(429)).toBeGreaterThanOrEqual(60);
    expect(count(401) + count(429)).toBe(100);
    expect(failedLogins.limited - before).toBe(count(429));
    expect(retryAfter).toBeGreaterThan(0);
  });
});

describe('security - metrics and headers', () => {
  it('metrics: anonymous on loopback only; elsewhere only an admin token', async () => {
    expect((await fetch(`${url}/api/metrics`)).status).toBe(200);
    const demo = await createCentral({ demo: true, logLevel: 'silent' });
    try {
      const get = (token?: string) =>
        demo.app.request('/api/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect((await get()).status).toBe(401);
      expect((await get(TOKENS.operator)).status).toBe(403);
      expect((await get(TOKENS.admin)).status).toBe(200);
    } finally {
      await demo.stop();
    }
  });

  it('console and API send CSP (frame-ancestors none), X-Frame-Options DENY and nosniff', async () => {
    for (const path of ['/console/', '/api/health', '/api/cases']) {
      const r = await fetch(`${url}${path}`);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(r.headers.get('x-frame-options'), path).toBe('DENY');
      expect(r.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });
});
