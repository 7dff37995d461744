/**
 * @module central/auth/cli
 * Issue, revoke and list API tokens in central's issued-tokens file (`<data>/users.json`):
 *   npm run users -- issue --data .data/central --user u-op-1 --name 张三 --role operator [--unit hwc] [--days 90]
 *   npm run users -- revoke --data .data/central --token <tokenId>     (or --user <id>: all of theirs)
 *   npm run users -- list --data .data/central
 * `issue` prints the token once (`cgt_<tokenId>.<secret>`); the file keeps only a salted bcrypt
 * hash of the secret. A running central re-reads the file within a second.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Command } from 'commander';
import { IssuedFile, type IssuedFile as IssuedFileT } from './index.js';
import { ROLES, Role } from './roles.js';

const BCRYPT_COST = 10;

function fileOf(data: string): string {
  return join(data, 'users.json');
}

function read(file: string): IssuedFileT {
  if (!existsSync(file)) return { users: [], tokens: [] };
  return IssuedFile.parse(JSON.parse(readFileSync(file, 'utf8')));
}

function write(file: string, f: IssuedFileT): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export interface IssueInput {
  data: string;
  user: string;
  name?: string;
  role?: string;
  unit?: string;
  collector?: string;
  days: number;
  now?: Date;
}

/** Add (or update) the user and a new token for them; returns the token, shown once. */
export function issueToken(o: IssueInput): { token: string; tokenId: string; expiresAt: string } {
  const file = fileOf(o.data);
  const f = read(file);
  const now = o.now ?? new Date();
  let u = f.users.find((x) => x.id === o.user);
  if (!u) {
    if (!o.name || !o.role) throw new Error(`new user ${o.user}: give --name and --role`);
    u = { id: o.user, name: o.name, role: Role.parse(o.role) };
    f.users.push(u);
  }
  if (o.name) u.name = o.name;
  if (o.role) u.role = Role.parse(o.role);
  if (o.unit) u.unitId = o.unit;
  if (o.collector) u.collectorId = o.collector;
  if (u.role === 'unit_handler' && !u.unitId) throw new Error('a unit_handler needs --unit');
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + o.days * 86_400_000).toISOString();
  f.tokens.push({
    id: tokenId,
    userId: u.id,
    bcrypt: bcrypt.hashSync(secret, BCRYPT_COST),
    issuedAt: now.toISOString(),
    expiresAt,
  });
  write(file, f);
  return { token: `cgt_${tokenId}.${secret}`, tokenId, expiresAt };
}

/** Revoke one token, or every token of a user; returns the ids revoked. */
export function revokeTokens(o: { data: string; token?: string; user?: string; now?: Date }): string[] {
  const file = fileOf(o.data);
  const f = read(file);
  const at = (o.now ?? new Date()).toISOString();
  const hit = f.tokens.filter((t) => !t.revokedAt && (t.id === o.token || (o.user && t.userId === o.user)));
  for (const t of hit) t.revokedAt = at;
  write(file, f);
  return hit.map((t) => t.id);
}

async function main(): Promise<void> {
  const program = new Command().name('users').description('central API users and tokens');
  const data = [
    '--data <dir>',
    'central data directory',
    process.env.CG_DATA_DIR ?? '.data/central',
  ] as const;
  program
    .command('issue')
    .requiredOption('--user <id>', 'user id')
    .option('--name <name>', 'display name (new users)')
    .option('--role <role>', `role: ${Object.keys(ROLES).join(', ')}`)
    .option('--unit <unitId>', 'unit of a unit_handler')
    .option('--collector <collectorId>', 'collector id of a collector')
    .option('--days <n>', 'days until the token expires', '90')
    .option(...data)
    .action((o) => {
      const days = Number(o.days);
      if (!Number.isFinite(days) || days <= 0 || days > 3650) throw new Error('--days: 1-3650');
      const r = issueToken({ ...o, days });
      process.stdout.write(`${r.token}\n`);
      process.stderr.write(`token ${r.tokenId} for ${o.user}, expires ${r.expiresAt}; shown only now\n`);
    });
  program
    .command('revoke')
    .option('--token <tokenId>', 'the token id (the part after cgt_ and before the dot)')
    .option('--user <id>', 'revoke every token of this user')
    .option(...data)
    .action((o) => {
      if (!o.token && !o.user) throw new Error('give --token or --user');
      const ids = revokeTokens(o);
      process.stdout.write(ids.length ? `revoked ${ids.join(', ')}\n` : 'nothing to revoke\n');
      if (!ids.length) process.exitCode = 1;
    });
  program
    .command('list')
    .option(...data)
    .action((o) => {
      const f = read(fileOf(o.data));
      for (const t of f.tokens) {
        const u = f.users.find((x) => x.id === t.userId);
        const state = t.revokedAt ? `revoked ${t.revokedAt}` : `expires ${t.expiresAt}`;
        process.stdout.write(`${t.id}  ${t.userId} (${u?.name ?? '?'}, ${u?.role ?? '?'})  ${state}\n`);
      }
    });
  await program.parseAsync();
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().catch((e: Error) => {
    process.stderr.write(`users: ${e.message}\n`);
    process.exit(2);
  });
