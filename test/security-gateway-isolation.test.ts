/**
 * Issue 13, finding 1: a gateway must not change another gateway's incidents. Gateway A, on its
 * own subject (which NATS permissions allow it), publishes revisions 1 and 2 carrying B's
 * incident id. Central must refuse them (dead-letter, count) and still apply B's genuine
 * revision 1: JetStream de-duplication must not swallow it (message ids carry the gateway).
 * Also: central verifies at ingest the evidence an incident declares. An object replaced after
 * the upload, a forged sha256, a wrong size and an object that never arrives are refused
 * (dead-lettered with the reason, counted) and the incidents behind them still open their cases.
 * Real nats-server, central in-process on it.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { DeadLetter, decode, evidenceBucket, STREAMS } from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  type Link,
  provisionStreams,
  putEvidence,
} from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { fakeJpeg, litterIncident, publishIncident } from './central-helpers.js';
import { until } from './support/until.js';

let server: NatsServerHandle;
let nc: Link;
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

describe('security - a gateway cannot touch another gateway’s incidents', () => {
  it("refuses A's revisions of B's incident and still applies B's own revision", async () => {
    const b0 = litterIncident({ gatewayId: 'cp-b' });
    await publishIncident(nc, b0);
    const caseOf = () => central.embedded!.getIncident(b0.id)?.caseId;
    const caseId = await until(async () => caseOf(), 'B opened a case');

    // A learned B's id: same id, A's own subject and gatewayId (the subject check passes)
    const forged = (rev: number) =>
      litterIncident({ id: b0.id, rev, lifecycle: 'update', gatewayId: 'cp-a', deviceId: 'cam-a' });
    await publishIncident(nc, forged(1));
    await publishIncident(nc, forged(2));
    const ack = await publishIncident(nc, { ...b0, rev: 1, lifecycle: 'update' });
    expect(ack.duplicate).toBe(false);

    await until(async () => central.embedded!.getIncident(b0.id)?.revs.includes(1), 'B rev 1 applied');
    await until(async () => (central.counters.refused.incident ?? 0) >= 2, 'both forgeries refused');
    const c = central.embedded!.getCase(caseId)!;
    const updates = c.history.filter((h) => h.action === 'incident_update');
    expect(updates.map((h) => h.actor.id)).toEqual(['cp-b']);
    expect(central.embedded!.getIncident(b0.id)!.revs).toEqual([0, 1]);

    const dl = await nc.storedMessage(STREAMS.deadLetters.name, { lastBySubject: 'cg.v1.dlq.incident' });
    const letter = decode(DeadLetter, dl!.data);
    expect(letter.ok && letter.value.reason).toMatch(/belongs to gateway cp-b, not cp-a/);
    console.log(
      `[security] forged revisions refused: ${central.counters.refused.incident}, B's revisions applied: ${central.embedded!.getIncident(b0.id)!.revs.length}`,
    );
  });

  it("refuses evidence in another gateway's bucket or under a name another gateway's case uses", async () => {
    const before = central.counters.refused.incident ?? 0;
    // real objects (central checks each declared object at ingest), so each refusal is about ownership
    const put = async (gatewayId: string, name: string) =>
      putEvidence(await evidenceStore(nc, gatewayId), name, fakeJpeg(300, 5), 'annotated');
    const b = litterIncident({ gatewayId: 'cp-b', evidence: [] });
    b.evidence = [await put('cp-b', `${b.id}-r0-annotated.jpg`)];
    await publishIncident(nc, b);
    await until(async () => central.embedded!.getIncident(b.id), 'B case');
    const inB = litterIncident({ gatewayId: 'cp-a' });
    inB.evidence = [await put('cp-b', `${inB.id}-r0-annotated.jpg`)];
    const reused = litterIncident({ gatewayId: 'cp-a' });
    reused.evidence = [await put('cp-a', `${b.id}-r0-annotated.jpg`)];
    await publishIncident(nc, inB);
    await publishIncident(nc, reused);
    await until(async () => (central.counters.refused.incident ?? 0) >= before + 2, 'both refused');
    expect(central.embedded!.getIncident(inB.id)).toBeUndefined();
    expect(central.embedded!.getIncident(reused.id)).toBeUndefined();
  });
});

describe('security - evidence digests are verified at ingest', () => {
  it('refuses an incident whose evidence object does not match what it declares', {
    timeout: 60_000,
  }, async () => {
    const os = await evidenceStore(nc, 'cp-dg');
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
    await os.put(replaced.evidence![0]!.name, fakeJpeg(4000, 2));
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
    await until(async () => central.embedded!.getIncident(good.id), 'good case opened');
    await until(async () => (central.counters.refused.incident ?? 0) >= before + 4, 'four refused');
    for (const inc of [replaced, forged, resized, missing])
      expect(central.embedded!.getIncident(inc.id), inc.id).toBeUndefined();
    expect(central.counters.refused.incident).toBe(before + 4);
    await until(async () => reasons.length >= 4, 'four dead letters');
    sub.unsubscribe();
    const bucket = evidenceBucket('cp-dg');
    expect(reasons).toEqual([
      expect.stringMatching(
        new RegExp(
          `${replaced.evidence![0]!.name} in ${bucket} .* has sha256 [0-9a-f]{64}, the incident declares`,
        ),
      ),
      expect.stringMatching(/has sha256 .* the incident declares/),
      expect.stringMatching(/has 4000 bytes, the incident declares 3999/),
      expect.stringMatching(/is not stored \(waited \d+ ms\)/),
    ]);
    console.log(`[security] evidence refused at ingest: ${reasons.length}; good incident applied after them`);
  });
});
