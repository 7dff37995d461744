/** The real NATS path: provisioning is idempotent, JetStream de-duplicates by incident revision. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, Incident, incidentMsgId, newId, STREAMS, subjects } from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  getEvidence,
  type Link,
  provisionStreams,
  putEvidence,
} from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { connect, jetstreamManager } from './support/nats-raw.js';

const quiet = { info() {}, warn() {} };
let server: NatsServerHandle;
let nc: Link;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'test', log: quiet });
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

describe('nats - provisioning and publish', () => {
  it('provisions streams idempotently', async () => {
    await provisionStreams(nc, ['cp-01']);
    await provisionStreams(nc, ['cp-01']);
    // every stream on the server (the transport offers no listing)
    const raw = await connect({ servers: server.url });
    const names: string[] = [];
    for await (const s of (await jetstreamManager(raw)).streams.list()) names.push(s.config.name);
    await raw.close();
    expect(names.sort()).toEqual(
      [...Object.values(STREAMS).map((s) => s.name), 'OBJ_cg_evidence_cp-01'].sort(),
    );
  });

  it('de-duplicates a re-published revision by message id', async () => {
    const id = newId();
    const msg = {
      v: 1 as const,
      id,
      rev: 0,
      lifecycle: 'new' as const,
      kind: 'overspeed' as const,
      category: '92.01',
      gatewayId: 'veh-1',
      deviceId: 'truck-1',
      observedAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      confidence: 1,
      location: { source: 'gps' as const, lat: 30, lon: 120 },
      producer: { rule: 'overspeed' },
    };
    const a = await nc.publishStored(subjects.incident('veh-1'), encode(Incident, msg), {
      msgId: incidentMsgId(msg),
    });
    const b = await nc.publishStored(subjects.incident('veh-1'), encode(Incident, msg), {
      msgId: incidentMsgId(msg),
    });
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(true);
    expect(b.seq).toBe(a.seq);
  });

  it('stores evidence in the object store and skips a re-upload of the same object', async () => {
    const os = await evidenceStore(nc, 'cp-01');
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const ref = await putEvidence(os, 'E1-annotated.jpg', bytes, 'annotated');
    expect(ref).toMatchObject({ bucket: 'cg_evidence_cp-01', size: 300_000, role: 'annotated' });
    const again = await putEvidence(os, 'E1-annotated.jpg', bytes, 'annotated');
    expect(again.sha256).toBe(ref.sha256);
    expect(Buffer.from((await getEvidence(os, 'E1-annotated.jpg'))!).equals(Buffer.from(bytes))).toBe(true);
    expect(await getEvidence(os, 'missing.jpg')).toBeNull();
  });

  it('replaces (and reports) an object under its name with other bytes or unreadable metadata', async () => {
    const os = await evidenceStore(nc, 'cp-01');
    const bytes = new Uint8Array(2_000).map((_, i) => i % 13);
    await putEvidence(os, 'E2-end.jpg', new Uint8Array(2_000).fill(9), 'end');
    const seen: string[] = [];
    await putEvidence(os, 'E2-end.jpg', bytes, 'end', 'image/jpeg', (w) => seen.push(w));
    expect(seen).toEqual([expect.stringMatching(/^other content/)]);
    expect(Buffer.from((await getEvidence(os, 'E2-end.jpg'))!).equals(Buffer.from(bytes))).toBe(true);
    const meta = `$O.${os.bucket}.M.${Buffer.from('E3-end.jpg').toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
    await nc.publishStored(meta, new TextEncoder().encode('garbage'));
    await putEvidence(os, 'E3-end.jpg', bytes, 'end', 'image/jpeg', (w) => seen.push(w));
    expect(seen[1]).toMatch(/^unreadable metadata/);
    expect(Buffer.from((await getEvidence(os, 'E3-end.jpg'))!).equals(Buffer.from(bytes))).toBe(true);
  });
});
