/**
 * Issuing credentials and TLS, end to end with real processes: the issue script writes the
 * registry (bcrypt hashes only) and auth.conf; nats-server loads it with a self-signed
 * certificate made by openssl here; a gateway process configured with the printed `nats:`
 * section connects over TLS and delivers replayed incidents; its log never shows the password.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { STREAMS } from '../protocol/index.js';
import { connectNats, type Link, provisionStreams } from '../protocol/transport.js';
import { freePort, type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { type ManagedProcess, spawnTs, startGatewayProcess } from '../sim/processes.js';
import { litterDraft } from './support/incident-draft.js';
import { until } from './support/until.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const quiet = { info() {}, warn() {} };
let dir: string;
let server: NatsServerHandle;
let central: Link;
let gateway: ManagedProcess | undefined;
let port: number;

async function issue(args: string[]): Promise<{ pass: string; yaml: string }> {
  const out = join(dir, `${args.join('_').replace(/\W/g, '')}.yaml`);
  const { proc } = await spawnTs({
    name: 'issue',
    script: 'deploy/issue-gateway-credentials.ts',
    args: [
      ...args,
      '--dir',
      join(dir, 'nats'),
      '--server',
      `tls://127.0.0.1:${port}`,
      '--cost',
      '4',
      '--out',
      out,
    ],
  });
  await new Promise<void>((r) => proc.child.once('exit', () => r()));
  expect(proc.child.exitCode, proc.output.join('\n')).toBe(0);
  const yaml = readFileSync(out, 'utf8');
  return { pass: (parseYaml(yaml) as { nats: { pass: string } }).nats.pass, yaml };
}

beforeAll(async () => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'cg-tls-'));
  port = await freePort();
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
});

afterAll(async () => {
  await gateway?.stop();
  await central?.close();
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl)('security - issued credentials over TLS', () => {
  let gwPass = '';
  let gwYaml = '';

  it('issues users with bcrypt hashes only and renders auth.conf', async () => {
    const c = await issue(['--central']);
    const g = await issue(['--gateway', 'cp-tls']);
    gwPass = g.pass;
    gwYaml = g.yaml;
    expect(gwPass).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const registry = readFileSync(join(dir, 'nats', 'nats-users.json'), 'utf8');
    const conf = readFileSync(join(dir, 'nats', 'auth.conf'), 'utf8');
    for (const text of [registry, conf]) {
      expect(text).not.toContain(gwPass);
      expect(text).not.toContain(c.pass);
    }
    expect(conf).toMatch(/user: "cp-tls", password: "\$2[aby]\$04\$/);
    expect(conf).toContain('"cg.v1.incident.cp-tls"');
    expect(gwYaml).toContain('inboxPrefix: "_INBOX_cp-tls"');
    mkdirSync(join(dir, 'store'));
    server = await startNatsServer({
      port,
      storeDir: join(dir, 'store'),
      extraConfig: [
        `tls { cert_file: "${join(dir, 'cert.pem')}", key_file: "${join(dir, 'key.pem')}", timeout: 2 }`,
        // nats-server resolves includes against the config file's folder
        'include "../nats/auth.conf"',
      ].join('\n'),
    });
    central = await connectNats({
      servers: `tls://127.0.0.1:${port}`,
      name: 'central',
      user: 'central',
      pass: c.pass,
      tls: { caFile: join(dir, 'cert.pem') },
      log: quiet,
    });
    await provisionStreams(central);
  });

  it('refuses a client that does not trust the certificate, or has no password', async () => {
    await expect(
      connectNats({
        servers: `127.0.0.1:${port}`,
        name: 'no-tls',
        user: 'cp-tls',
        pass: gwPass,
        attempts: 1,
        log: quiet,
      }),
    ).rejects.toThrow();
    await expect(
      connectNats({
        servers: `tls://127.0.0.1:${port}`,
        name: 'no-password',
        tls: { caFile: join(dir, 'cert.pem') },
        attempts: 1,
        log: quiet,
      }),
    ).rejects.toThrow(/Authorization/i);
  });

  it('a gateway process with the issued section delivers over TLS and never logs its password', async () => {
    const t = new Date().toISOString();
    const lines = [1, 2, 3].map((n) =>
      JSON.stringify(litterDraft(t, { confidence: 0.9, producer: { rule: 'drill' }, details: { n } })),
    );
    writeFileSync(join(dir, 'drill.jsonl'), `${lines.join('\n')}\n`);
    const cfg = gwYaml.replace('/etc/citygrid/nats-ca.pem', join(dir, 'cert.pem'));
    writeFileSync(
      join(dir, 'gw.yaml'),
      `gatewayId: cp-tls\nkind: checkpoint\nheartbeatS: 1\ndataDir: ${join(dir, 'gw')}\nreplay: { file: "${join(dir, 'drill.jsonl')}", ratePerS: 50 }\n${cfg}`,
      { mode: 0o600 },
    );
    gateway = await startGatewayProcess({ configPath: join(dir, 'gw.yaml'), name: 'gw-tls' });
    await until(
      async () => ((await central.streamState(STREAMS.incidents.name)).messages === 3 ? true : undefined),
      'three incidents over TLS',
      45_000,
    );
    await gateway.stop();
    const log = gateway.output.join('\n');
    expect(log).toContain('NATS connected');
    expect(log).not.toContain(gwPass);
  });
});
