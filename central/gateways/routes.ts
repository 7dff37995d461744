/**
 * @module central/gateways/routes
 * `GET /api/gateways` every gateway with its desired configuration version and the version its
 * heartbeat reports; `GET /api/gateways/:id/config` one of them with the document;
 * `PUT /api/gateways/:id/config` (admin) stores the next version (body: the configuration object,
 * without `gatewayId`, `nats`, `dataDir`). Answers 409 when two saves race, 503 without NATS.
 */
import { Hono } from 'hono';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import { ProblemError } from '../http/problem.js';
import { ConfigRejected, type GatewayConfigHub } from './hub.js';

const READERS = ['admin', 'leader', 'operator'] as const;

export function gatewayRoutes(hub: GatewayConfigHub, users: UserDirectory): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const ready = () => {
    if (!hub.ready)
      throw new ProblemError(503, 'config-store-unavailable', 'NATS is not connected; try again shortly');
  };
  app.get('/', requireUser(users, READERS), async (c) => {
    ready();
    return c.json({ gateways: await hub.list() });
  });
  app.get('/:id/config', requireUser(users, READERS), async (c) => {
    ready();
    const view = await hub.get(c.req.param('id'));
    if (!view.desired && !view.reported)
      throw new ProblemError(
        404,
        'gateway-not-found',
        `no configuration or heartbeat for ${c.req.param('id')}`,
      );
    return c.json(view);
  });
  app.put('/:id/config', requireUser(users, ['admin']), async (c) => {
    ready();
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new ProblemError(400, 'invalid-json', 'the body must be a JSON object');
    }
    try {
      const doc = await hub.put(c.req.param('id'), body, c.get('user').id);
      return c.json(doc, 200);
    } catch (e) {
      if (!(e instanceof ConfigRejected)) throw e;
      const conflict = e.message.startsWith('changed concurrently');
      throw new ProblemError(
        conflict ? 409 : 422,
        conflict ? 'config-conflict' : 'config-rejected',
        e.message,
      );
    }
  });
  return app;
}
