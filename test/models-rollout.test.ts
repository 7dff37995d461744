/**
 * Model rollout end to end with real processes (nats-server, central, a gateway with a camera
 * section running the real cg-detector ONNX): `models publish` puts a version into `cg_models`,
 * `POST /api/gateways/models/rollout` names it in the gateway's synced configuration, the gateway
 * fetches it, checks the sha256, loads it and its heartbeat reports the new version; rollback
 * brings the previous one back; a version whose file was changed in the store is refused with
 * the reason and the running model stays. A folder whose manifest does not match its file is
 * never published.
 *
 * The candidate is the committed cg-detector weights under a new version, published with
 * `--force` (it was never evaluated better; the warning says so). Training and evaluating a real
 * candidate first is test/models-learning-loop.test.ts.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODELS_BUCKET, modelObject } from '../protocol/index.js';
import { connectNats } from '../protocol/transport.js';
import { freePort, type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import type { ManagedProcess } from '../sim/processes.js';
import { startCentralProcess, startGateway } from './fault-kit.js';
import { until } from './support/until.js';

const REPO = resolve(import.meta.dirname, '..');
const DETECTOR = join(REPO, 'models/detector');
const procs: ManagedProcess[] = [];
let server: NatsServerHandle | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cg-model-rollout-'));
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

afterAll(async () => {
  for (const p of procs) await p.stop();
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the committed detector as another version (optionally with a wrong manifest sha256). */
function versionFolder(version: string, sha256?: string): string {
  const out = join(dir, `cg-detector-${version}`);
  mkdirSync(out, { recursive: true });
  for (const f of ['model.onnx', 'MODEL_CARD.md']) copyFileSync(join(DETECTOR, f), join(out, f));
  const m = JSON.parse(readFileSync(join(DETECTOR, 'manifest.json'), 'utf8'));
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...m, version, sha256: sha256 ?? m.sha256 }));
  return out;
}

const publish = (folder: string, natsUrl: string) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', 'models/cli.ts', 'publish', folder, '--nats', natsUrl, '--force'],
    {
      cwd: REPO,
      encoding: 'utf8',
    },
  );

