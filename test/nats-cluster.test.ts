/**
 * nats cluster - the messaging side of running on several machines, with real nats-server 2.9.10:
 * - a 3-node JetStream cluster on loopback; the project's streams provisioned at 3 replicas by
 *   protocol/transport; incidents published through the project's connection (server list,
 *   endless reconnect) with their JetStream message ids while the incident stream's leader is
 *   SIGKILLed mid-publish and restarted; then another node is killed so the restarted one must
 *   serve its copy. Prints produced/delivered/lost/duplicates; expects 0 lost, 0 duplicated.
 * - the gateway config KV bucket central's hub makes is at 3 replicas there too (it was made at
 *   1 whatever `--nats-replicas` said), and one made at 1 before is scaled up.
 * - a leaf node at the checkpoint: a local nats-server bridged to the hub with the gateway's own
 *   credentials (deploy/auth.ts permissions); a gateway-side publish lands in the hub's stream,
 *   and a publish on another gateway's subject does not.
 */
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayConfigHub } from '../central/gateways/hub.js';
import { centralPermissions, gatewayPermissions, renderAuthorization } from '../deploy/auth.js';
import {
  CONFIG_BUCKET,
  encode,
  gatewayInboxPrefix,
  Incident,
  incidentMsgId,
  STREAMS,
  subjects,
} from '../protocol/index.js';
import { connectNats, type Link, provisionStreams } from '../protocol/transport.js';
import { freePort, type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { incidents } from './fault-kit.js';
import { type NatsCluster, startNatsCluster } from './support/nats-cluster.js';
import { connect, jetstream, jetstreamManager, type NatsConnection } from './support/nats-raw.js';
import { until } from './support/until.js';

const quiet = { info() {}, warn() {} };
const N = 3000;
const WINDOW = 64;

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
});

/** Publish until acknowledged, always with the same message id (what the gateway outbox does). */
async function publishAcked(nc: Link, inc: ReturnType<typeof incidents>[number]): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await nc.publishStored(subjects.incident(inc.gatewayId), encode(Incident, inc), {
        msgId: incidentMsgId(inc),
        timeout: 3000,
      });
      return attempt;
    } catch {
      // 503 while the stream elects a new leader, a timeout while the client fails over
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// The census and the cluster's own state (stream leader, replicas) are read with a plain client:
// the transport offers neither ordered consumers nor cluster internals.

/** Every message in the incidents stream, counted per incident id (ordered consumer). */
async function census(nc: NatsConnection): Promise<Map<string, number>> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const total = (await jsm.streams.info(STREAMS.incidents.name)).state.messages;
  const seen = new Map<string, number>();
  if (total === 0) return seen;
  const c = await js.consumers.get(STREAMS.incidents.name);
  const msgs = await c.consume();
  let n = 0;
  for await (const m of msgs) {
    const id = m.json<{ id: string }>().id;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    if (++n >= total) break;
  }
  await msgs.close();
  return seen;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
    }),
  ]);
}

/** Which node leads the incident stream (by server name cg-test-nK). */
async function leaderIndex(nc: NatsConnection): Promise<number> {
  const info = await (await jetstreamManager(nc)).streams.info(STREAMS.incidents.name);
  return Number(/n(\d+)$/.exec(info.cluster?.leader ?? '')?.[1] ?? 1) - 1;
}

async function allReplicasCurrent(nc: NatsConnection): Promise<true | undefined> {
  const info = await (await jetstreamManager(nc)).streams.info(STREAMS.incidents.name);
  const r = info.cluster?.replicas ?? [];
  return info.cluster?.leader && r.length === 2 && r.every((x) => x.current && !x.offline) ? true : undefined;
}

describe('nats cluster - 3 nodes, replicas 3', () => {
  it(`publishes ${N} incidents through a SIGKILLed and restarted node: 0 lost, 0 duplicated`, {
    timeout: 240_000,
  }, async () => {
    const cluster: NatsCluster = await startNatsCluster(3);
    cleanup.push(() => cluster.dispose());
    await cluster.ready();
    const nc = await connectNats({ servers: cluster.urls, name: 'cluster-drill', log: quiet });
    cleanup.push(() => nc.close());
    const admin = await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
    cleanup.push(() => admin.close());
    await until(async () => {
      await provisionStreams(nc, [], { replicas: 3 });
      return true;
    }, 'streams at 3 replicas');
    for (const d of Object.values(STREAMS)) expect((await nc.streamState(d.name)).replicas, d.name).toBe(3);
    // provisioning again without the option keeps the cluster's replicas
    await provisionStreams(nc);
    expect((await nc.streamState(STREAMS.incidents.name)).replicas).toBe(3);
    await until(() => allReplicasCurrent(admin), 'stream replicas current');

    const list = ['cp-c1', 'cp-c2'].flatMap((g) => incidents(N / 2, g));
    const killed = await leaderIndex(admin);
    let retried = 0;
    for (let i = 0; i < list.length; i += WINDOW) {
      const batch = list.slice(i, i + WINDOW).map((inc) => publishAcked(nc, inc));
      // the stream's leader dies while this window's publishes are in flight
      if (i === WINDOW * 10) await cluster.nodes[killed].kill();
      if (i === WINDOW * 30) await cluster.nodes[killed].start();
      const attempts = await Promise.all(batch);
      retried += attempts.filter((a) => a > 1).length;
    }
    await until(() => allReplicasCurrent(admin), 'restarted node current again', 90_000);
    // the restarted node must now hold a full copy: lose another one and count from what is left
    const second = (killed + 1) % 3;
    await cluster.nodes[second].kill();
    const seen = await until(
      async () => {
        const s = await withTimeout(census(admin), 20_000, 'census');
        return s.size >= list.length ? s : undefined;
      },
      'census with one node down',
      60_000,
    );
    const produced = list.map((x) => x.id);
    const delivered = [...seen.values()].reduce((a, b) => a + b, 0);
    const lost = produced.filter((id) => !seen.has(id)).length;
    const duplicates = [...seen.values()].reduce((a, n) => a + (n > 1 ? n - 1 : 0), 0);
    console.log(
      `[nats-cluster] produced=${produced.length} delivered=${delivered} lost=${lost} duplicates=${duplicates} retriedPublishes=${retried} killed=n${killed + 1},n${second + 1}`,
    );
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(delivered).toBe(produced.length);
    await cluster.nodes[second].start();
  });
});

