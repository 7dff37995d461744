/**
 * Per-gateway NATS users against the real nats-server 2.9 with the permissions deploy/auth.ts
 * generates (bcrypt passwords). A gateway running normally — incidents with evidence into the
 * object store, heartbeats, its config from KV, answering commands — causes no permission
 * violation at all; the same credentials used against another gateway's subjects, commands,
 * config key, inboxes or the streams' admin API are refused by the server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { centralPermissions, gatewayPermissions, renderAuthorization } from '../deploy/auth.js';
import { parseGatewayConfig } from '../edge/config.js';
import { type Gateway, startGateway } from '../edge/gateway.js';
import type { EdgeSinks } from '../edge/unit.js';
import {
  CONFIG_BUCKET,
  CommandReply,
  CommandRequest,
  decode,
  encode,
  evidenceBucket,
  GatewayStatus,
  newId,
  STREAMS,
  subjects,
} from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  getEvidence,
  type Link,
  provisionStreams,
  putEvidence,
} from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { litterDraft } from './support/incident-draft.js';
import { connect, jetstream, jetstreamManager, Kvm, type NatsConnection } from './support/nats-raw.js';
import { until } from './support/until.js';

const quiet = process.env.DEBUG_SEC
  ? { info: console.log, warn: console.log, error: console.log, debug() {} }
  : { info() {}, warn() {}, error() {}, debug() {} };
const PASS = { central: 'central-secret-1', 'cp-a': 'gw-a-secret-1', 'cp-b': 'gw-b-secret-1' };
let server: NatsServerHandle;
let central: Link;
let gw: Gateway;
let sinks: EdgeSinks;
let dataDir: string;
const serverLog: string[] = [];
const violations = () => serverLog.filter((l) => /Violation/i.test(l));

function draft(gatewayId = 'cp-a') {
  return { ...litterDraft(new Date().toISOString(), { confidence: 0.9 }), gatewayId };
}

beforeAll(async () => {
  const hash = (p: string) => bcrypt.hashSync(p, 4);
  server = await startNatsServer({
    log: (l) => serverLog.push(l),
    extraConfig: renderAuthorization([
      { user: 'central', bcrypt: hash(PASS.central), permissions: centralPermissions() },
      { user: 'cp-a', bcrypt: hash(PASS['cp-a']), permissions: gatewayPermissions('cp-a') },
      { user: 'cp-b', bcrypt: hash(PASS['cp-b']), permissions: gatewayPermissions('cp-b') },
    ]),
  });
  central = await connectNats({
    servers: server.url,
    name: 'central',
    user: 'central',
    pass: PASS.central,
    log: quiet,
  });
  // central creates each gateway's evidence bucket (in production when it first hears from it)
  await provisionStreams(central, ['cp-a', 'cp-b']);
  await central.kv(CONFIG_BUCKET, { history: 5 });
  dataDir = mkdtempSync(join(tmpdir(), 'cg-sec-'));
  const cfg = parseGatewayConfig(
    `gatewayId: cp-a\nkind: checkpoint\ncameras: []\nheartbeatS: 1\nnats: { servers: "${server.url}", user: cp-a, pass: "${PASS['cp-a']}" }\ndataDir: ${dataDir}\n`,
    dataDir,
  );
  gw = await startGateway(cfg, {
    log: quiet,
    createUnits: async () => [
      {
        name: 'driver',
        async start(s) {
          sinks = s;
        },
        async stop() {},
        devices: () => [],
        async command(req) {
          return req.verb === 'where' ? { lat: 30.27, lon: 120.15 } : undefined;
        },
      },
    ],
  });
  await until(
    () => (gw.connected() && gw.syncStats().watching ? true : undefined),
    'gateway connected',
  ).catch((e) => {
    console.log(violations());
    throw e;
  });
});

afterAll(async () => {
  await gw?.stop();
  await central?.close();
  await server?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('security - NATS permissions, a gateway doing its job', () => {
  it('delivers an incident with evidence, heartbeats, applies its config, answers commands: no violation', async () => {
    const { id: _id, gatewayId: _g, ...d } = draft();
    const jpeg = new Uint8Array(300_000).map((_, i) => i % 251);
    await sinks.incident({ ...d, id: newId() }, [
      { role: 'annotated', contentType: 'image/jpeg', bytes: jpeg },
    ]);
    await until(
      async () => ((await central.streamState(STREAMS.incidents.name)).messages === 1 ? true : undefined),
      'incident in stream',
    );
    const doc = {
      v: 1,
      gatewayId: 'cp-a',
      version: 1,
      updatedAt: new Date().toISOString(),
      updatedBy: 't',
      config: { kind: 'checkpoint', cameras: [] },
    };
    const kv = await central.kv(CONFIG_BUCKET, { bindOnly: true });
    await kv.put('cp-a', new TextEncoder().encode(JSON.stringify(doc)));
    await until(() => (gw.syncStats().version === 1 ? true : undefined), 'config applied');
    const beat = await until(async () => {
      const sub = central.subscribe(subjects.status('cp-a'), { max: 1, timeout: 3000 });
      for await (const m of sub) return decode(GatewayStatus, m.data);
    }, 'heartbeat');
    expect(beat.ok && beat.value.configVersion).toBe('sync-1');
    const req = { v: 1 as const, requestId: 'r1', verb: 'where' as const, sentAt: new Date().toISOString() };
    const m = await central.request(subjects.command('cp-a', 'where'), encode(CommandRequest, req), {
      timeout: 5000,
    });
    const r = decode(CommandReply, m.data);
    expect(r.ok && r.value.ok).toBe(true);
    expect(gw.deliveryStats()?.delivered).toBe(1);
    expect(violations()).toEqual([]);
  });
});

describe('security - NATS permissions, a gateway using what is not its own', () => {
  // a gateway's credentials in a plain client: it tries what the transport would never do
  let rogue: NatsConnection;
  const errors: string[] = [];
  beforeAll(async () => {
    rogue = await connect({
      servers: server.url,
      user: 'cp-a',
      pass: PASS['cp-a'],
      inboxPrefix: '_INBOX_cp-a',
      maxReconnectAttempts: -1,
    });
    void (async () => {
      for await (const s of rogue.status()) if (s.type === 'error') errors.push(String(s.error));
    })();
  });
  afterAll(async () => {
    await rogue?.close();
  });

  it('refuses a wrong password and an unknown user', async () => {
    await expect(
      connect({ servers: server.url, user: 'cp-a', pass: 'guess', maxReconnectAttempts: 0 }),
    ).rejects.toThrow(/Authorization/i);
    await expect(connect({ servers: server.url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization/i);
  });

  it("refuses publishing on another gateway's incident, status and telemetry subjects", async () => {
    const before = (await central.streamState(STREAMS.incidents.name)).messages;
    const seen: string[] = [];
    const spy = central.subscribe('cg.v1.*.cp-b');
    void (async () => {
      for await (const m of spy) seen.push(m.subject);
    })();
    const js = jetstream(rogue);
    await expect(
      js.publish(subjects.incident('cp-b'), new TextEncoder().encode(JSON.stringify(draft('cp-b'))), {
        msgID: 'x',
        timeout: 1500,
      }),
    ).rejects.toThrow();
    rogue.publish(subjects.status('cp-b'), new TextEncoder().encode('{}'));
    rogue.publish(subjects.telemetry('cp-b'), new TextEncoder().encode('{}'));
    await rogue.flush();
    await until(
      () => (violations().filter((l) => /Publish Violation/.test(l)).length >= 3 ? true : undefined),
      'server logged publish violations',
    );
    await central.flush();
    expect(seen).toEqual([]);
    expect((await central.streamState(STREAMS.incidents.name)).messages).toBe(before);
    spy.unsubscribe();
  });

  it("refuses subscribing to another gateway's commands, all incidents, or other inboxes", async () => {
    for (const subj of [
      subjects.all.command('cp-b'),
      'cg.v1.incident.>',
      '_INBOX.>',
      '_INBOX_cp-b.>',
      '$KV.>',
    ]) {
      const sub = rogue.subscribe(subj);
      const ended = (async () => {
        try {
          for await (const _ of sub) {
            /* nothing may arrive */
          }
          return 'closed';
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(await ended).toMatch(/Permissions Violation for Subscription/);
    }
    const req = { v: 1 as const, requestId: 'r2', verb: 'ping' as const, sentAt: new Date().toISOString() };
    await expect(
      central.request(subjects.command('cp-b', 'ping'), encode(CommandRequest, req), { timeout: 1000 }),
    ).rejects.toThrow();
  });

  it("cannot list, write or read another gateway's evidence", async () => {
    const b = await evidenceStore(central, 'cp-b');
    const secret = new Uint8Array(4_000).map((_, i) => (i * 11) % 256);
    const ref = await putEvidence(b, `${newId()}-r0-annotated.jpg`, secret, 'annotated');
    const jsm = await jetstreamManager(rogue, { checkAPI: false });
    const bStream = `OBJ_${evidenceBucket('cp-b')}`;
    // the reproducer: stream info with a subjects filter listed every evidence name
    await expect(jsm.streams.info(bStream, { subjects_filter: '>' })).rejects.toThrow();
    await expect(jsm.streams.info(STREAMS.incidents.name, { subjects_filter: '>' })).rejects.toThrow();
    await expect(jsm.streams.getMessage(bStream, { seq: 1 })).rejects.toThrow();
    await expect(
      jetstream(rogue).publish(`$O.${evidenceBucket('cp-b')}.M.x`, new TextEncoder().encode('{'), {
        timeout: 1500,
      }),
    ).rejects.toThrow();
    // its own bucket's info lists only its own objects
    const own = await jsm.streams.info(`OBJ_${evidenceBucket('cp-a')}`, { subjects_filter: '>' });
    expect(
      Object.keys(own.state.subjects ?? {}).every((s) => s.startsWith(`$O.${evidenceBucket('cp-a')}.`)),
    ).toBe(true);
    expect(Buffer.from((await getEvidence(b, ref.name))!).equals(Buffer.from(secret))).toBe(true);
  });

  it("refuses watching another gateway's config key and the streams' admin API", async () => {
    const kv = await new Kvm(jetstream(rogue)).open(CONFIG_BUCKET); // own bucket info is allowed
    await expect(kv.get('cp-b')).rejects.toThrow();
    await expect(
      (async () => {
        const w = await kv.watch({ key: 'cp-b' });
        for await (const _ of w) break;
      })(),
    ).rejects.toThrow();
    const jsm = await jetstreamManager(rogue, { checkAPI: false });
    await expect(jsm.streams.purge(STREAMS.incidents.name)).rejects.toThrow();
    await expect(jsm.streams.delete(STREAMS.incidents.name)).rejects.toThrow();
    await expect(jsm.consumers.add(STREAMS.incidents.name, { durable_name: 'steal' })).rejects.toThrow();
    expect((await central.streamState(STREAMS.incidents.name)).messages).toBeGreaterThan(0);
    console.log(
      `[security] server refused ${violations().length} operations by cp-a (client errors: ${errors.length})`,
    );
  });
});
