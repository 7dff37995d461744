/**
 * Issue 13, finding 7: /api/health tells the truth about ingest. Stream provisioning is made to
 * fail for real: before central starts, another stream already holds the incident subjects
 * (JetStream refuses overlapping subjects). Health must say degraded (not "ok/connected") while
 * that lasts; once the squatter is gone central provisions by itself, its consumers run, health
 * is ok and an incident becomes a case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { subjects } from '../protocol/index.js';
import { connectNats, type Link } from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { litterIncident, publishIncident } from './central-helpers.js';
import { connect, jetstreamManager, type NatsConnection } from './support/nats-raw.js';
import { until } from './support/until.js';

let server: NatsServerHandle;
let nc: Link;
let raw: NatsConnection;
let central: Central;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'test', log: { info() {}, warn() {} } });
  // a foreign stream on central's subjects: provisioning must fail (the transport never adds one)
  raw = await connect({ servers: server.url });
  await (await jetstreamManager(raw)).streams.add({ name: 'SQUATTER', subjects: [subjects.all.incident] });
  central = await createCentral({ natsUrl: server.url, logLevel: 'silent' });
  await central.start({ port: 0 });
});
afterAll(async () => {
  await central?.stop();
  await nc?.close();
  await raw?.close();
  await server?.dispose();
});

const health = async () => {
  const r = await central.app.request('/api/health');
  return { status: r.status, body: (await r.json()) as any };
};

describe('fault - health reflects ingest', () => {
  it('says degraded while streams cannot be provisioned, recovers by itself', {
    timeout: 60_000,
  }, async () => {
    const bad = await until(async () => {
      const h = await health();
      return h.body.components?.streams?.failures >= 1 && h;
    }, 'provisioning failed at least once');
    expect(bad.status).toBe(503);
    expect(bad.body.status).toBe('degraded');
    expect(bad.body.components.streams).toMatchObject({ ok: false });
    expect(bad.body.components.streams.lastError).toMatch(/subjects overlap/i);

    await (await jetstreamManager(raw)).streams.delete('SQUATTER');
    const good = await until(async () => {
      const h = await health();
      return h.status === 200 && h;
    }, 'healthy');
    expect(good.body.status).toBe('ok');
    for (const c of ['nats', 'streams', 'consumer incidents', 'consumer status', 'consumer telemetry'])
      expect(good.body.components[c], c).toMatchObject({ ok: true });
    const inc = litterIncident();
    await publishIncident(nc, inc);
    await until(async () => central.embedded!.getIncident(inc.id), 'case opened');
  });
});
