/**
 * @module central/scoring
 * Monthly assessment and scoring as the city's plan defines it (README.md beside this file).
 * - the pure engine: `extractEvents` + `scoreLevel` (no HTTP, no storage: benchmark it directly)
 * - `ScoringService`: provisional and closed months, annual, indicators, bonus items
 * - `scoringRouteGroup()`: the `/api/scoring` routes as one of central's route groups
 * @example
 *   createCentral({ dataDir, extraRoutes: [scoringRouteGroup({ dataDir })] });
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { AppDeps, RouteGroup } from '../app.js';
import { ProblemError } from '../http/problem.js';
import { deviceFacts } from './devices.js';
import { orgFromCity } from './org.js';
import { scoringRoutes } from './routes.js';
import { loadRules, type Rules } from './rules.js';
import { ScoringService } from './service.js';
import { ScoringStore } from './store.js';

export { type BonusItem, type LevelResult, scoreLevel, type UnitScore } from './engine.js';
export { type DeviceMonthFacts, extractEvents, type ScoreEvent } from './events.js';
export { monthWindow } from './month.js';
export { scoringOpenApiPaths } from './openapi.js';
export { type OrgInput, OrgTree, orgFromCity } from './org.js';
export { ITEMS, loadRules, parseRules, type Rules } from './rules.js';
export { ScoringService } from './service.js';
export { ScoringStore } from './store.js';

export interface ScoringGroupOptions {
  /** central's data directory (scoring keeps `<dataDir>/scoring/`); a temporary one if absent */
  dataDir?: string;
  /** rules (default: central/scoring/rules.json) */
  rules?: Rules;
  now?: () => Date;
  /** the city's UTC offset for month boundaries (default 480, China; matches seed/calendar.json) */
  utcOffsetMinutes?: number;
}

export interface ScoringRouteGroup extends RouteGroup {
  /** the service, once `build` ran */
  service(): ScoringService;
}

export function scoringRouteGroup(o: ScoringGroupOptions = {}): ScoringRouteGroup {
  let svc: ScoringService | undefined;
  return {
    path: '/api/scoring',
    build(deps: AppDeps) {
      // scoring still reads every case of the embedded store; on PostgreSQL it is not served yet
      const cases = deps.embedded;
      if (!cases) return notOnThisStore();
      const rules = o.rules ?? loadRules();
      const store = new ScoringStore(o.dataDir ?? mkdtempSync(join(tmpdir(), 'cg-scoring-')));
      const now = o.now ?? (() => deps.svc.now());
      const offset = o.utcOffsetMinutes ?? 480;
      svc = new ScoringService({
        cases,
        org: orgFromCity(deps.city),
        rules,
        store,
        utcOffsetMinutes: offset,
        devices: (month) =>
          deviceFacts(deps.board, svc!.window(month), rules.items.equipment.owners, now(), {
            unitOf: (id) => {
              const c = svc!.tree.collectors.find((x) => x.id === id);
              return c && svc!.tree.collectorUnit(c);
            },
            dutyMinutes: (a, b) => deps.city.calendar.workingMinutesBetween(a, b),
          }),
        attachments: deps.attachments,
        citedElsewhere: (name) => (cases.casesByEvidence(name).length ? 'a case' : undefined),
        now,
      });
      deps.svc.addCitationCheck((name) => svc!.bonusCiting(name));
      return scoringRoutes(svc, deps.users, store.open());
    },
    service() {
      if (!svc) throw new Error('scoring route group not built yet');
      return svc;
    },
  };
}

function notOnThisStore(): Hono {
  const app = new Hono();
  app.all('*', () => {
    throw new ProblemError(501, 'not-on-this-store', 'scoring is not available on the PostgreSQL store yet');
  });
  return app;
}
