/**
 * Helpers for central's tests: spawn a real central process with tsx, talk to it over HTTP,
 * make incidents, poll with a deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode, Incident, type IncidentInput, incidentMsgId, newId, subjects } from '../protocol/index.js';
import { connectNats, type Link, provisionStreams } from '../protocol/transport.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export interface CentralProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait; removes the data directory if this helper made it */
  stop(): Promise<void>;
  /** SIGKILL and wait */
  kill(): Promise<void>;
}

export async function spawnCentral(opts: {
  natsUrl: string;
  dataDir?: string;
  /** `postgres://…`: the case store (default lowdb in the data directory) */
  storeUrl?: string;
  /** more command-line options (`--nats-replicas 3`) */
  args?: string[];
}): Promise<CentralProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'cg-central-'));
  // node itself with tsx's loader: one process, so a signal reaches central and not a launcher
  // (the `tsx` CLI runs central in a child that outlives a SIGKILL of the launcher)
  const args = [
    '--import',
    'tsx',
    'central/main.ts',
    '--port',
    '0',
    '--nats',
    opts.natsUrl,
    '--data',
    dataDir,
    '--demo',
    ...(opts.storeUrl ? ['--store', opts.storeUrl] : []),
    ...(opts.args ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const url = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`central did not start in 30 s:\n${out}`));
    }, 30_000);
    const onData = () => {
      const m = /central listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        res(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`central exited ${code}:\n${out}`));
    });
  });
  const waitExit = () =>
    new Promise<void>((r) =>
      child.exitCode !== null || child.signalCode ? r() : child.once('exit', () => r()),
    );
  return {
    url,
    dataDir,
    child,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      await waitExit();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      child.kill('SIGKILL');
      await waitExit();
    },
  };
}

export interface CentralWithNats {
  server: NatsServerHandle;
  nc: Link;
  central: CentralProcess;
}

/** A real nats-server with provisioned streams, a test connection to it and a central process on it. */
export async function startCentralWithNats(): Promise<CentralWithNats> {
  const server = await startNatsServer();
  let nc: Link | undefined;
  try {
    nc = await connectNats({ servers: server.url, name: 'test', log: { info() {}, warn() {} } });
    await provisionStreams(nc);
    const central = await spawnCentral({ natsUrl: server.url });
    return { server, nc, central };
  } catch (e) {
    await nc?.close();
    await server.dispose();
    throw e;
  }
}

/** Undoes startCentralWithNats; tolerates a setup that never finished. */
export async function stopCentralWithNats(env: CentralWithNats | undefined): Promise<void> {
  await env?.central.stop();
  await env?.nc.close();
  await env?.server.dispose();
}

/** Publishes an incident the way a gateway does (msgID = id.rev for JetStream de-duplication). */
export function publishIncident(nc: Link, inc: IncidentInput) {
  return nc.publishStored(subjects.incident(inc.gatewayId), encode(Incident, inc), {
    msgId: incidentMsgId(inc),
  });
}

export async function api(
  base: string,
  path: string,
  token: string | undefined,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; raw?: BodyInit } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined = init.raw;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const r = await fetch(base + path, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: r.status, body: parsed, headers: r.headers };
}

/** A camera litter incident inside the demo city's first grid. */
export function litterIncident(over: Partial<IncidentInput> = {}): IncidentInput {
  const now = new Date().toISOString();
  return {
    v: 1,
    id: newId(),
    rev: 0,
    lifecycle: 'new',
    kind: 'litter',
    category: '01.04',
    gatewayId: 'cp-01',
    deviceId: 'cam-01',
    observedAt: now,
    startedAt: now,
    confidence: 0.87,
    location: { source: 'fixed', ...ZHENGXIANG, cameraId: 'cam-01', zoneId: 'z1' },
    detections: [{ label: 'litter', score: 0.87, box: { x: 10, y: 20, w: 30, h: 40 } }],
    evidence: [],
    producer: { rule: 'litter_persist', model: { name: 'yolo-demo' } },
    ...over,
  };
}

/** A minimal valid JPEG (SOI + APP0 + EOI) of a given size. */
export function fakeJpeg(size = 200, fill = 0): Uint8Array {
  const b = new Uint8Array(Math.max(size, 8)).fill(fill);
  b.set([0xff, 0xd8, 0xff, 0xe0], 0);
  b.set([0xff, 0xd9], b.length - 2);
  return b;
}

export const TOKENS = {
  operator: 'demo-operator',
  leader: 'demo-leader',
  admin: 'demo-admin',
  collector: 'demo-collector',
  hotline: 'demo-hotline',
  open311: 'demo-open311',
  handler: (unit: string) => `demo-handler-${unit}`,
};