describe('nats cluster - the gateway config bucket', () => {
  it('is made at 3 replicas; one made at 1 before is scaled to 3, and kept so without the option', {
    timeout: 120_000,
  }, async () => {
    const cluster = await startNatsCluster(3);
    cleanup.push(() => cluster.dispose());
    await cluster.ready();
    const nc = await connectNats({ servers: cluster.urls, name: 'kv-replicas', log: quiet });
    cleanup.push(() => nc.close());
    const stream = `KV_${CONFIG_BUCKET}`;
    const attach = (replicas?: number) =>
      until(async () => {
        const hub = new GatewayConfigHub({ log: quiet, replicas });
        await hub.attach(nc);
        hub.detach();
        return true;
      }, `config bucket attached (replicas ${replicas})`);
    // what a central before the fix left behind
    await until(async () => !!(await nc.kv(CONFIG_BUCKET)), 'bucket at 1 replica');
    expect((await nc.streamState(stream)).replicas).toBe(1);
    await attach(3);
    expect((await nc.streamState(stream)).replicas).toBe(3);
    await attach(undefined);
    expect((await nc.streamState(stream)).replicas).toBe(3);
    // and a new bucket is created at 3
    const fresh = 'cg_kv_replicas_fresh';
    await until(async () => !!(await nc.kv(fresh, { replicas: 3 })), 'fresh bucket');
    expect((await nc.streamState(`KV_${fresh}`)).replicas).toBe(3);
  });
});

describe('nats leaf node - a checkpoint-local server bridged to the hub', () => {
  it("carries the gateway's publish into the hub's stream with the gateway's own credentials", {
    timeout: 120_000,
  }, async () => {
    const pass = { central: 'central-pw', 'cp-l1': 'cp-l1-pw' };
    const hash = (p: string) => bcrypt.hashSync(p, 4);
    const leafPort = await freePort();
    const hubLog: string[] = [];
    const hub: NatsServerHandle = await startNatsServer({
      log: (l) => hubLog.push(l),
      extraConfig: [
        `leafnodes { listen: 127.0.0.1:${leafPort} }`,
        renderAuthorization([
          { user: 'central', bcrypt: hash(pass.central), permissions: centralPermissions() },
          { user: 'cp-l1', bcrypt: hash(pass['cp-l1']), permissions: gatewayPermissions('cp-l1') },
        ]),
      ].join('\n'),
    });
    cleanup.push(() => hub.dispose());
    // the checkpoint's own server: no JetStream of its own, no local users (loopback only)
    const leaf: NatsServerHandle = await startNatsServer({
      extraConfig: `leafnodes { remotes: [ { url: "nats-leaf://cp-l1:${pass['cp-l1']}@127.0.0.1:${leafPort}" } ] }`,
    });
    cleanup.push(() => leaf.dispose());
    const central = await connectNats({
      servers: hub.url,
      name: 'central',
      user: 'central',
      pass: pass.central,
      log: quiet,
    });
    cleanup.push(() => central.close());
    await provisionStreams(central);
    const gw = await connectNats({
      servers: leaf.url,
      name: 'cp-l1',
      inboxPrefix: gatewayInboxPrefix('cp-l1'),
      log: quiet,
    });
    cleanup.push(() => gw.close());
    const [mine] = incidents(1, 'cp-l1');
    // the leaf connects to the hub on its own schedule: publish until the hub's stream acknowledges
    const ack = await until(
      () =>
        gw.publishStored(subjects.incident('cp-l1'), encode(Incident, mine), {
          msgId: incidentMsgId(mine),
          timeout: 2000,
        }),
      'publish through the leaf node',
      60_000,
    );
    expect(ack.stream).toBe(STREAMS.incidents.name);
    const stored = (await central.storedMessage(STREAMS.incidents.name, { seq: ack.seq }))!;
    expect(JSON.parse(new TextDecoder().decode(stored.data)).gatewayId).toBe('cp-l1');
    expect(stored.subject).toBe(subjects.incident('cp-l1'));
    // the leaf carries only what the gateway's credentials allow: another gateway's subject stops at the hub
    const [forged] = incidents(1, 'cp-other');
    const refused = await gw
      .publishStored(subjects.incident('cp-other'), encode(Incident, forged), {
        msgId: incidentMsgId(forged),
        timeout: 2000,
      })
      .then(
        () => 'acknowledged',
        (e: Error) => e.message,
      );
    expect(refused).not.toBe('acknowledged');
    expect((await central.streamState(STREAMS.incidents.name)).messages).toBe(1);
  });
});
