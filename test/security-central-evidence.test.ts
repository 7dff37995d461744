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
import { HANDLER_UNITS } from '../central/seed/handler-units.js';
import { encode, Incident, incidentMsgId, subjects } from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  type NatsConnection,
  provisionStreams,
  putEvidence,
} from '../protocol/transport.js';
import { census, incidents, OPERATOR, startCentralProcess } from './fault-kit.js';
import { type NatsServerHandle, startNatsServer } from './support/nats-server.js';
import { type ManagedProcess, until } from './support/processes.js';

const quiet = { info() {}, warn() {} };
let server: NatsServerHandle | undefined;
let nc: NatsConnection | undefined;
let central: ManagedProcess | undefined;
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
    const jpeg = new Uint8Array(20_000).map((_, i) => (i * 7) % 256);
    jpeg.set([0xff, 0xd8, 0xff, 0xe0]);
    const inc = incidents(1, 'cp-ev')[0]!;
    const name = `${inc.id}-r0-annotated.jpg`;
    const ref = await putEvidence(await evidenceStore(nc.jetstream()), name, jpeg, 'annotated');
    const withEvidence = { ...inc, evidence: [ref] };
    await nc.jetstream().publish(subjects.incident('cp-ev'), encode(Incident, withEvidence), {
      msgID: incidentMsgId(withEvidence),
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
});
