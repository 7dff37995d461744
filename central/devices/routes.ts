/**
 * @module central/devices/routes
 * The devices board: gateways with their devices and online state, vehicles and their tracks.
 */
import { Hono } from 'hono';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import { ProblemError } from '../http/problem.js';
import type { DeviceBoard } from './board.js';

export function deviceRoutes(board: DeviceBoard, users: UserDirectory): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use('*', requireUser(users, ['operator', 'leader', 'admin']));
  app.get('/', (c) => c.json({ gateways: board.gateways(), vehicles: board.vehicles() }));
  app.get('/vehicles/:id/track', (c) => {
    const t = board.track(c.req.param('id'));
    if (!t)
      throw new ProblemError(404, 'vehicle-not-found', `no telemetry from vehicle ${c.req.param('id')}`);
    return c.json(t);
  });
  return app;
}
