/**
 * @module test/support/nats-cluster
 * A real 3-node nats-server 2.9 cluster with JetStream on free loopback ports (the shape of
 * deploy/nats-cluster/), each node its own store directory; nodes can be SIGKILLed and started
 * again on the same ports and store. `ready()` waits until JetStream has a meta leader.
 * @example
 *   const cluster = await startNatsCluster(3);
 *   const nc = await connect({ servers: cluster.urls });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type NatsServerHandle, startNatsServer } from '../../sim/nats-server.js';
import { connect, jetstreamManager } from './nats-raw.js';
import { until } from './until.js';

export interface NatsCluster {
  nodes: NatsServerHandle[];
  urls: string[];
  /** until the cluster answers a JetStream account info request */
  ready(ms?: number): Promise<void>;
  dispose(): Promise<void>;
}

export async function startNatsCluster(n = 3, extraConfig = ''): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cg-nats-cluster-'));
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const routePorts = await Promise.all(Array.from({ length: n }, () => freePort()));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  const nodes: NatsServerHandle[] = [];
  try {
    for (let i = 0; i < n; i++)
      nodes.push(
        await startNatsServer({
          port: ports[i],
          storeDir: join(dir, `n${i + 1}`),
          extraConfig: [
            `server_name: cg-test-n${i + 1}`,
            `cluster { name: cg-test, listen: 127.0.0.1:${routePorts[i]}, routes: [${routes}] }`,
            extraConfig,
          ].join('\n'),
        }),
      );
  } catch (e) {
    for (const node of nodes) await node.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const urls = nodes.map((x) => x.url);
  return {
    nodes,
    urls,
    async ready(ms = 30_000) {
      await until(
        async () => {
          const nc = await connect({ servers: urls, maxReconnectAttempts: 0 });
          try {
            return await (await jetstreamManager(nc)).getAccountInfo();
          } finally {
            await nc.close();
          }
        },
        'the JetStream cluster',
        ms,
        250,
      );
    },
    async dispose() {
      for (const node of nodes) await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
