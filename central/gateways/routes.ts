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
    // the list shows versions and sync state; documents only through /:id/config
    const list = await hub.list();
    return c.json({
      gateways: list.map(({ desired, ...v }) => ({
        ...v,
        desired: desired && { ...desired, config: undefined },
      })),
    });
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
    // camera passwords travel in the cameras section: only an admin sees them
    if (view.desired && c.get('user').role !== 'admin')
      view.desired = {
        ...view.desired,
        config: redactSecrets(view.desired.config) as Record<string, unknown>,
      };
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
      configProblem(e, 'config-rejected');
    }
  });
  return app;
}

/** A refused configuration write as a problem: 409 when a save raced, else 422 of `type`. */
export function configProblem(e: unknown, type: string): never {
  if (!(e instanceof ConfigRejected)) throw e;
  const conflict = e.message.startsWith('changed concurrently');
  throw new ProblemError(conflict ? 409 : 422, conflict ? 'config-conflict' : type, e.message);
}

const SECRET_KEY = /pass(word)?|secret|token|credential|private/i;

/** A copy with the values of secret-looking keys replaced, at any depth. */
export function redactSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactSecrets);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        SECRET_KEY.test(k) && typeof x !== 'object' ? '***' : redactSecrets(x),
      ]),
    );
  return v;
}
