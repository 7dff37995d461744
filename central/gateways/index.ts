/**
 * @module central/gateways
 * Gateway configuration sync (central side) and the API front-door guard, packaged for central's
 * app composition:
 *   - `gatewayRouteGroup({ natsUrl })`: a RouteGroup for `extraRoutes`; connects its own NATS link
 *     (retrying while NATS is down), creates the config KV bucket, follows heartbeats, and serves
 *     `/api/gateways` (see routes.ts), `/api/gateways/models` (model rollout, model-routes.ts)
 *     plus `/api/gateways/metrics` (the process's one Prometheus registry, as /api/metrics; this
 *     group adds config sync, heartbeat age, ingest lag of central's consumers, the guard's
 *     counters).
 *   - `apiGuard()`: body size and rate limits for every route (guard.ts), mounted first.
 * @example
 *   const gateways = gatewayRouteGroup({ natsUrl, guard });
 *   createCentral({ ..., extraRoutes: [gateways] });
 */
import type { Hono } from 'hono';
import pino from 'pino';
import type { Registry } from 'prom-client';
import { connectNats, type Link, type LinkOptions } from '../../protocol/transport.js';
import type { AppDeps, RouteGroup } from '../app.js';
import type { ApiGuard } from './guard.js';
import { GatewayConfigHub } from './hub.js';
import { registerGatewayMetrics } from './metrics.js';
import { modelRolloutRoutes } from './model-routes.js';
import { gatewayRoutes } from './routes.js';

export { type ApiGuard, apiGuard, type GuardOptions } from './guard.js';
export { ConfigRejected, checkEnvelope, GatewayConfigHub, type GatewayConfigView } from './hub.js';
export { listPublished, publishModel, rollbackModel, rolloutModel } from './models.js';
export { gatewayRoutes } from './routes.js';

export interface GatewayRouteGroupOptions {
  natsUrl?: string;
  /** NATS credentials/TLS for central's own user (see docs/DEPLOYMENT.md) */
  nats?: Pick<LinkOptions, 'user' | 'pass' | 'token' | 'tls'>;
  /** copies of the config bucket (`--nats-replicas`: 3 on a 3-node cluster) */
  replicas?: number;
  /** include the guard's counters in the metrics */
  guard?: ApiGuard;
  log?: pino.Logger;
}

export interface GatewayRouteGroup extends RouteGroup {
  hub: GatewayConfigHub;
  stop(): Promise<void>;
}

export function gatewayRouteGroup(o: GatewayRouteGroupOptions): GatewayRouteGroup {
  const log = o.log ?? pino({ name: 'central-gateways' });
  const hub = new GatewayConfigHub({ log, replicas: o.replicas });
  const abort = new AbortController();
  let nc: Link | undefined;
  let started = false;
  const connect = () => {
    if (started || !o.natsUrl) return;
    started = true;
    connectNats({ servers: o.natsUrl, name: 'central gateways', log, ...o.nats }, abort.signal)
      .then(async (c) => {
        nc = c;
        // the bucket may be created while a JetStream restart is in progress: retry
        for (let i = 0; !abort.signal.aborted; i++) {
          try {
            await hub.attach(c);
            return;
          } catch (e) {
            log.warn({ err: (e as Error).message, attempt: i + 1 }, 'config bucket not ready, retrying');
            await new Promise((r) => setTimeout(r, 2000));
          }
        }
      })
      .catch((e) => {
        if (!abort.signal.aborted) log.error({ err: (e as Error).message }, 'gateway config link failed');
      });
  };
  return {
    path: '/api/gateways',
    hub,
    build(deps: AppDeps & { metrics: Registry }): Hono<any> {
      connect();
      const app = gatewayRoutes(hub, deps.users);
      app.route(
        '/models',
        modelRolloutRoutes(hub, () => nc, deps.users),
      );
      registerGatewayMetrics(deps.metrics, hub, () => nc, { guard: o.guard, consumed: deps.consumers });
      // the process's whole registry, as /api/metrics (kept: dashboards scrape this path)
      app.get('/metrics', async (c) =>
        c.text(await deps.metrics.metrics(), 200, { 'content-type': deps.metrics.contentType }),
      );
      return app;
    },
    async stop() {
      abort.abort();
      hub.detach();
      await nc?.drain().catch(() => undefined);
    },
  };
}
