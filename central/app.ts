/**
 * @module central/app
 * The Hono app composition, in one place. Every route group is a factory mounted with one line
 * in `buildApp`; later groups (scoring, console) are added to `extraRoutes` by their owners:
 *   { path: '/api/scoring', build: (d) => scoringRoutes(d) }
 * Errors anywhere become problem details (application/problem+json).
 */

import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { Registry } from 'prom-client';
import type { UserDirectory } from './auth/index.js';
import { authenticate, clientAddress, isLoopback, requireUser } from './auth/index.js';
import { caseRoutes, workflowRoutes } from './cases/routes.js';
import type { CaseService } from './cases/service.js';
import type { City } from './city/index.js';
import { cityRoutes } from './city/routes.js';
import { consoleDataRoutes } from './console/data.js';
import { consoleRoutes } from './console/index.js';
import { datasetRoutes, type VerdictLog } from './datasets/index.js';
import type { DeviceBoard } from './devices/board.js';
import type { GatewayCaller } from './devices/commands.js';
import { handsetRoutes } from './devices/handsets.js';
import { deviceRoutes } from './devices/routes.js';
import type { AttachmentStore } from './evidence/attachments.js';
import { type EvidenceSource, evidenceRoutes } from './evidence/routes.js';
import { type CentralCounters, registerCentralMetrics } from './http/metrics.js';
import { ProblemError, problemResponse } from './http/problem.js';
import { modelRoutes } from './models/routes.js';
import { open311Routes } from './open311/routes.js';
import { openApiDocument } from './openapi.js';
import { StoreUnavailable, statusOfStoreError } from './store/contract/index.js';
import { StorageUnavailableError, type StoreHealth } from './store/damage.js';
import type { CaseStore } from './store/index.js';

/**
 * On every response (console and API): a CSP that allows only this origin's scripts (the
 * console has no inline script), no framing by other sites, no MIME sniffing. Map tiles may
 * come from a configured tile server, hence images from anywhere.
 */
const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:', 'http:', 'https:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    frameAncestors: ["'none'"],
    formAction: ["'self'"],
  },
  xFrameOptions: 'DENY',
  xContentTypeOptions: 'nosniff',
  referrerPolicy: 'no-referrer',
  crossOriginResourcePolicy: 'same-origin',
});

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
  /** what else /api/health reports: each store's and consumer's state (not ok → degraded) */
  components?(): Record<string, StoreHealth>;
  maxUploadBytes: number;
  /** the durable consumers central's ingest reads (stream, durable); absent without NATS */
  consumers?: () => { stream: string; durable: string }[];
  /** calls gateways over NATS (request/reply); absent without NATS */
  caller?: GatewayCaller;
  /** operator verdicts on AI cases (central/datasets) */
  verdicts?: VerdictLog;
  /**
   * the embedded case store when central runs on lowdb (undefined on PostgreSQL): scoring keeps
   * its lowdb files beside it
   */
  embedded?: CaseStore;
}

/** A route group a later module contributes: mounted at `path`, built from the shared deps. */
export interface RouteGroup {
  path: string;
  /** `metrics`: the process's one Prometheus registry, for the group's own metrics */
  build(deps: AppDeps & { metrics: Registry }): Hono<any>;
}

export function buildApp(
  deps: AppDeps,
  extraRoutes: RouteGroup[] = [],
  /** run before every route, in order (e.g. the gateways module's API guard) */
  middleware: MiddlewareHandler[] = [],
): Hono {
  const app = new Hono();
  app.use('*', securityHeaders);
  for (const mw of middleware) app.use('*', mw);
  app.onError((e, c) => {
    if (e instanceof ProblemError) return problemResponse(c, e);
    if (e instanceof StorageUnavailableError || e instanceof StoreUnavailable) {
      c.header('Retry-After', '5');
      return problemResponse(c, new ProblemError(503, 'storage-unavailable', e.message));
    }
    const status = statusOfStoreError(e);
    if (status)
      return problemResponse(c, new ProblemError(status as 409, 'store-conflict', (e as Error).message));
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

  app.get('/api/health', async (c) => {
    const components = deps.components?.() ?? {};
    // the store unreachable (PostgreSQL down) is a degraded component, not a failed health check
    const counts = await svc.store.cases.countByState().catch((e: Error) => {
      components.store = { ok: false, failures: 1, lastError: e.message };
      return undefined;
    });
    const ok = Object.values(components).every((h) => h.ok);
    return c.json(
      {
        status: ok ? 'ok' : 'degraded',
        nats: deps.natsConnected() ? 'connected' : 'disconnected',
        cases: counts && Object.values(counts).reduce((a, b) => a + b, 0),
        components,
      },
      ok ? 200 : 503,
    );
  });
  const metrics = new Registry();
  // both gauges of one scrape share one read (prom-client collects them concurrently)
  let reading: Promise<{ byState: Record<string, number>; overdue: number }> | undefined;
  const caseCounts = () =>
    (reading ??= Promise.all([
      svc.store.cases.countByState(),
      svc.store.cases.list({ overdueAt: svc.now().toISOString() }, { offset: 0, limit: 0 }),
    ])
      .then(([byState, overdue]) => ({ byState, overdue: overdue.total }))
      .finally(() => {
        setImmediate(() => (reading = undefined));
      }));
  registerCentralMetrics(metrics, deps.counters, caseCounts, svc.store.cases.batchStats);
  // Prometheus scrapes from the same host without a token; from elsewhere an admin's token
  app.get('/api/metrics', async (c) => {
    if (!isLoopback(clientAddress(c))) {
      const u = authenticate(c, users);
      if (u.role !== 'admin') throw new ProblemError(403, 'forbidden', 'metrics: loopback or an admin token');
    }
    return c.text(await metrics.metrics(), 200, { 'content-type': metrics.contentType });
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
  app.route('/api/models', modelRoutes(deps.board, svc.store, users, deps.verdicts));
  if (deps.verdicts) app.route('/api/datasets', datasetRoutes(deps.verdicts, deps.objects, users));
  app.route('/api/console', consoleDataRoutes(deps));
  for (const g of extraRoutes) app.route(g.path, g.build({ ...deps, metrics }));
  return app;
}
