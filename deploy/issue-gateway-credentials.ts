/**
 * @module deploy/issue-gateway-credentials
 * Issue (or re-issue, or revoke) a gateway's NATS credentials. Keeps a registry of users with
 * bcrypt hashes only (`nats-users.json`), re-renders the `authorization {}` block nats-server
 * includes (`auth.conf`), and prints the gateway's `nats:` config section with the new random
 * password exactly once (or writes it to a 0600 file). The password is never stored in
 * plaintext on the NATS host. After issuing, reload the server: `nats-server --signal reload`
 * (or `systemctl reload nats-server`).
 * @example
 *   npx tsx deploy/issue-gateway-credentials.ts --gateway cp-01 --dir /etc/nats/citygrid \
 *     --server tls://nats.city.example:4222 --out /secure/cp-01.nats.yaml
 *   npx tsx deploy/issue-gateway-credentials.ts --central --dir /etc/nats/citygrid
 *   npx tsx deploy/issue-gateway-credentials.ts --revoke cp-01 --dir /etc/nats/citygrid
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Command } from 'commander';
import { z } from 'zod';
import { gatewayInboxPrefix, Token } from '../protocol/index.js';
import { centralPermissions, gatewayPermissions, type NatsUser, renderAuthorization } from './auth.js';

const Entry = z.strictObject({
  user: Token,
  role: z.enum(['gateway', 'central']),
  bcrypt: z.string().regex(/^\$2[aby]\$\d\d\$/),
  issuedAt: z.string(),
});
const Registry = z.strictObject({ users: z.array(Entry) });
type Registry = z.infer<typeof Registry>;

function atomicWrite(file: string, text: string, mode = 0o640) {
  writeFileSync(`${file}.tmp`, text, { mode });
  renameSync(`${file}.tmp`, file);
}

export function loadRegistry(file: string): Registry {
  if (!existsSync(file)) return { users: [] };
  return Registry.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function renderRegistry(reg: Registry): string {
  const users: NatsUser[] = reg.users.map((e) => ({
    user: e.user,
    bcrypt: e.bcrypt,
    note: `${e.role} ${e.user}, issued ${e.issuedAt}`,
    permissions: e.role === 'central' ? centralPermissions() : gatewayPermissions(e.user),
  }));
  return renderAuthorization(users);
}

/** A new random password for `user` in the registry (replacing any old one); returns it. */
export function issue(reg: Registry, user: string, role: 'gateway' | 'central', cost = 11): string {
  const password = randomBytes(24).toString('base64url');
  const entry = { user, role, bcrypt: bcrypt.hashSync(password, cost), issuedAt: new Date().toISOString() };
  reg.users = [...reg.users.filter((e) => e.user !== user), entry].sort((a, b) =>
    a.user.localeCompare(b.user),
  );
  return password;
}

function gatewayYaml(user: string, password: string, servers: string, role: string): string {
  const lines = [
    `# NATS credentials for ${role} ${user}; keep this file readable by the service only (0600)`,
    'nats:',
    `  servers: ${JSON.stringify(servers)}`,
    `  user: ${JSON.stringify(user)}`,
    `  pass: ${JSON.stringify(password)}`,
  ];
  if (role === 'gateway') lines.push(`  inboxPrefix: ${JSON.stringify(gatewayInboxPrefix(user))}`);
  if (servers.startsWith('tls://')) lines.push('  tls: { caFile: /etc/citygrid/nats-ca.pem }');
  return `${lines.join('\n')}\n`;
}

async function main() {
  const program = new Command()
    .name('issue-gateway-credentials')
    .description('签发网关 NATS 凭据 / issue a gateway NATS user with its own subject permissions')
    .option('-g, --gateway <id>', 'gateway id (the NATS user name)')
    .option('--central', "issue central's NATS user instead")
    .option('--revoke <id>', 'remove a user')
    .option('-d, --dir <dir>', 'where nats-users.json and auth.conf live', 'deploy/secrets')
    .option('-s, --server <url>', 'NATS URL to put in the printed config', 'tls://nats.example:4222')
    .option('-o, --out <file>', 'write the nats: section here (mode 0600) instead of printing it')
    .option('--cost <n>', 'bcrypt cost', '11')
    .parse();
  const o = program.opts<{
    gateway?: string;
    central?: boolean;
    revoke?: string;
    dir: string;
    server: string;
    out?: string;
    cost: string;
  }>();
  mkdirSync(o.dir, { recursive: true });
  const regFile = join(o.dir, 'nats-users.json');
  const confFile = join(o.dir, 'auth.conf');
  const reg = loadRegistry(regFile);
  let printed: string | undefined;
  if (o.revoke) {
    const before = reg.users.length;
    reg.users = reg.users.filter((e) => e.user !== o.revoke);
    if (reg.users.length === before) throw new Error(`no user ${o.revoke} in ${regFile}`);
    console.error(`revoked ${o.revoke}`);
  } else {
    const user = o.central ? 'central' : o.gateway;
    if (!user || !Token.safeParse(user).success)
      throw new Error('give --gateway <id> (letters, digits, _ -; no dots) or --central');
    const role = o.central ? 'central' : 'gateway';
    const password = issue(reg, user, role, Number(o.cost));
    printed = gatewayYaml(user, password, o.server, role);
    console.error(`issued ${role} ${user}; the password is shown once and not stored`);
  }
  atomicWrite(regFile, `${JSON.stringify(reg, null, 2)}\n`);
  atomicWrite(confFile, renderRegistry(reg));
  console.error(`wrote ${confFile}; now reload nats-server (nats-server --signal reload)`);
  if (printed && o.out) {
    writeFileSync(o.out, printed, { mode: 0o600 });
    chmodSync(o.out, 0o600);
    console.error(`wrote ${o.out} (0600)`);
  } else if (printed) process.stdout.write(printed);
}

if (process.argv[1]?.endsWith('issue-gateway-credentials.ts')) {
  main().catch((e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(2);
  });
}
