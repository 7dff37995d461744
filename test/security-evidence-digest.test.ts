/**
 * Issue 13: central verifies at ingest the evidence an incident declares. Each object is looked
 * up in the gateway's bucket before the revision is applied; an object replaced after the
 * upload, a forged sha256, a wrong size and an object that never arrives are refused
 * (dead-lettered with the reason, counted) and the incidents behind them still open their
 * cases. Real nats-server, central in-process on it.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { DeadLetter, decode, evidenceBucket } from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  type NatsConnection,
  provisionStreams,
  putEvidence,
} from '../protocol/transport.js';
import { fakeJpeg, litterIncident, publishIncident, until } from './central-helpers.js';
import { type NatsServerHandle, startNatsServer } from './support/nats-server.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let central: Central;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'test', log: { info() {}, warn() {} } });
  await provisionStreams(nc);
  central = await createCentral({ natsUrl: server.url, logLevel: 'silent' });
  await central.start({ port: 0 });
});
afterAll(async () => {
  await central?.stop();
  await nc?.close();
  await server?.dispose();
});

describe('security - evidence digests are verified at ingest', () => {
  it('refuses an incident whose evidence object does not match what it declares', { timeout: 60_000 }, async () => {
    const os = await evidenceStore(nc.jetstream(), 'cp-dg');
    const reasons: string[] = [];
    const sub = nc.subscribe('cg.v1.dlq.incident');
    void (async () => {
      for await (const m of sub) {
        const d = decode(DeadLetter, m.data);
        if (d.ok) reasons.push(d.value.reason);
      }
    })();
    const before = central.counters.refused.incident ?? 0;
    const withImage = async (bytes: Uint8Array) => {
      const inc = litterIncident({ gatewayId: 'cp-dg' });
      inc.evidence = [await putEvidence(os, `${inc.id}-r0-annotated.jpg`, bytes, 'annotated')];
      return inc;
    };

    // the object was replaced after the upload (same size, other bytes)
    const replaced = await withImage(fakeJpeg(4000, 1));
    await os.putBlob({ name: replaced.evidence![0]!.name }, fakeJpeg(4000, 2));
    // the incident declares a sha256 its object does not have
    const forged = await withImage(fakeJpeg(4000, 3));
    forged.evidence![0]!.sha256 = createHash('sha256').update(fakeJpeg(4000, 4)).digest('hex');
    // and another size
    const resized = await withImage(fakeJpeg(4000, 5));
    resized.evidence![0]!.size = 3999;
    // an object that never arrives
    const missing = litterIncident({ gatewayId: 'cp-dg' });
    missing.evidence = [{ ...forged.evidence![0]!, name: `${missing.id}-r0-annotated.jpg` }];
    const good = await withImage(fakeJpeg(4000, 6));

    for (const inc of [replaced, forged, resized, missing, good]) await publishIncident(nc, inc);
    await until('good case opened', async () => central.store.getIncident(good.id));
    await until('four refused', async () => (central.counters.refused.incident ?? 0) >= before + 4);
    for (const inc of [replaced, forged, resized, missing])
      expect(central.store.getIncident(inc.id), inc.id).toBeUndefined();
    expect(central.counters.refused.incident).toBe(before + 4);
    await until('four dead letters', async () => reasons.length >= 4);
    sub.unsubscribe();
    const bucket = evidenceBucket('cp-dg');
    expect(reasons).toEqual([
      expect.stringMatching(new RegExp(`${replaced.evidence![0]!.name} in ${bucket} .* has sha256 [0-9a-f]{64}, the incident declares`)),
      expect.stringMatching(/has sha256 .* the incident declares/),
      expect.stringMatching(/has 4000 bytes, the incident declares 3999/),
      expect.stringMatching(/is not stored \(waited \d+ ms\)/),
    ]);
    console.log(`[security] evidence refused at ingest: ${reasons.length}; good incident applied after them`);
  });
});
