/**
 * Evidence images are served only to authorised users, against a real central process: an edge
 * incident with an image in the object store becomes a case, an operator dispatches it to a
 * unit; that unit's handler may read the image, another unit's handler, a collector and an
 * anonymous caller may not (and cannot reach it by path tricks either).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encode, Incident, incidentMsgId, newId, subjects } from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  type Link,
  provisionStreams,
  putEvidence,
} from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import type { ManagedProcess } from '../sim/processes.js';
import { census, incidents, OPERATOR, startCentralProcess } from './fault-kit.js';
import { HANDLER_UNITS } from './support/handler-units.js';
import { until } from './support/until.js';

const quiet = { info() {}, warn() {} };
let server: NatsServerHandle | undefined;
let nc: Link | undefined;
let central: ManagedProcess | undefined;
let centralUrl: string | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cg-sec-ev-'));

afterAll(async () => {
  await central?.stop();
  await nc?.close();
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('security - evidence access', () => {
  it("a unit handler reads its own unit's evidence, never another unit's", { timeout: 90_000 }, async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: 'edge', log: quiet });
    await provisionStreams(nc);
    const c = await startCentralProcess(server.url, join(dir, 'central'));
    central = c.proc;
    centralUrl = c.url;
    const jpeg = new Uint8Array(20_000).map((_, i) => (i * 7) % 256);
    jpeg.set([0xff, 0xd8, 0xff, 0xe0]);
    const inc = incidents(1, 'cp-ev')[0]!;
    const name = `${inc.id}-r0-annotated.jpg`;
    const ref = await putEvidence(await evidenceStore(nc, 'cp-ev'), name, jpeg, 'annotated');
    const withEvidence = { ...inc, evidence: [ref] };
    await nc.publishStored(subjects.incident('cp-ev'), encode(Incident, withEvidence), {
      msgId: incidentMsgId(withEvidence),
    });
    await until(async () => ((await census(c.url)).byIncident.has(inc.id) ? true : undefined), 'case opened');
    const list = await (
      await fetch(`${c.url}/api/cases?source=ai`, { headers: { authorization: `Bearer ${OPERATOR}` } })
    ).json();
    const caseId = list.items[0].id as string;
    const act = async (action: string) => {
      const r = await fetch(`${c.url}/api/cases/${caseId}/actions/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(r.status, await r.clone().text()).toBeLessThan(300);
      return r.json();
    };
    await act('register');
    const dispatched = await act('dispatch');
    const unit = dispatched.unitId as string;
    expect(HANDLER_UNITS).toContain(unit);
    const other = HANDLER_UNITS.find((u) => u !== unit)!;

    const get = (path: string, token?: string) =>
      fetch(`${c.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const own = await get(`/api/evidence/${name}`, `demo-handler-${unit}`);
    expect(own.status).toBe(200);
    expect(new Uint8Array(await own.arrayBuffer())).toEqual(jpeg);
    const results: Record<string, number> = {};
    results.otherUnit = (await get(`/api/evidence/${name}`, `demo-handler-${other}`)).status;
    results.otherUnitCase = (await get(`/api/cases/${caseId}`, `demo-handler-${other}`)).status;
    results.collector = (await get(`/api/evidence/${name}`, 'demo-collector')).status;
    results.anonymous = (await get(`/api/evidence/${name}`)).status;
    results.forged = (await get(`/api/evidence/${name}`, 'demo-handler-x')).status;
    results.traversal = (await get(`/api/evidence/..%2F${name}`, `demo-handler-${other}`)).status;
    console.log(`[security:evidence] case unit=${unit} own=200 ${JSON.stringify(results)}`);
    expect(results).toEqual({
      otherUnit: 403,
      otherUnitCase: 403,
      collector: 403,
      anonymous: 401,
      forged: 401,
      traversal: 400,
    });
    expect((await get(`/api/evidence/${name}`, OPERATOR)).status).toBe(200);
  });

  it('evidence with garbage metadata or bytes that do not match the declared sha256 answers a 502 problem', {
    timeout: 60_000,
  }, async () => {
    const c = { url: centralUrl! };
    const os = await evidenceStore(nc!, 'cp-ev');
    const [inc] = incidents(1, 'cp-ev').map((i) => ({ ...i, id: newId() }));
    const jpeg = new Uint8Array(5_000).map((_, i) => (i * 3) % 256);
    jpeg.set([0xff, 0xd8, 0xff, 0xe0]);
    const tampered = await putEvidence(os, `${inc!.id}-r0-annotated.jpg`, jpeg, 'annotated');
    // both objects are stored when the incident arrives (central checks them at ingest)
    const garbage = await putEvidence(os, `${inc!.id}-r0-clean.jpg`, jpeg, 'clean');
    const withEvidence = { ...inc!, evidence: [tampered, garbage] };
    await nc!.publishStored(subjects.incident('cp-ev'), encode(Incident, withEvidence), {
      msgId: incidentMsgId(withEvidence),
    });
    await until(
      async () => ((await census(c.url)).byIncident.has(inc!.id) ? true : undefined),
      'case opened',
    );
    // after the case exists: other bytes under the first name, unparsable metadata under the second
    await os.put(
      tampered.name,
      jpeg.map((b, i) => (i > 10 ? b ^ 1 : b)),
    );
    const meta = `$O.${os.bucket}.M.${Buffer.from(garbage.name).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
    await nc!.publishStored(meta, new TextEncoder().encode('{not json'));
    const get = (n: string) =>
      fetch(`${c.url}/api/evidence/${n}`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    const t = await get(tampered.name);
    expect(t.status).toBe(502);
    expect(t.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await t.json()).type).toMatch(/evidence-integrity$/);
    const g = await get(garbage.name);
    expect(g.status).toBe(502);
    expect((await g.json()).type).toMatch(/evidence-unreadable$/);
  });
});
