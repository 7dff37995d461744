/**
 * Fault: a gateway process SIGKILLed at random points while it produces and publishes, twenty
 * times (CG_FAULT_KILLS to change), then left to finish. Its outbox and the replay position are
 * on disk; a re-sent incident carries the same id and revision, so JetStream's message-id
 * de-duplication and central's idempotent ingest keep it to one case. Nothing lost, nothing twice.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  census,
  expectExactlyOnce,
  FaultRig,
  incidents,
  startGateway,
  streamCount,
  untilAllCases,
  writeGatewayConfig,
  writeReplayFile,
} from './fault-kit.js';
import { until } from './support/until.js';

const KILLS = Number(process.env.CG_FAULT_KILLS ?? 20);
const N = 400;
const rig = new FaultRig('kill');
const { dir, procs } = rig;
afterAll(() => rig.dispose());

describe('fault - gateway SIGKILL', () => {
  it(`a gateway killed ${KILLS} times at random points loses nothing and duplicates nothing`, {
    timeout: 600_000,
  }, async () => {
    const { server, central } = await rig.startNatsAndCentral();
    const nc = await rig.connect('check');
    await until(async () => ((await streamCount(nc)) === 0 ? true : undefined), 'streams provisioned');

    const list = incidents(N, 'cp-k');
    const produced = list.map((i) => i.id);
    writeReplayFile(join(dir, 'cp-k.jsonl'), list);
    const cfg = await writeGatewayConfig(dir, {
      gatewayId: 'cp-k',
      natsUrl: server.url,
      replayFile: join(dir, 'cp-k.jsonl'),
      // slow enough that most kills land mid-stream whatever the machine's speed
      ratePerS: 15,
    });

    const progress: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const before = await streamCount(nc);
      const gw = await startGateway(cfg.path, `cp-k#${k}`);
      // a random point after the gateway has published something new: waiting for progress
      // rather than a fixed delay keeps the kills mid-stream however loaded the machine is
      if (before < N) {
        await until(
          async () => ((await streamCount(nc)) > before ? true : undefined),
          `cp-k#${k} publishing`,
          90_000,
        );
      }
      await new Promise((r) => setTimeout(r, Math.random() * 500));
      await gw.kill('SIGKILL');
      progress.push(await streamCount(nc));
    }
    const last = await startGateway(cfg.path, 'cp-k#final');
    procs.push(last);
    await untilAllCases(central.url, produced, 120_000);
    const delivered = await streamCount(nc);
    await nc.close();
    const result = await census(central.url);
    expectExactlyOnce('gateway-kill', {
      produced,
      census: result,
      delivered,
      extra: { kills: KILLS, inStreamAtEachKill: progress.join(',') },
    });
    // the kills really happened while publishing: the stream grew between some of them
    expect(new Set(progress).size).toBeGreaterThan(1);
    expect(progress.filter((p) => p < N).length).toBeGreaterThanOrEqual(KILLS / 2);
  });
});
