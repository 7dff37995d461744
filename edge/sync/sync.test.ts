/**
 * Config sync, gateway side, against a real nats-server: the test writes GatewayConfigDocs into
 * the KV bucket the way central does; a gateway applies a valid version live, refuses a bad one
 * (core schema or a pipeline that cannot be built) and keeps the old, reports the version it
 * runs, and picks up a version written while it was offline, also across a restart without NATS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_BUCKET, type GatewayConfigDoc } from '../../protocol/index.js';
import { connectNats, type KvBucket, type Link } from '../../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../../sim/nats-server.js';
import { until } from '../../test/support/until.js';
import { type GatewayConfig, parseGatewayConfig } from '../config.js';
import { type Gateway, startGateway } from '../gateway.js';
import type { EdgeUnit } from '../unit.js';
import { registerSyncMetrics } from './metrics.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
let server: NatsServerHandle;
let nc: Link;
let kv: KvBucket;
const dirs: string[] = [];

/** A unit factory standing in for a pipeline: it refuses cameras marked broken, like a schema would. */
function driver(built: GatewayConfig[]) {
  return async (cfg: GatewayConfig): Promise<EdgeUnit[]> => {
    const cams = (cfg.cameras ?? []) as { id: string; broken?: boolean }[];
    if (cams.some((c) => c.broken)) throw new Error(`camera ${cams.find((c) => c.broken)!.id}: bad rtsp url`);
    built.push(cfg);
    return [{ name: 'driver', start: async () => {}, stop: async () => {}, devices: () => [] }];
  };
}

function localConfig(id: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cg-sync-'));
  dirs.push(dataDir);
  return parseGatewayConfig(
    `gatewayId: ${id}\nkind: checkpoint\ncameras: []\nheartbeatS: 1\nnats: { servers: "${server.url}", user: local-user }\ndataDir: ${dataDir}\n`,
    dataDir,
  );
}

async function putDoc(id: string, version: number, config: Record<string, unknown>) {
  const doc: GatewayConfigDoc = {
    v: 1,
    gatewayId: id,
    version,
    updatedAt: new Date().toISOString(),
    updatedBy: 'u-admin',
    config,
  };
  await kv.put(id, new TextEncoder().encode(JSON.stringify(doc)));
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'test-central', log: quiet });
  kv = await nc.kv(CONFIG_BUCKET, { history: 5 });
});

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('config sync - gateway', () => {
  let gw: Gateway;
  const built: GatewayConfig[] = [];

  it('applies a new version live and reports it', async () => {
    gw = await startGateway(localConfig('cp-sync'), { log: quiet, createUnits: driver(built) });
    await until(() => (gw.syncStats().watching ? true : undefined), 'watching');
    expect(gw.status().configVersion).toMatch(/^[0-9a-f]{12}$/); // the local file's hash
    await putDoc('cp-sync', 1, { kind: 'checkpoint', cameras: [{ id: 'gate-1' }], heartbeatS: 5 });
    await until(() => (gw.syncStats().version === 1 ? true : undefined), 'version 1 applied');
    expect(gw.status().configVersion).toBe('sync-1');
    expect(gw.config.heartbeatS).toBe(5);
    expect(gw.config.cameras).toEqual([{ id: 'gate-1' }]);
    // credentials and paths stay local
    expect(gw.config.nats.user).toBe('local-user');
    expect(built.at(-1)?.cameras).toEqual([{ id: 'gate-1' }]);
  });

  it('refuses a version that fails the core schema and keeps the old one', async () => {
    await putDoc('cp-sync', 2, { kind: 'checkpoint', cameras: [], heartbeatS: 0 });
    await until(() => (gw.syncStats().refused === 1 ? true : undefined), 'version 2 refused');
    expect(gw.status().configVersion).toBe('sync-1');
    expect(gw.status().configRefused).toMatchObject({
      version: '2',
      reason: expect.stringMatching(/heartbeatS/),
    });
    expect(gw.config.heartbeatS).toBe(5);
  });

  it('refuses a version its pipeline cannot build, keeps the old units', async () => {
    const n = built.length;
    await putDoc('cp-sync', 3, { kind: 'checkpoint', cameras: [{ id: 'gate-2', broken: true }] });
    await until(() => (gw.syncStats().refused === 2 ? true : undefined), 'version 3 refused');
    expect(gw.status().configRefused?.reason).toMatch(/gate-2: bad rtsp url/);
    expect(gw.status().configVersion).toBe('sync-1');
    expect(built.length).toBe(n);
    await putDoc('cp-sync', 4, { kind: 'checkpoint', cameras: [{ id: 'gate-2' }] });
    await until(() => (gw.syncStats().version === 4 ? true : undefined), 'version 4 applied');
    expect(gw.config.cameras).toEqual([{ id: 'gate-2' }]);
  });

  it('refuses a document that tries to set local keys or is not a document', async () => {
    await putDoc('cp-sync', 5, { kind: 'checkpoint', cameras: [], nats: { servers: 'nats://evil:4222' } });
    await until(() => (gw.syncStats().refused === 3 ? true : undefined), 'version 5 refused');
    expect(gw.status().configRefused?.reason).toMatch(/local to the gateway/);
    await kv.put('cp-sync', new TextEncoder().encode('{"not":"a doc"'));
    await until(() => (gw.syncStats().refused === 4 ? true : undefined), 'garbage refused');
    expect(gw.status().configVersion).toBe('sync-4');
    const reg = new Registry();
    registerSyncMetrics(reg, 'cp-sync', () => gw.syncStats());
    const text = await reg.metrics();
    expect(text).toMatch(/^cg_config_version\{gateway="cp-sync"\} 4$/m);
    expect(text).toMatch(/^cg_config_refused_total\{gateway="cp-sync"\} 4$/m);
    expect(gw.config.nats.servers).toBe(server.url);
  });

  it('keeps the applied version across a restart without NATS', async () => {
    const cfg = gw.config;
    await gw.stop();
    const offline = { ...cfg, nats: { ...cfg.nats, servers: 'nats://127.0.0.1:1' } };
    const again = await startGateway(
      { ...localConfig('cp-sync'), dataDir: cfg.dataDir, nats: offline.nats },
      { log: quiet, createUnits: driver([]) },
    );
    try {
      expect(again.status().configVersion).toBe('sync-4');
      expect(again.config.cameras).toEqual([{ id: 'gate-2' }]);
    } finally {
      await again.stop();
    }
  });

  it('a gateway offline while its config changed gets the last version when it connects', async () => {
    await putDoc('cp-late', 1, { kind: 'checkpoint', cameras: [{ id: 'a' }] });
    await putDoc('cp-late', 2, { kind: 'checkpoint', cameras: [{ id: 'b' }] });
    const late = await startGateway(localConfig('cp-late'), { log: quiet, createUnits: driver([]) });
    try {
      await until(() => (late.syncStats().version === 2 ? true : undefined), 'late gateway synced');
      expect(late.config.cameras).toEqual([{ id: 'b' }]);
      expect(late.syncStats().applied).toBe(1); // only the last value, not the history
    } finally {
      await late.stop();
    }
  });
});
