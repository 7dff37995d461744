/**
 * @module central/scoring
 * Monthly assessment and scoring as the city's plan defines it (README.md beside this file).
 * - the pure engine: `extractEvents` + `scoreLevel` (no HTTP, no storage: benchmark it directly)
 * - `ScoringService`: `monthly` (provisional and closed months, annual, indicators), `months`
 *   (close, reopen, item selection), `bonuses` (bonus items, audit), over the storage contract
 * - `scoringRouteGroup()`: the `/api/scoring` routes as one of central's route groups
 * @example
 *   createCentral({ dataDir, extraRoutes: [scoringRouteGroup({ dataDir })] });
 *   // on PostgreSQL: scoringRouteGroup({ store: pgStore }) (opened by the caller)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** central's data directory (scoring keeps `<dataDir>/scoring/`); a temporary one if absent */
  dataDir?: string;
  /**
   * central's store, opened (PostgreSQL: `PgStore`); without it scoring keeps its lowdb files
   * in `dataDir` and reads central's embedded case store through the lowdb adapter
   */
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
      const lowdb = o.store
        ? undefined
        : new ScoringStore(o.dataDir ?? mkdtempSync(join(tmpdir(), 'cg-scoring-')));
      const store = o.store ?? new LowdbAdapter(deps.svc.store, lowdb!);
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
      const ready = (async () => {
        await lowdb?.open();
        await s.bonuses.loadCitations();
      })();
      return scoringRoutes(s, deps.users, ready);
    },
    service() {
      if (!svc) throw new Error('scoring route group not built yet');
      return svc;
    },
  };
}
