/**
 * Fault: a gateway re-sends incidents after JetStream's de-duplication window has passed (offline
 * for days in the field; here the incidents stream's window is cut to 1 s). A gateway process
 * delivers a recording; then the same gateway, restored with an empty data directory, replays the
 * same recording after the window: JetStream stores every message again, and central's ingest,
 * idempotent by (incident id, rev), opens no second case and counts each as a duplicate.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STREAMS } from '../protocol/index.js';
import {
  census,
  expectExactlyOnce,
  FaultRig,
  incidents,
  metric,
  startGateway,
  streamCount,
  untilAllCases,
  writeGatewayConfig,
  writeReplayFile,
} from './fault-kit.js';
import { connect, jetstreamManager, nanos } from './support/nats-raw.js';
import { until } from './support/until.js';

const N = 60;
const rig = new FaultRig('dedup');
const { dir, procs } = rig;
afterAll(() => rig.dispose());

describe('fault - replay after the de-duplication window', () => {
  it('a gateway replaying after the window opens no duplicate case', { timeout: 180_000 }, async () => {
    const { server, central } = await rig.startNatsAndCentral();
    const nc = await rig.connect('check');
    await until(async () => ((await streamCount(nc)) === 0 ? true : undefined), 'streams provisioned');
    // a window of one second, set behind the transport's back (it only provisions the real one)
    const raw = await connect({ servers: server.url });
    const jsm = await jetstreamManager(raw);
    const si = await jsm.streams.info(STREAMS.incidents.name);
    await jsm.streams.update(STREAMS.incidents.name, { ...si.config, duplicate_window: nanos(1000) });
    await raw.close();

    const list = incidents(N, 'cp-d');
    const produced = list.map((i) => i.id);
    writeReplayFile(join(dir, 'cp-d.jsonl'), list);
    const first = await writeGatewayConfig(join(dir, 'first'), {
      gatewayId: 'cp-d',
      natsUrl: server.url,
      replayFile: join(dir, 'cp-d.jsonl'),
      ratePerS: 100,
    });
    const gw1 = await startGateway(first.path, 'cp-d#1');
    procs.push(gw1);
    await untilAllCases(central.url, produced, 90_000);
    await gw1.stop();
    const windowMs = 1000;
    const replayAt = Date.now() + windowMs + 500;
    while (Date.now() < replayAt) await new Promise((r) => setTimeout(r, 100));

    // the same gateway after a restore: no outbox, no replay position, same recording
    const second = await writeGatewayConfig(join(dir, 'second'), {
      gatewayId: 'cp-d',
      natsUrl: server.url,
      replayFile: join(dir, 'cp-d.jsonl'),
      ratePerS: 100,
    });
    const gw2 = await startGateway(second.path, 'cp-d#2');
    procs.push(gw2);
    await until(
      async () => ((await streamCount(nc)) === 2 * N ? true : undefined),
      'replay stored past the window',
      90_000,
    );
    const dupes = await until(
      async () => {
        const d = await metric(
          `${central.url}/api/metrics`,
          'cg_central_duplicates_total',
          'kind="incident"',
        );
        return d === N ? d : undefined;
      },
      'central counted the re-sent revisions as duplicates',
      60_000,
    );
    const result = await census(central.url);
    expectExactlyOnce('dedup-window', {
      produced,
      census: result,
      delivered: await streamCount(nc),
      extra: { dedupWindowMs: windowMs, resentAfterWindow: N, centralDuplicates: dupes },
    });
    expect(await streamCount(nc)).toBe(2 * N); // JetStream did not catch them: central did
  });
});
