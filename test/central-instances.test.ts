/**
 * Two central processes on one PostgreSQL database and one nats-server (a database of its own,
 * created and dropped here; skipped with a message when 127.0.0.1:5432 does not answer):
 * - live updates: an SSE client on B sees a change made through A's API, and A's own client
 *   sees it once (no echo of the relay);
 * - the devices board: heartbeats of one gateway, a camera going offline and coming back, give
 *   the same board (last heartbeat, device changes, silences) from either instance's API. With
 *   one shared status consumer the heartbeats would split between the instances and each board
 *   would hold only its share;
 * - what only one instance learns reaches the other's board too: a collector's report (a beat of
 *   their 城管通 handset) and a handset heartbeat through A show the handset online on B, a call
 *   to a gateway through A is in B's call log, each once on either instance;
 * - the ingest lag gauges read the consumers each instance really uses (its own status and
 *   telemetry durables).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, GatewayStatus, subjects } from '../protocol/index.js';
import { connectNats, type Link, provisionStreams } from '../protocol/transport.js';
import { YANFENG } from '../sim/city-points.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import {
  api,
  type CentralProcess,
  litterIncident,
  publishIncident,
  spawnCentral,
  TOKENS,
} from './central-helpers.js';
import { createTestDatabase, postgresUnreachable, type TestDatabase } from './support/postgres.js';
import { until } from './support/until.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`central instances on PostgreSQL: skipped: ${pgDown}`);

let server: NatsServerHandle;
let nc: Link;
let db: TestDatabase;
const centrals: CentralProcess[] = [];

interface CaseEvent {
  id: string;
  state: string;
}

/** An SSE client of /api/console/events collecting the `case` events. */
function sseClient(base: string, token: string) {
  const events: CaseEvent[] = [];
  const abort = new AbortController();
  let hello = false;
  const done = (async () => {
    const r = await fetch(`${base}/api/console/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (block.includes('event: hello')) hello = true;
        const data = /^event: case\ndata: (.*)$/m.exec(block)?.[1];
        if (data) events.push(JSON.parse(data) as CaseEvent);
      }
    }
  })().catch(() => {});
  return {
    events,
    connected: () => hello,
    async close() {
      abort.abort();
      await done;
    },
  };
}

describe.skipIf(!!pgDown)('two centrals on one PostgreSQL and one NATS: live updates, devices board', () => {
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: 'test', log: { info() {}, warn() {} } });
    await provisionStreams(nc);
    db = await createTestDatabase('instances');
    for (let i = 0; i < 2; i++) centrals.push(await spawnCentral({ natsUrl: server.url, storeUrl: db.url }));
  }, 120_000);
  afterAll(async () => {
    for (const c of centrals) await c.stop();
    await db?.drop();
    await nc?.close();
    await server?.dispose();
  });

  it("an SSE client on B sees a change made through A's API; A's client sees it once", async () => {
    const [a, b] = centrals as [CentralProcess, CentralProcess];
    const onA = sseClient(a.url, TOKENS.operator);
    const onB = sseClient(b.url, TOKENS.operator);
    try {
      await until(() => onA.connected() && onB.connected(), 'both event streams open', 15_000);
      const inc = litterIncident();
      await publishIncident(nc, inc);
      const found = await until(
        async () => {
          const r = await api(a.url, `/api/cases?source=ai&limit=50`, TOKENS.operator);
          return (r.body.items as { id: string; refs: { incidentIds: string[] } }[])?.find((c) =>
            c.refs.incidentIds.includes(inc.id),
          );
        },
        'the case of the incident',
        30_000,
      );
      const r = await api(a.url, `/api/cases/${found.id}/actions/register`, TOKENS.operator, { body: {} });
      expect(r.status).toBe(200);
      const registered = (e: CaseEvent) => e.id === found.id && e.state === 'registered';
      await until(() => onB.events.some(registered), "B's client sees the registration made on A", 15_000);
      // the case's creation (committed by whichever instance ingested it) reached both as well
      expect(onA.events.some((e) => e.id === found.id && e.state === 'reported')).toBe(true);
      expect(onB.events.some((e) => e.id === found.id && e.state === 'reported')).toBe(true);
      await until(() => onA.events.some(registered), "A's client sees it", 15_000);
      // a later change marks the end of what A could still receive: the registration came once
      const other = litterIncident();
      await publishIncident(nc, other);
      await until(
        () => onA.events.some((e) => e.state === 'reported' && e.id !== found.id),
        "A's client sees the next case",
        30_000,
      );
      expect(onA.events.filter(registered)).toHaveLength(1);
      expect(onB.events.filter(registered)).toHaveLength(1);
    } finally {
      await onA.close();
      await onB.close();
    }
  }, 90_000);

  it('heartbeats split across instances give one board, the same from either API', async () => {
    const gatewayId = 'cp-board';
    const t0 = Date.now() - 60_000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const HEARTBEATS = 24;
    for (let i = 0; i < HEARTBEATS; i++) {
      // cam-2 goes offline at the 8th heartbeat and comes back at the 16th
      const camOnline = i < 8 || i >= 16;
      const status: GatewayStatus = {
        v: 1,
        gatewayId,
        gatewayKind: 'checkpoint',
        sentAt: at(i * 2),
        startedAt: at(0),
        softwareVersion: '0.1.0',
        intervalS: 2,
        devices: [
          { id: 'cam-1', type: 'camera', online: true, lastSeenAt: at(i * 2) },
          { id: 'cam-2', type: 'camera', online: camOnline, lastSeenAt: at(i * 2) },
        ],
      };
      await nc.publishStored(subjects.status(gatewayId), encode(GatewayStatus, status));
    }
    type Board = {
      gateways: {
        gatewayId: string;
        lastSentAt: string;
        silences?: unknown[];
        devices: Record<string, { changes: { at: string; online: boolean }[] }>;
      }[];
    };
    const boards = await Promise.all(
      centrals.map((c) =>
        until(
          async () => {
            const r = await api(c.url, '/api/devices', TOKENS.operator);
            const g = (r.body as Board).gateways?.find((x) => x.gatewayId === gatewayId);
            return g?.lastSentAt === at((HEARTBEATS - 1) * 2) ? g : undefined;
          },
          `${c.url} has the last heartbeat`,
          30_000,
        ),
      ),
    );
    const [a, b] = boards;
    expect(a!.devices['cam-2']!.changes).toEqual([
      { at: at(0), online: true },
      { at: at(16), online: false },
      { at: at(32), online: true },
    ]);
    // the same board from either instance: changes, and silences by the stream's clock
    const comparable = (g: NonNullable<typeof a>) => ({ devices: g.devices, silences: g.silences ?? [] });
    expect(comparable(b!)).toEqual(comparable(a!));
    const statusReceived = await Promise.all(
      centrals.map(async (c) => {
        const text = await (await fetch(`${c.url}/api/metrics`)).text();
        return Number(/cg_central_messages_received_total\{kind="status"\} (\d+)/.exec(text)?.[1] ?? 0);
      }),
    );
    console.log(`[instances] heartbeats ${HEARTBEATS}, applied per instance ${statusReceived.join(' + ')}`);
    for (const n of statusReceived) expect(n).toBeGreaterThanOrEqual(HEARTBEATS);
  }, 90_000);

  it("a report and a heartbeat through A show the handset online on B's devices API, each once", async () => {
    const [a, b] = centrals as [CentralProcess, CentralProcess];
    type Handset = { deviceId: string; online: boolean; lastSeenAt?: string; lastCollectorId?: string };
    const handset = async (c: CentralProcess, id: string) =>
      ((await api(c.url, '/api/handsets', TOKENS.operator)).body as Handset[]).find((h) => h.deviceId === id);
    expect((await handset(b, 'cgt-001'))?.online).toBe(false);
    const r = await api(a.url, '/api/cases', TOKENS.collector, {
      body: { source: 'collector', category: '01.09', description: '乱张贴', location: { ...YANFENG } },
    });
    expect(r.status).toBe(201);
    const onB = await until(
      async () => {
        const h = await handset(b, 'cgt-001');
        return h?.online ? h : undefined;
      },
      "B's board has the handset's beat from the report filed on A",
      15_000,
    );
    expect(onB).toMatchObject({ lastSeenAt: r.body.createdAt, lastCollectorId: 'col-001' });
    // the app's own heartbeat through A (col-002's handset) reaches B as well
    const beat = await api(a.url, '/api/handsets/heartbeat', 'demo-collector2', { body: {} });
    expect(beat.status).toBe(200);
    await until(async () => (await handset(b, 'cgt-002'))?.online, "B has col-002's heartbeat", 15_000);
    expect((await handset(a, 'cgt-002'))?.online).toBe(true);
  }, 60_000);

  it("a call to a gateway through A is in B's call log, and once in either", async () => {
    const [a, b] = centrals as [CentralProcess, CentralProcess];
    const gatewayId = 'cp-calls';
    type Call = { verb: string; answered: boolean; by?: string };
    const calls = async (c: CentralProcess) =>
      ((await api(c.url, `/api/devices/calls?gatewayId=${gatewayId}`, TOKENS.operator)).body[gatewayId] ??
        []) as Call[];
    // nobody answers for cp-calls: an unanswered call (设备未应答), recorded all the same
    const first = await api(a.url, `/api/devices/${gatewayId}/commands/ping`, TOKENS.operator, { body: {} });
    expect(first.status).toBe(504);
    await until(async () => (await calls(b)).length === 1 || undefined, "B's call log has A's call", 15_000);
    // and one through B: once it is on A, A has heard its own call back from nobody
    const second = await api(b.url, `/api/devices/${gatewayId}/commands/where`, TOKENS.admin, { body: {} });
    expect(second.status).toBe(504);
    await until(async () => (await calls(a)).length === 2 || undefined, "A's call log has B's call", 15_000);
    for (const c of [a, b])
      expect((await calls(c)).map((x) => [x.verb, x.answered, x.by])).toEqual([
        ['ping', false, 'u-operator'],
        ['where', false, 'u-admin'],
      ]);
  }, 60_000);

  it('the ingest lag gauges are there for the status and telemetry consumers each instance uses', async () => {
    for (const c of centrals) {
      const text = await until(async () => {
        const t = await (await fetch(`${c.url}/api/metrics`)).text();
        return t.includes('cg_central_ingest_pending{stream="CG_INCIDENTS"}') ? t : undefined;
      }, `${c.url} reports the ingest lag`);
      for (const stream of ['CG_INCIDENTS', 'CG_STATUS', 'CG_TELEMETRY'])
        for (const g of ['cg_central_ingest_pending', 'cg_central_ingest_unacked'])
          expect(text, `${g} ${stream}`).toMatch(new RegExp(`^${g}\\{stream="${stream}"\\} \\d+$`, 'm'));
    }
  });
});
