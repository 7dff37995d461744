/**
 * Configuration sync end to end with real processes: an admin PUTs a gateway's configuration to
 * central's API, the gateway process applies it live and central shows it in sync; a version the
 * gateway cannot run (its replay file does not exist) is refused, the old one keeps running and
 * central shows the refusal with the reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from '../../sim/nats-server.js';
import type { ManagedProcess } from '../../sim/processes.js';
import {
  census,
  incidents,
  metric,
  startCentralProcess,
  startGateway,
  writeGatewayConfig,
  writeReplayFile,
} from '../../test/fault-kit.js';
import { until } from '../../test/support/until.js';

const procs: ManagedProcess[] = [];
let server: NatsServerHandle | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cg-sync-e2e-'));

afterAll(async () => {
  for (const p of procs) await p.stop();
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateways - config sync end to end', () => {
  it('PUT at central → applied live by the gateway process → shown in sync; a bad version is refused and shown', {
    timeout: 120_000,
  }, async () => {
    server = await startNatsServer();
    const central = await startCentralProcess(server.url, join(dir, 'central'));
    procs.push(central.proc);
    const first = incidents(3, 'cp-e2e');
    const second = incidents(2, 'cp-e2e');
    writeReplayFile(join(dir, 'a.jsonl'), first);
    writeReplayFile(join(dir, 'b.jsonl'), second);
    const cfg = await writeGatewayConfig(dir, {
      gatewayId: 'cp-e2e',
      natsUrl: server.url,
      replayFile: join(dir, 'a.jsonl'),
      ratePerS: 50,
    });
    procs.push(await startGateway(cfg.path, 'cp-e2e'));
    await until(
      async () => ((await census(central.url)).byIncident.size === 3 ? true : undefined),
      'first recording delivered',
    );

    const admin = { authorization: 'Bearer demo-admin', 'content-type': 'application/json' };
    const put = (config: object) =>
      fetch(`${central.url}/api/gateways/cp-e2e/config`, {
        method: 'PUT',
        headers: admin,
        body: JSON.stringify(config),
      });
    const view = async () =>
      (await fetch(`${central.url}/api/gateways/cp-e2e/config`, { headers: admin })).json();
    await until(
      async () =>
        (
          await put({
            kind: 'checkpoint',
            heartbeatS: 1,
            replay: { file: join(dir, 'b.jsonl'), ratePerS: 50 },
          })
        ).status === 200
          ? true
          : undefined,
      'version 1 stored',
    );
    const synced = await until(async () => {
      const v = await view();
      return v.inSync ? v : undefined;
    }, 'gateway runs version 1');
    expect(synced.reported.configVersion).toBe('sync-1');
    // the new configuration really runs: the second recording arrives
    await until(
      async () => ((await census(central.url)).byIncident.size === 5 ? true : undefined),
      'second recording delivered',
    );
    const gwMetrics = `http://127.0.0.1:${cfg.metricsPort}/metrics`;
    expect(await metric(gwMetrics, 'cg_nats_connected')).toBe(1);

    expect(
      (await put({ kind: 'checkpoint', heartbeatS: 1, replay: { file: join(dir, 'missing.jsonl') } })).status,
    ).toBe(200);
    const refused = await until(async () => {
      const v = await view();
      return v.reported?.configRefused?.version === '2' ? v : undefined;
    }, 'gateway refuses version 2');
    expect(refused).toMatchObject({
      inSync: false,
      desired: { version: 2 },
      reported: { configVersion: 'sync-1' },
    });
    expect(refused.reported.configRefused.reason).toMatch(/missing\.jsonl/);
    console.log(
      `[sync-e2e] desired=2 running=${refused.reported.configVersion} refused: ${refused.reported.configRefused.reason}`,
    );
  });
});
