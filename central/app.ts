/**
 * @module central/app
 * The Hono app composition, in one place. Every route group is a factory mounted with one line
 * in `buildApp`; later groups (scoring, console) are added to `extraRoutes` by their owners:
 *   { path: '/api/scoring', build: (d) => scoringRoutes(d) }
 * Errors anywhere become problem details (application/problem+json).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { UserDirectory } from './auth/index.js';
import { requireUser } from './auth/index.js';
import { caseRoutes, workflowRoutes } from './cases/routes.js';
import type { CaseService } from './cases/service.js';
import type { City } from './city/index.js';
import { cityRoutes } from './city/routes.js';
import { consoleRoutes } from './console/index.js';
import type { DeviceBoard } from './devices/board.js';
import type { GatewayCaller } from './devices/commands.js';
import { handsetRoutes } from './devices/handsets.js';
import { deviceRoutes } from './devices/routes.js';
import type { AttachmentStore } from './evidence/attachments.js';
import { type EvidenceSource, evidenceRoutes } from './evidence/routes.js';
import { type CentralCounters, renderMetrics } from './http/metrics.js';
import { ProblemError, problemResponse } from './http/problem.js';
import { open311Routes } from './open311/routes.js';
import { openApiDocument } from './openapi.js';

export interface AppDeps {
  svc: CaseService;
  users: UserDirectory;
  city: City;
  attachments: AttachmentStore;
  objects: EvidenceSource;
  board: DeviceBoard;
  counters: CentralCounters;
  /** NATS link state for /api/health */
  natsConnected(): boolean;
  maxUploadBytes: number;
  /** calls gateways over NATS (request/reply); absent without NATS */
  caller?: GatewayCaller;
}

/** A route group a later module contributes: mounted at `path`, built from the shared deps. */
export interface RouteGroup {
  path: string;
  build(deps: AppDeps): Hono<any>;
}

export function buildApp(
  deps: AppDeps,
  extraRoutes: RouteGroup[] = [],
  /** run before every route, in order (e.g. the gateways module's API guard) */
  middleware: MiddlewareHandler[] = [],
): Hono {
  const app = new Hono();
  for (const mw of middleware) app.use('*', mw);
  app.onError((e, c) => {
    if (e instanceof ProblemError) return problemResponse(c, e);
    console.error(e);
    return problemResponse(
      c,
      new ProblemError(500, 'internal-error', 'unexpected error; see the server log'),
    );
  });
  app.notFound((c) =>
    problemResponse(c, new ProblemError(404, 'not-found', `no route ${c.req.method} ${c.req.path}`)),
  );

  const { svc, users, city } = deps;
  const ev = evidenceRoutes(svc, users, deps.attachments, deps.objects, deps.maxUploadBytes);

  app.get('/api/health', (c) =>
    c.json({
      status: 'ok',
      nats: deps.natsConnected() ? 'connected' : 'disconnected',
      cases: [...svc.store.countByState().values()].reduce((a, b) => a + b, 0),
    }),
  );
  app.get('/api/metrics', (c) => {
    const now = svc.now();
    // only cases with a unit can be overdue: read those states, not every case
    const overdue = (['dispatched', 'processing', 'extension_pending'] as const)
      .flatMap((st) => svc.store.casesInState(st))
      .filter((k) => svc.isOverdue(k, now)).length;
    return c.text(renderMetrics(deps.counters, svc.store, overdue), 200, {
      'content-type': 'text/plain; version=0.0.4',
    });
  });
  app.get('/api/openapi.json', (c) => c.json(openApiDocument()));
  app.get('/api/me', requireUser(users), (c) => c.json(c.get('user' as never)));

  // ---- route groups: one line each ----
  app.route('/api/cases', caseRoutes(svc, users));
  app.route('/api/workflow', workflowRoutes());
  app.route('/api/attachments', ev.attachments);
  app.route('/api/evidence', ev.evidence);
  app.route('/api/devices', deviceRoutes(deps.board, users, deps.caller));
  app.route('/api/handsets', handsetRoutes(deps.board, users, city, { now: () => svc.now() }));
  app.route('/api/city', cityRoutes(city, users));
  app.route('/open311/v2', open311Routes(svc, users));
  app.route('/', consoleRoutes({ users, store: svc.store }));
  for (const g of extraRoutes) app.route(g.path, g.build(deps));
  return app;
}
