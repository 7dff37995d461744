/**
 * @module central/scoring
 * Monthly assessment and scoring as the city's plan defines it (README.md beside this file).
 * - the pure engine: `extractEvents` + `scoreLevel` (no HTTP, no storage: benchmark it directly)
 * - `ScoringService`: `monthly` (provisional and closed months, annual, indicators), `months`
 *   (close, reopen, item selection), `bonuses` (bonus items, audit), over the storage contract
 * - `scoringRouteGroup()`: the `/api/scoring` routes as one of central's route groups
 * @example
 *   createCentral({ dataDir, extraRoutes: [scoringRouteGroup()] }); // central's own store
 *   // on PostgreSQL: scoringRouteGroup({ store: pgStore }) (opened by the caller)
 */
import type { AppDeps, RouteGroup } from '../app.js';
import type { CentralStore } from '../store/contract/index.js';
import { LowdbAdapter } from '../store/contract/lowdb-adapter.js';
import { deviceFacts } from './devices.js';
import { orgFromCity } from './org.js';
import { scoringRoutes } from './routes.js';
import { loadRules, type Rules } from './rules.js';
import { ScoringService } from './service.js';
import { ScoringStore } from './store.js';

export { type BonusItem, type LevelResult, scoreLevel, type UnitScore } from './engine.js';
export { type DeviceMonthFacts, extractEvents, type ScoreEvent } from './events.js';
export { monthWindow } from './month.js';
export type { MonthScores } from './monthly.js';
export { scoringOpenApiPaths } from './openapi.js';
export { type OrgInput, OrgTree, orgFromCity } from './org.js';
export { ITEMS, loadRules, parseRules, type Rules } from './rules.js';
export { ScoringService } from './service.js';
export { ScoringStore } from './store.js';

export interface ScoringGroupOptions {
  /**
   * a scoring folder of its own (`<dataDir>/scoring/`) beside central's embedded case store;
   * without it (and without `store`) scoring uses central's own store, lowdb or PostgreSQL
   */
  dataDir?: string;
  /** a store opened by the caller instead of central's */
  store?: CentralStore;
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
      const rules = o.rules ?? loadRules();
      // the store given, else a scoring folder of its own beside the embedded case store, else
      // central's own store (PostgreSQL, or the lowdb adapter with central's scoring folder)
      const lowdb = o.store || !deps.embedded || !o.dataDir ? undefined : new ScoringStore(o.dataDir);
      const store = o.store ?? (lowdb ? new LowdbAdapter(deps.embedded!, lowdb) : deps.svc.store);
      const now = o.now ?? (() => deps.svc.now());
      const offset = o.utcOffsetMinutes ?? 480;
      const s: ScoringService = new ScoringService({
        store: store.scoring,
        org: orgFromCity(deps.city),
        rules,
        utcOffsetMinutes: offset,
        devices: (month) =>
          deviceFacts(deps.board, s.ctx.window(month), rules.items.equipment.owners, now(), {
            unitOf: (id) => {
              const c = s.tree.collectors.find((x) => x.id === id);
              return c && s.tree.collectorUnit(c);
            },
            dutyMinutes: (a, b) => deps.city.calendar.workingMinutesBetween(a, b),
          }),
        attachments: deps.attachments,
        citedElsewhere: async (name) => ((await store.cases.byEvidence(name)).length ? 'a case' : undefined),
        now,
      });
      svc = s;
      deps.svc.addCitationCheck((name) => s.bonuses.citingNow(name));
      // opened at the first request, not at build: a store that is still unreachable (PostgreSQL
      // down at start) answers that request 503 and the next one tries again
      let opened: Promise<void> | undefined;
      const ready = () =>
        (opened ??= (async () => {
          await lowdb?.open();
          await s.bonuses.loadCitations();
        })().catch((e) => {
          opened = undefined;
          throw e;
        }));
      return scoringRoutes(s, deps.users, ready);
    },
    service() {
      if (!svc) throw new Error('scoring route group not built yet');
      return svc;
    },
  };
}
