/**
 * @module test/fault-kit
 * Shared parts of the fault tests (test/fault-*.test.ts): recorded incident files for the
 * gateway's replay unit, gateway config files, central and gateway processes, the census that
 * counts every incident produced against every case central created, and the printed report.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Incident, type IncidentInput, newId, STREAMS } from '../protocol/index.js';
import { connectNats, type Link } from '../protocol/transport.js';
import { freePort, type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { type ManagedProcess, spawnTs } from '../sim/processes.js';
import { until } from './support/until.js';

export const OPERATOR = 'demo-operator';

/** n litter incidents (rev 0, lifecycle new) spread over the demo city, with fixed ids. */
export function incidents(n: number, gatewayId: string): IncidentInput[] {
  const t0 = Date.now() - n * 1000;
  return Array.from({ length: n }, (_, i) => {
    const t = new Date(t0 + i * 1000).toISOString();
    return {
      v: 1 as const,
      id: newId(t0 + i * 1000),
      rev: 0,
      lifecycle: 'new' as const,
      kind: 'litter' as const,
      category: '01.04',
      gatewayId,
      deviceId: 'cam-1',
      observedAt: t,
      startedAt: t,
      confidence: 0.8,
      location: {
        source: 'fixed' as const,
        lat: 26.84 + (i % 97) * 0.0011,
        lon: 112.536 + (i % 89) * 0.00089,
      }, // inside the seed's west-bank grids
      producer: { rule: 'fault-drill' },
      evidence: [],
      details: { n: i },
    };
  });
}

/** A JSON-lines file for the replay unit (drafts: no v, gatewayId, evidence). */
export function writeReplayFile(file: string, list: IncidentInput[]): void {
  const lines = list.map(({ v: _v, gatewayId: _g, evidence: _e, ...d }) => JSON.stringify(d));
  writeFileSync(file, `${lines.join('\n')}\n`);
}

export async function writeGatewayConfig(
  dir: string,
  o: { gatewayId: string; natsUrl: string; replayFile: string; ratePerS: number },
): Promise<{ path: string; metricsPort: number }> {
  mkdirSync(dir, { recursive: true });
  const metricsPort = await freePort();
  const path = join(dir, `${o.gatewayId}.yaml`);
  writeFileSync(
    path,
    [
      `gatewayId: ${o.gatewayId}`,
      'kind: checkpoint',
      'heartbeatS: 2',
      `metricsPort: ${metricsPort}`,
      `dataDir: ${join(dir, o.gatewayId)}`,
      `nats: { servers: "${o.natsUrl}" }`,
      `replay: { file: "${o.replayFile}", ratePerS: ${o.ratePerS} }`,
      '',
    ].join('\n'),
  );
  return { path, metricsPort };
}

export async function startGateway(configPath: string, name: string): Promise<ManagedProcess> {
  const { proc } = await spawnTs({
    name,
    script: 'edge/main.ts',
    args: ['--config', configPath],
    env: { CG_LOG_LEVEL: 'warn' },
  });
  return proc;
}

export async function startCentralProcess(
  natsUrl: string,
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ proc: ManagedProcess; url: string }> {
  const { proc, match } = await spawnTs({
    name: 'central',
    script: 'central/main.ts',
    args: ['--port', '0', '--nats', natsUrl, '--data', dataDir, '--demo'],
    env: { LOG_LEVEL: 'warn', ...env },
    readyLine: /central listening on (http:\/\/\S+)/,
    readyTimeoutMs: 60_000,
  });
  return { proc, url: match![1]! };
}

/**
 * What one fault test starts and must clean up: its temporary directory, the nats-server, the
 * processes in `procs` and the checking connection. dispose() (from afterAll) stops the
 * processes first, then the connection, then NATS, and removes the directory.
 */
export class FaultRig {
  readonly dir: string;
  readonly procs: ManagedProcess[] = [];
  server?: NatsServerHandle;
  nc?: Link;

