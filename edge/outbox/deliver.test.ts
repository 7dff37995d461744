/**
 * Delivery re-validates what it changed (issue 19): an outbox entry whose message no longer passes
 * the protocol schema once delivery filled in its evidence refs is not published; it is set
 * aside with the reason (kept, with its evidence file) and counted, and the entries after it
 * are still delivered. Real nats-server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Incident, incidentMsgId, STREAMS, subjects, validate } from '../../protocol/index.js';
import { connectNats, type Link, provisionStreams } from '../../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../../sim/nats-server.js';
import { freshDataDir } from '../../test/support/data-dir.js';
import { litterDraft } from '../../test/support/incident-draft.js';
import { until } from '../../test/support/until.js';
import { Deliverer } from './deliver.js';
import { Outbox, REFUSED_FILE } from './index.js';

const quiet = { info() {}, warn() {}, error() {} };
let server: NatsServerHandle;
let link: Link;

beforeAll(async () => {
  server = await startNatsServer();
  link = await connectNats({ servers: server.url, name: 'deliver-test', log: quiet });
  await provisionStreams(link);
});
afterAll(async () => {
  await link?.close();
  await server?.dispose();
});

const incident = () => {
  const r = validate(Incident, { ...litterDraft(new Date().toISOString()), v: 1, gatewayId: 'cp-dv' });
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};

describe('deliver - re-validation after delivery changes the message', () => {
  it('an entry whose evidence ref fails the schema is set aside and counted; the next one is sent', async () => {
    const dir = join(freshDataDir(), 'outbox');
    const outbox = await Outbox.open({ dir, budgetBytes: 10_000_000 });
    const bad = incident();
    const good = incident();
    // a name the object store takes but the wire schema refuses (letters, digits, . _ - only)
    const image = {
      role: 'annotated' as const,
      contentType: 'image/jpeg' as const,
      bytes: new Uint8Array(64),
    };
    await outbox.add('incident', subjects.incident('cp-dv'), incidentMsgId(bad), bad, [
      { ...image, name: 'not allowed.jpg' },
    ]);
    await outbox.add('incident', subjects.incident('cp-dv'), incidentMsgId(good), good, [
      { ...image, name: `${good.id}-r0-annotated.jpg` },
    ]);
    const d = new Deliverer(outbox, link, quiet, 'cp-dv');
    d.start();
    await until(() => (outbox.stats().depth === 0 ? true : undefined), 'outbox drained');
    await d.stop();

    expect(d.stats).toMatchObject({ delivered: 1, refused: 1 });
    expect((await link.streamState(STREAMS.incidents.name)).messages).toBe(1);
    const sent = await link.storedMessage(STREAMS.incidents.name, {
      lastBySubject: subjects.incident('cp-dv'),
    });
    expect(JSON.parse(new TextDecoder().decode(sent!.data)).id).toBe(good.id);

    const kept = readFileSync(join(dir, REFUSED_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(kept).toHaveLength(1);
    expect(kept[0].entry.payload.id).toBe(bad.id);
    expect(kept[0].reason).toMatch(/evidence name/);
    expect(existsSync(kept[0].entry.evidence[0].file)).toBe(true);
    // a reopen does not bring it back into the queue
    expect((await Outbox.open({ dir, budgetBytes: 10_000_000 })).stats().depth).toBe(0);
  });
});