describe('models - publish, roll out to a gateway process, roll back', () => {
  it('the heartbeat reports the rolled-out version; rollback restores the old; a changed file is refused', {
    timeout: 180_000,
  }, async () => {
    server = await startNatsServer();
    const central = await startCentralProcess(server.url, join(dir, 'central'));
    procs.push(central.proc);
    const localManifest = join(DETECTOR, 'manifest.json');
    // one camera nobody answers: the unit runs (offline) with its models loaded
    const deadPort = await freePort();
    const cameras = {
      models: { detector: localManifest },
      list: [
        {
          id: 'cam-1',
          name: '解放大道东口',
          xaddr: `http://127.0.0.1:${deadPort}/onvif/device_service`,
          snapshotIntervalS: 5,
          backoff: { initialS: 5, maxS: 30 },
          location: { lat: 26.8968, lon: 112.5719, gridCode: '430405001001001' },
        },
      ],
    };
    const gwDir = join(dir, 'cp-m');
    const cfgPath = join(dir, 'cp-m.yaml');
    writeFileSync(
      cfgPath,
      `${[
        'gatewayId: cp-m',
        'kind: checkpoint',
        'heartbeatS: 1',
        `dataDir: ${gwDir}`,
        `nats: { servers: "${server.url}" }`,
        `cameras: ${JSON.stringify(cameras)}`,
      ].join('\n')}\n`,
    );
    procs.push(await startGateway(cfgPath, 'cp-m'));

    const admin = { authorization: 'Bearer demo-admin', 'content-type': 'application/json' };
    // a new connection each time: the publish runs outlast the server's keep-alive, and a
    // pooled socket the server has just closed fails the next request
    const api = (path: string, method = 'GET', body?: object) =>
      fetch(`${central.url}/api/gateways${path}`, {
        method,
        headers: { ...admin, connection: 'close' },
        body: body && JSON.stringify(body),
      });
    const view = async () => (await api('/cp-m/config')).json();
    const running = async () => {
      const v = await view();
      return (v.reported?.models ?? []).find((m: { name: string }) => m.name === 'cg-detector');
    };

    // version 1 of the synced config: the same cameras, managed by central from now on
    await until(
      async () =>
        (await api('/cp-m/config', 'PUT', { kind: 'checkpoint', heartbeatS: 1, cameras })).status === 200
          ? true
          : undefined,
      'config version 1 stored',
    );
    await until(async () => ((await view()).inSync ? true : undefined), 'gateway runs version 1');
    expect(await running()).toMatchObject({ version: '1.0.0', cameraIds: ['cam-1'] });

    // a folder whose manifest does not match its file is refused by name, nothing is published
    const bad = publish(versionFolder('1.0.9-bad', 'f'.repeat(64)), server.url);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/sha256 [0-9a-f]{64} does not match the manifest/);
    const ok = publish(versionFolder('1.1.0-city'), server.url);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/warning: publishing .*1\.1\.0-city with --force although no evaluation\.json/);
    const listed = (await (await api('/models')).json()).models;
    expect(listed.map((m: { version: string }) => m.version)).toEqual(['1.1.0-city']);

    // unknown version and a gateway without that model: 422, nothing written
    expect(
      (await api('/models/rollout', 'POST', { gatewayIds: ['cp-m'], name: 'cg-detector', version: '9.9.9' }))
        .status,
    ).toBe(422);
    expect(
      (
        await api('/models/rollout', 'POST', {
          gatewayIds: ['cp-m'],
          name: 'cg-detector',
          version: '1.1.0-city',
        })
      ).status,
    ).toBe(422);

    const roll = await api('/models/rollout', 'POST', {
      gatewayIds: ['cp-m'],
      name: 'cg-detector',
      version: '1.1.0-city',
      replace: localManifest,
    });
    expect(roll.status).toBe(200);
    expect((await roll.json()).results[0]).toMatchObject({ gatewayId: 'cp-m', configVersion: 2 });
    const rolled = await until(async () => {
      const m = await running();
      return m?.version === '1.1.0-city' ? m : undefined;
    }, 'heartbeat reports 1.1.0-city');
    expect(rolled.cameraIds).toEqual(['cam-1']);
    expect((await view()).reported.configVersion).toBe('sync-2');
    // fetched into the gateway's data dir, no temporary folder left
    expect(existsSync(join(gwDir, 'models/cg-detector/1.1.0-city/model.onnx'))).toBe(true);
    expect(readdirSync(join(gwDir, 'models')).filter((f) => f.startsWith('.'))).toEqual([]);
    // the document kept for a restart without NATS names the verified copy, not the reference
    const kept = JSON.parse(readFileSync(join(gwDir, 'synced-config.json'), 'utf8'));
    expect(kept.config.cameras.models.detector).toBe(
      join(gwDir, 'models/cg-detector/1.1.0-city/manifest.json'),
    );

    // rollback: the local manifest it ran before
    const back = await api('/models/rollback', 'POST', { gatewayIds: ['cp-m'], name: 'cg-detector' });
    expect(back.status).toBe(200);
    expect((await back.json()).results[0].models).toEqual({ detector: localManifest });
    await until(
      async () => ((await running())?.version === '1.0.0' ? true : undefined),
      'rolled back to 1.0.0',
    );

    // a version whose model file was replaced in the store after publishing: refused, 1.0.0 stays
    expect(publish(versionFolder('1.2.0-city'), server.url).status).toBe(0);
    const nc = await connectNats({ servers: server.url, name: 'tamper', log: quiet });
    const os = await nc.objects(MODELS_BUCKET);
    await os.put(modelObject('cg-detector', '1.2.0-city', 'model.onnx'), new Uint8Array(4096).fill(7));
    await nc.close();
    expect(
      (
        await api('/models/rollout', 'POST', {
          gatewayIds: ['cp-m'],
          name: 'cg-detector',
          version: '1.2.0-city',
          replace: localManifest,
        })
      ).status,
    ).toBe(200);
    const refused = await until(async () => {
      const v = await view();
      return v.reported?.configRefused?.version === '4' ? v : undefined;
    }, 'gateway refuses version 4');
    expect(refused.reported.configRefused.reason).toMatch(
      /1\.2\.0-city: downloaded model\.onnx has sha256 [0-9a-f]{64}, expected/,
    );
    expect(refused.reported.configVersion).toBe('sync-3');
    expect((await running())?.version).toBe('1.0.0');
    expect(existsSync(join(gwDir, 'models/cg-detector/1.2.0-city'))).toBe(false);
    console.log(`[models-rollout] refused: ${refused.reported.configRefused.reason}`);
  });
});