  constructor(name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `cg-fault-${name}-`));
  }

  async startNats(): Promise<NatsServerHandle> {
    this.server = await startNatsServer();
    return this.server;
  }

  /** nats-server, then central on it with its data in <dir>/central; central is one of `procs`. */
  async startNatsAndCentral(): Promise<{
    server: NatsServerHandle;
    central: { proc: ManagedProcess; url: string };
  }> {
    const server = await this.startNats();
    const central = await startCentralProcess(server.url, join(this.dir, 'central'));
    this.procs.push(central.proc);
    return { server, central };
  }

  /** The test's own connection to NATS (for checks or publishing); closed by dispose() if still open. */
  async connect(name: string): Promise<Link> {
    this.nc = await connectNats({ servers: this.server!.url, name, log: { info() {}, warn() {} } });
    return this.nc;
  }

  async dispose(): Promise<void> {
    for (const p of this.procs) await p.stop();
    if (this.nc && !this.nc.isClosed()) await this.nc.close();
    await this.server?.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * GET that survives a pooled keep-alive socket the server has just closed (after refusing a
 * huge body central closes the connection; undici may hand that socket out once more): retry
 * on a new connection. Only the test's own reads use this, never the requests under test.
 */
export async function fetchFresh(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), connection: 'close' },
    });
  }
}

/** Scrape one Prometheus sample (first match of name + optional label text). */
export async function metric(url: string, name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetchFresh(url)).text();
  const re = new RegExp(
    `^${name}(\\{[^}]*${labels.replace(/[{}"]/g, (c) => `\\${c}`)}[^}]*\\})? ([0-9.e+-]+)$`,
    'm',
  );
  const m = re.exec(text);
  return m ? Number(m[2]) : undefined;
}

export interface Census {
  cases: number;
  /** incident id → number of cases that carry it */
  byIncident: Map<string, number>;
}

/** Every AI case central holds, read through its API as an operator. */
export async function census(centralUrl: string): Promise<Census> {
  const byIncident = new Map<string, number>();
  let cases = 0;
  // page by the cursor (offsets stop at 10,000): each page names the next
  for (let before = ''; ; ) {
    const r = await fetchFresh(
      `${centralUrl}/api/cases?source=ai&limit=500${before && `&before=${before}`}`,
      {
        headers: { authorization: `Bearer ${OPERATOR}` },
      },
    );
    // the API's per-token rate limit (50/s) answers a census polled in a loop 429: a client
    // waits as told and asks for the same page again
    if (r.status === 429) {
      await r.arrayBuffer();
      await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') ?? 1)));
      continue;
    }
    if (r.status !== 200) throw new Error(`GET /api/cases: ${r.status} ${await r.text()}`);
    const page = (await r.json()) as { next?: string; items: { refs: { incidentIds: string[] } }[] };
    for (const c of page.items) {
      cases++;
      for (const id of c.refs.incidentIds) byIncident.set(id, (byIncident.get(id) ?? 0) + 1);
    }
    if (!page.next) break;
    before = page.next;
  }
  return { cases, byIncident };
}

/** Wait until central has a case for every produced incident (or the deadline passes). */
export async function untilAllCases(centralUrl: string, ids: string[], ms: number): Promise<Census> {
  let last: Census | undefined;
  try {
    return await until(
      async () => {
        last = await census(centralUrl);
        return ids.every((id) => last!.byIncident.has(id)) ? last : undefined;
      },
      `cases for all ${ids.length} incidents`,
      ms,
    );
  } catch (e) {
    if (last) report('timeout', { produced: ids, census: last });
    throw e;
  }
}

export async function streamCount(nc: Link, stream: string = STREAMS.incidents.name): Promise<number> {
  return (await nc.streamState(stream)).messages;
}

/** Print the counts line and assert nothing lost, nothing twice, nothing unexpected. */
export function report(
  name: string,
  o: { produced: string[]; census: Census; delivered?: number; extra?: Record<string, number | string> },
) {
  const lost = o.produced.filter((id) => !o.census.byIncident.has(id)).length;
  const duplicates = [...o.census.byIncident.values()].reduce((s, n) => s + (n > 1 ? n - 1 : 0), 0);
  const counts = {
    produced: o.produced.length,
    delivered: o.delivered ?? '-',
    cases: o.census.cases,
    duplicates,
    lost,
    ...o.extra,
  };
  console.log(
    `[fault:${name}] ${Object.entries(counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  return { lost, duplicates };
}

export function expectExactlyOnce(name: string, o: Parameters<typeof report>[1]) {
  const { lost, duplicates } = report(name, o);
  expect(lost).toBe(0);
  expect(duplicates).toBe(0);
  expect(o.census.cases).toBe(o.produced.length);
}

export { Incident };
