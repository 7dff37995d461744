/**
 * @module central/console/data
 * The console's read-only helpers: `GET /api/console/refdata` (the names behind the ids the
 * console shows: users, gateways) for any signed-in person, and `GET /api/console/dashboard`
 * (central/console/dashboard.ts) for the supervision centre and leaders.
 * @example
 *   app.route('/api/console', consoleDataRoutes(deps));
 */
import { Hono } from 'hono';
import type { AppDeps } from '../app.js';
import type { AuthEnv } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import { dashboard, dashboardWindow } from './dashboard.js';

export function consoleDataRoutes(deps: Pick<AppDeps, 'svc' | 'users' | 'board'>): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/refdata', requireUser(deps.users), (c) =>
    c.json({
      users: deps.users.all().map((u) => ({ id: u.id, name: u.name, role: u.role, unitId: u.unitId })),
      gateways: deps.board.gateways().map((g) => ({ id: g.gatewayId, kind: g.gatewayKind })),
    }),
  );
  app.get('/dashboard', requireUser(deps.users, ['operator', 'leader', 'admin']), async (c) => {
    const w = dashboardWindow(deps.svc.now());
    return c.json(dashboard(await deps.svc.store.cases.dashboard(w), w, deps.board.gateways()));
  });
  return app;
}
