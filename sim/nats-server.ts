/**
 * @module sim/nats-server
 * Starts a real `nats-server -js` (Debian package) on a free loopback port with its own store
 * directory, for tests and the demo. Can be stopped and restarted on the same port and store, so
 * fault tests can take NATS away and bring it back.
 * @example
 *   await using nats = await startNatsServer();
 *   const nc = await connect({ servers: nats.url });
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  stop(): Promise<void>;
  /** SIGKILL: no shutdown, no flush (a node lost mid-publish) */
  kill(): Promise<void>;
  start(): Promise<void>;
  /** stop and remove the store directory */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface NatsServerOptions {
  port?: number;
  storeDir?: string;
  /** extra config file text (accounts/authorization), appended to the generated config */
  extraConfig?: string;
  log?: (line: string) => void;
}

export function natsServerBinary(): string {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    '/usr/sbin/nats-server',
    '/usr/bin/nats-server',
    'nats-server',
  ].filter(Boolean) as string[];
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  throw new Error(
    'nats-server not found: install it with `apt-get install nats-server` (or set NATS_SERVER_BIN)',
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const bin = natsServerBinary();
  const port = opts.port ?? (await freePort());
  const ownStore = !opts.storeDir;
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), 'cg-nats-'));
  mkdirSync(storeDir, { recursive: true });
  const confPath = join(storeDir, 'nats.conf');
  writeFileSync(
    confPath,
    [
      'listen: 127.0.0.1:' + port,
      `jetstream { store_dir: "${join(storeDir, 'js')}" }`,
      'max_payload: 1MB',
      opts.extraConfig ?? '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(bin, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const onData = (b: Buffer) => {
      for (const l of b.toString().split('\n'))
        if (l) {
          lines.push(l);
          opts.log?.(l);
        }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`nats-server exited (${child.exitCode}): ${lines.slice(-5).join(' | ')}`);
      if (await canConnect(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not listen on ${port} within 15 s: ${lines.slice(-5).join(' | ')}`);
  };

  /** signal the process and wait for its exit; SIGTERM escalates to SIGKILL after 5 s */
  const end = async (signal: 'SIGTERM' | 'SIGKILL') => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  const stop = () => end('SIGTERM');
  const kill = () => end('SIGKILL');

  const dispose = async () => {
    await stop();
    if (ownStore) rmSync(storeDir, { recursive: true, force: true });
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop,
    kill,
    start,
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
