/**
 * central ingest against a real nats-server and a real central process: incidents become
 * `reported` cases with evidence, re-delivered revisions change nothing, invalid messages are
 * dead-lettered and counted, heartbeats and telemetry reach the devices board.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeadLetter,
  encode,
  GatewayStatus,
  Incident,
  STREAMS,
  subjects,
  Telemetry,
} from '../protocol/index.js';
import { evidenceStore, type Link, putEvidence } from '../protocol/transport.js';
import type { NatsServerHandle } from '../sim/nats-server.js';
import {
  api,
  type CentralProcess,
  type CentralWithNats,
  fakeJpeg,
  litterIncident,
  publishIncident,
  startCentralWithNats,
  stopCentralWithNats,
  TOKENS,
} from './central-helpers.js';
import { until } from './support/until.js';

let env: CentralWithNats | undefined;
let server: NatsServerHandle;
let nc: Link;
let central: CentralProcess;

beforeAll(async () => {
  env = await startCentralWithNats();
  ({ server, nc, central } = env);
});
afterAll(() => stopCentralWithNats(env));

const op = TOKENS.operator;
const publish = (i: ReturnType<typeof litterIncident>) => publishIncident(nc, i);

describe('central ingest - incidents', () => {
  it('opens a reported case with retrievable evidence, and is idempotent by (id, rev)', async () => {
    const os = await evidenceStore(nc, 'cp-01');
    const jpeg = fakeJpeg(5000, 7);
    const ref = await putEvidence(os, 'ev-litter-1.jpg', jpeg, 'annotated');
    const inc = litterIncident({ evidence: [ref] });
    await publish(inc);
    const list = await until(async () => {
      const r = await api(central.url, '/api/cases', op);
      return r.body.total >= 1 && r.body;
    }, 'case listed');
    const summary = list.items.find((k: any) => k.refs.incidentIds.includes(inc.id));
    expect(summary).toMatchObject({ state: 'reported', source: 'ai', category: '01.04' });
    expect(summary.location.gridCode).toMatch(/^\d{15}$/);

    const one = await api(central.url, `/api/cases/${summary.id}`, op);
    expect(one.status).toBe(200);
    expect(one.body.incidents[0].revs).toEqual([0]);
    expect(one.body.evidence[0]).toMatchObject({ name: 'ev-litter-1.jpg', contentType: 'image/jpeg' });
    const img = await fetch(`${central.url}/api/evidence/ev-litter-1.jpg`, {
      headers: { authorization: `Bearer ${op}` },
    });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await img.arrayBuffer()).equals(Buffer.from(jpeg))).toBe(true);
    // no token, traversal
    expect((await fetch(`${central.url}/api/evidence/ev-litter-1.jpg`)).status).toBe(401);
    expect((await api(central.url, '/api/evidence/..%2Fcases', op)).status).toBe(400);

    // the same revision again, past JetStream's de-dup (different msgID): nothing changes
    await nc.publishStored(subjects.incident('cp-01'), encode(Incident, inc), {
      msgId: `${inc.id}.0.replay`,
    });
    await until(async () => {
      const m = await api(central.url, '/api/metrics', undefined);
      return /cg_central_duplicates_total\{kind="incident"\} 1/.test(m.body);
    }, 'duplicate counted');
    const after = await api(central.url, `/api/cases/${summary.id}`, op);
    expect(after.body.history).toHaveLength(one.body.history.length);
    expect((await api(central.url, '/api/cases', op)).body.total).toBe(list.total);

    // an end revision: its evidence becomes verification evidence
    const endRef = await putEvidence(os, 'ev-litter-1-end.jpg', fakeJpeg(900, 3), 'end');
    const end = {
      ...inc,
      rev: 1,
      lifecycle: 'end' as const,
      endedAt: new Date().toISOString(),
      evidence: [endRef],
    };
    await publish(end);
    const ended = await until(async () => {
      const r = await api(central.url, `/api/cases/${summary.id}`, op);
      return r.body.verificationEvidence.length === 1 && r.body;
    }, 'end attached');
    expect(ended.verificationEvidence[0]).toMatchObject({ name: 'ev-litter-1-end.jpg', role: 'end' });
    expect(ended.history.at(-1).action).toBe('incident_end');
    expect(ended.state).toBe('reported');
  });

  it('dead-letters an invalid incident with the reason and counts it', async () => {
    const dlq = STREAMS.deadLetters.name;
    const before = (await nc.streamState(dlq)).lastSeq;
    await nc.publishStored(subjects.incident('cp-01'), new TextEncoder().encode('{"v":1,"id":"nope"}'));
    await nc.publishStored(subjects.incident('cp-02'), encode(Incident, litterIncident()));
    await until(
      async () => ((await nc.streamState(dlq)).lastSeq >= before + 2 ? true : undefined),
      'two dead letters',
    );
    const letter = async (seq: number) =>
      DeadLetter.parse(JSON.parse(new TextDecoder().decode((await nc.storedMessage(dlq, { seq }))!.data)));
    const dl = await letter(before + 1);
    expect(dl.subject).toBe('cg.v1.incident.cp-01');
    expect(dl.reason).toMatch(/id/);
    expect((await letter(before + 2)).reason).toMatch(/does not match subject/);
    const metrics = await until(async () => {
      const r = await api(central.url, '/api/metrics', undefined);
      return /cg_central_dead_letters_total\{kind="incident"\} 2/.test(r.body) && r.body;
    }, 'dead letters counted');
    expect(metrics).toMatch(/cg_central_cases\{state="reported"\} \d+/);
  });
});

describe('central ingest - resilience', () => {
  it('proposes a second incident from the same camera zone as a duplicate', async () => {
    const a = litterIncident({
      location: { source: 'fixed', lat: 30.31, lon: 120.2, cameraId: 'cam-09', zoneId: 'z3' },
      deviceId: 'cam-09',
    });
    const b = litterIncident({
      location: { source: 'fixed', lat: 30.312, lon: 120.202, cameraId: 'cam-09', zoneId: 'z3' },
      deviceId: 'cam-09',
    });
    await publish(a);
    await publish(b);
    const second = await until(async () => {
      const r = await api(central.url, '/api/cases?source=ai&limit=500', op);
      return r.body.items.find((k: any) => k.refs.incidentIds.includes(b.id));
    }, 'second case');
    const first = (await api(central.url, '/api/cases?source=ai&limit=500', op)).body.items.find((k: any) =>
      k.refs.incidentIds.includes(a.id),
    );
    expect(second.duplicateCandidates).toContain(first.id);
  });

  it('keeps consuming after NATS restarts', async () => {
    await server.stop();
    await server.start();
    const inc = litterIncident({ category: '01.02', kind: 'exposed_garbage' });
    await until(
      async () => {
        try {
          await publish(inc);
          return true;
        } catch {
          return false;
        }
      },
      'publish after restart',
      20_000,
    );
    await until(
      async () => {
        const r = await api(central.url, '/api/cases?source=ai&limit=500', op);
        return r.body.items.some((k: any) => k.refs.incidentIds.includes(inc.id));
      },
      'case after restart',
      30_000,
    );
    expect((await api(central.url, '/api/health', undefined)).body.nats).toBe('connected');
  });
});

describe('central ingest - devices', () => {
  it('keeps gateway status and vehicle tracks; invalid telemetry is dead-lettered', async () => {
    const now = new Date().toISOString();
    await nc.publishStored(
      subjects.status('veh-7'),
      encode(GatewayStatus, {
        v: 1,
        gatewayId: 'veh-7',
        gatewayKind: 'vehicle',
        sentAt: now,
        startedAt: now,
        softwareVersion: '0.1.0',
        intervalS: 10,
        devices: [{ id: 'gps-1', type: 'gps', online: true, lastSeenAt: now }],
      }),
    );
    await nc.publishStored(
      subjects.telemetry('veh-7'),
      encode(Telemetry, {
        v: 1,
        gatewayId: 'veh-7',
        vehicleId: 'truck-7',
        sentAt: now,
        points: [{ t: now, lat: 30.27, lon: 120.15, speedMps: 8 }],
      }),
    );
    await nc.publishStored(subjects.telemetry('veh-7'), new TextEncoder().encode('{"v":1,"points":[]}'));
    const board = await until(async () => {
      const r = await api(central.url, '/api/devices', op);
      return r.body.vehicles?.length === 1 && r.body.gateways?.length === 1 && r.body;
    }, 'board updated');
    expect(board.gateways[0]).toMatchObject({ gatewayId: 'veh-7', online: true });
    expect(board.gateways[0].devices['gps-1'].online).toBe(true);
    const track = await api(central.url, '/api/devices/vehicles/truck-7/track', op);
    expect(track.body.points).toHaveLength(1);
    // a burst of batches: all kept, in time order (pipelined persistence keeps the order)
    const t0 = Date.now() + 1000;
    for (let i = 0; i < 40; i++) {
      const t = new Date(t0 + i * 1000).toISOString();
      await nc.publishStored(
        subjects.telemetry('veh-7'),
        encode(Telemetry, {
          v: 1,
          gatewayId: 'veh-7',
          vehicleId: 'truck-7',
          sentAt: t,
          points: [{ t, lat: 30.27 + i * 1e-4, lon: 120.15 }],
        }),
      );
    }
    const full = await until(async () => {
      const r = await api(central.url, '/api/devices/vehicles/truck-7/track', op);
      return r.body.points.length === 41 && r.body;
    }, 'burst stored');
    const times = full.points.map((p: { t: string }) => p.t);
    expect([...times].sort()).toEqual(times);
    await until(async () => {
      const r = await api(central.url, '/api/metrics', undefined);
      return /cg_central_dead_letters_total\{kind="telemetry"\} 1/.test(r.body);
    }, 'telemetry dead letter counted');
    expect((await api(central.url, '/api/devices', TOKENS.collector)).status).toBe(403);
  });
});
