/**
 * @module central/gateways/model-routes
 * `GET /api/gateways/models` (admin, leader, operator): the published model versions.
 * `POST /api/gateways/models/rollout` (admin) `{ gatewayIds, name, version, replace? }`: the next
 * configuration version of each gateway names that model; `POST /api/gateways/models/rollback`
 * (admin) `{ gatewayIds, name }`: what each ran before. The gateway's heartbeat then shows the
 * model it loaded (`GET /api/gateways/:id/config` → `reported.models`) or why it refused it
 * (`reported.configRefused`). 422 for an unknown version or a gateway without that model,
 * 409 when a configuration save races, 503 without NATS.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { Token } from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import { ProblemError } from '../http/problem.js';
import type { GatewayConfigHub } from './hub.js';
import { listPublished, rollbackModel, rolloutModel } from './models.js';
import { configProblem } from './routes.js';

const Name = z.string().regex(/^[A-Za-z0-9._-]+$/);
export const Rollout = z
  .object({
    gatewayIds: z.array(Token).min(1).max(500),
    name: Name,
    version: Name,
    replace: z.string().min(1).optional(),
  })
  .strict();
export const Rollback = z.object({ gatewayIds: z.array(Token).min(1).max(500), name: Name }).strict();

export function modelRolloutRoutes(
  hub: GatewayConfigHub,
  link: () => Link | undefined,
  users: UserDirectory,
): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const nats = () => {
    const nc = link();
    if (!nc || !hub.ready)
      throw new ProblemError(503, 'config-store-unavailable', 'NATS is not connected; try again shortly');
    return nc;
  };
  const body = async <T>(c: { req: { json(): Promise<unknown> } }, schema: z.ZodType<T>): Promise<T> => {
    const r = schema.safeParse(await c.req.json().catch(() => undefined));
    if (!r.success)
      throw new ProblemError(
        400,
        'invalid-body',
        r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    return r.data;
  };
  const refused = (e: unknown): never => configProblem(e, 'model-rollout-refused');
  app.get('/', requireUser(users, ['admin', 'leader', 'operator']), async (c) =>
    c.json({ models: await listPublished(nats()) }),
  );
  app.post('/rollout', requireUser(users, ['admin']), async (c) => {
    const req = await body(c, Rollout);
    const results = await rolloutModel(nats(), hub, req, c.get('user').id).catch(refused);
    return c.json({ results });
  });
  app.post('/rollback', requireUser(users, ['admin']), async (c) => {
    const req = await body(c, Rollback);
    nats();
    const results = await rollbackModel(hub, req, c.get('user').id).catch(refused);
    return c.json({ results });
  });
  return app;
}
