/**
 * Gateway core against a real nats-server: outbox delivery in order through an outage, evidence in
 * the object store, commands and heartbeats. The unit here is a scripted test driver standing in
 * for a camera/vehicle pipeline (those have their own suites); everything else is real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../edge/config.js';
import { type Gateway, startGateway } from '../edge/gateway.js';
import type { EdgeSinks, EdgeUnit } from '../edge/unit.js';
import {
  CommandReply,
  CommandRequest,
  decode,
  encode,
  GatewayStatus,
  Incident,
  STREAMS,
  subjects,
} from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  getEvidence,
  type Link,
  provisionStreams,
} from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { litterDraft } from './support/incident-draft.js';
import { until } from './support/until.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
let server: NatsServerHandle;
let nc: Link;
let gw: Gateway;
let dataDir: string;
let sinks: EdgeSinks;

const unit: EdgeUnit = {
  name: 'test-driver',
  async start(s) {
    sinks = s;
  },
  async stop() {},
  devices: () => [{ id: 'cam-1', type: 'camera', online: true, lastSeenAt: new Date().toISOString() }],
  async command(req) {
    return req.verb === 'where' ? { lat: 30.27, lon: 120.15 } : undefined;
  },
};

function draft(n: number) {
  return litterDraft(new Date(Date.UTC(2026, 10, 28, 1, 0, n)).toISOString(), { details: { n } });
}

async function storedIncidents(): Promise<ReturnType<typeof Incident.parse>[]> {
  const info = await nc.streamState(STREAMS.incidents.name);
  const out = [];
  for (let seq = info.firstSeq; seq <= info.lastSeq && info.messages > 0; seq++) {
    const m = await nc.storedMessage(STREAMS.incidents.name, { seq });
    if (!m) continue;
    const r = decode(Incident, m.data);
    if (r.ok) out.push(r.value);
  }
  return out;
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'test', log: quiet });
  await provisionStreams(nc);
  dataDir = mkdtempSync(join(tmpdir(), 'cg-gw-'));
  const cfg = parseGatewayConfig(
    `gatewayId: cp-test\nkind: checkpoint\ncameras: []\nheartbeatS: 1\nnats: { servers: "${server.url}" }\ndataDir: ${dataDir}\n`,
    dataDir,
  );
  gw = await startGateway(cfg, { log: quiet, createUnits: async () => [unit] });
  await until(() => (gw.connected() ? true : undefined), 'gateway connected');
});

afterAll(async () => {
  await gw?.stop();
  await nc?.close();
  await server?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('gateway - outbox delivery', () => {
  it('delivers incidents with evidence in the object store', async () => {
    const jpeg = new Uint8Array(50_000).map((_, i) => i % 7);
    await sinks.incident(draft(1), [{ role: 'annotated', contentType: 'image/jpeg', bytes: jpeg }]);
    const got = await until(async () => {
      const all = await storedIncidents();
      return all.length === 1 ? all : undefined;
    }, 'incident in stream');
    expect(got[0].gatewayId).toBe('cp-test');
    expect(got[0].evidence).toHaveLength(1);
    const os = await evidenceStore(nc, 'cp-test');
    const bytes = await getEvidence(os, got[0].evidence[0].name);
    expect(bytes?.byteLength).toBe(50_000);
    expect(gw.outbox.stats().depth).toBe(0);
  });

  it('keeps detecting through a NATS outage and delivers everything in order, once', async () => {
    await server.stop();
    const ids: string[] = [];
    for (let n = 2; n <= 6; n++) {
      const d = draft(n);
      ids.push(d.id);
      await sinks.incident(d);
    }
    expect(gw.outbox.stats().incidents).toBe(5); // durable while NATS is away
    await server.start();
    const all = await until(
      async () => {
        if (gw.outbox.stats().depth > 0) return undefined;
        return storedIncidents();
      },
      'backlog delivered',
      40_000,
    );
    const after = all.slice(1).map((i) => i.id);
    expect(after).toEqual(ids);
    expect(new Set(all.map((i) => i.id)).size).toBe(all.length);
  });

  it('refuses an invalid draft from a pipeline with a reason and counts it', async () => {
    await expect(sinks.incident({ ...draft(9), confidence: 7 })).rejects.toThrow(/confidence/);
    expect(gw.counters.invalidDrafts).toBe(1);
  });
});

describe('gateway - commands and heartbeats', () => {
  it('answers where via its unit, and a malformed command with the reason', async () => {
    const req = { v: 1 as const, requestId: 'r1', verb: 'where' as const, sentAt: new Date().toISOString() };
    const m = await nc.request(subjects.command('cp-test', 'where'), encode(CommandRequest, req), {
      timeout: 5000,
    });
    const r = decode(CommandReply, m.data);
    expect(r.ok && r.value).toMatchObject({ ok: true, requestId: 'r1', data: { lat: 30.27 } });
    const bad = await nc.request(subjects.command('cp-test', 'ping'), new TextEncoder().encode('{"v":1}'), {
      timeout: 5000,
    });
    const rb = decode(CommandReply, bad.data);
    expect(rb.ok && rb.value.ok).toBe(false);
    expect(rb.ok && rb.value.error).toMatch(/requestId/);
    expect(gw.counters.badCommands).toBe(1);
  });

  it('sends heartbeats with its devices and outbox state', async () => {
    const sub = nc.subscribe(subjects.status('cp-test'), { max: 1 });
    for await (const m of sub) {
      const r = decode(GatewayStatus, m.data);
      expect(r.ok).toBe(true);
      if (r.ok) {
        expect(r.value.devices).toEqual([expect.objectContaining({ id: 'cam-1', online: true })]);
        expect(r.value.outbox).toMatchObject({ depth: 0 });
      }
    }
  });
});

describe('gateway - metrics', () => {
  it('renders Prometheus text with outbox, delivery and device state', async () => {
    const { renderGatewayMetrics } = await import('../edge/metrics.js');
    const text = await renderGatewayMetrics(gw);
    expect(text).toMatch(/^cg_outbox_depth\{gateway="cp-test",kind="incident"\} 0$/m);
    expect(text).toMatch(/^cg_delivered_total\{gateway="cp-test"\} [1-9]\d*$/m);
    expect(text).toMatch(/^cg_device_online\{gateway="cp-test",device="cam-1",type="camera"\} 1$/m);
    expect(text).toMatch(/^cg_invalid_drafts_total\{gateway="cp-test"\} 1$/m);
    expect(text).toMatch(/^cg_config_watching\{gateway="cp-test"\} [01]$/m);
  });
});
