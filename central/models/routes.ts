/**
 * @module central/models
 * `GET /api/models` (operator, leader, admin): every model version central knows of, from two
 * real sources: the models each gateway reports loaded in its heartbeat (where it runs: gateway
 * and cameras) and the models named in AI incidents; with its evaluation by the operators'
 * verdicts (central/datasets): confirmed, corrected category, rejected by reason, and the
 * precision confirmed / (confirmed + false positives). The AI case counts come from the store
 * as one aggregate (`aiCasesByModel`), on lowdb and PostgreSQL alike.
 */
import { Hono } from 'hono';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import type { CaseRecord, IncidentRecord } from '../cases/model.js';
import type { VerdictLog } from '../datasets/index.js';
import type { DeviceBoard } from '../devices/board.js';
import type { CentralStore } from '../store/contract/index.js';

interface ModelRow {
  name: string;
  version?: string;
  sha256?: string;
  task?: 'detect' | 'classify';
  runningOn: { gatewayId: string; cameraIds: string[]; online: boolean }[];
  aiCases: number;
  verdicts: { confirmed: number; wrongCategory: number; rejected: Record<string, number> };
  /** confirmed (incl. corrected category and duplicates) / (those + false positives); undefined without verdicts */
  precision?: number;
}

type Ref = { name: string; version?: string; sha256?: string };
const keyOf = (m: Ref) => `${m.name}@${m.version ?? ''}#${m.sha256 ?? ''}`;

/** AI cases per model their first incident names: the store's `aiCasesByModel`. */
export type ModelCaseCount = Ref & { cases: number };

/** `aiCasesByModel`'s definition (the lowdb store applies it; PostgreSQL runs it as a GROUP BY). */
export function countAiCases(
  cases: Iterable<CaseRecord>,
  incident: (id: string) => IncidentRecord | undefined,
): ModelCaseCount[] {
  const rows = new Map<string, ModelCaseCount>();
  for (const c of cases) {
    if (c.source !== 'ai') continue;
    const m = incident(c.refs.incidentIds[0] ?? '')?.latest.producer?.model;
    if (!m) continue;
    const r = rows.get(keyOf(m)) ?? { name: m.name, version: m.version, sha256: m.sha256, cases: 0 };
    r.cases++;
    rows.set(keyOf(m), r);
  }
  return sortModelCounts([...rows.values()]);
}

export const sortModelCounts = (m: ModelCaseCount[]) =>
  m.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));

export async function listModels(
  board: DeviceBoard,
  store: CentralStore,
  verdicts?: VerdictLog,
): Promise<ModelRow[]> {
  const rows = new Map<string, ModelRow>();
  const row = (m: Ref): ModelRow => {
    const k = keyOf(m);
    let r = rows.get(k);
    if (!r) {
      r = {
        name: m.name,
        version: m.version,
        sha256: m.sha256,
        runningOn: [],
        aiCases: 0,
        verdicts: { confirmed: 0, wrongCategory: 0, rejected: {} },
      };
      rows.set(k, r);
    }
    return r;
  };
  for (const g of board.gateways())
    for (const m of g.models ?? []) {
      const r = row(m);
      r.task = m.task;
      r.runningOn.push({ gatewayId: g.gatewayId, cameraIds: m.cameraIds, online: g.online });
    }
  for (const m of await store.cases.aiCasesByModel()) row(m).aiCases += m.cases;
  for (const v of verdicts?.all() ?? []) {
    if (!v.model) continue;
    const r = row(v.model);
    if (v.verdict === 'confirmed') r.verdicts.confirmed++;
    else if (v.verdict === 'wrong_category') r.verdicts.wrongCategory++;
    else r.verdicts.rejected[v.reason ?? 'unknown'] = (r.verdicts.rejected[v.reason ?? 'unknown'] ?? 0) + 1;
  }
  for (const r of rows.values()) {
    const right = r.verdicts.confirmed + r.verdicts.wrongCategory + (r.verdicts.rejected.duplicate ?? 0);
    const fp = r.verdicts.rejected.false_positive ?? 0;
    if (right + fp) r.precision = Math.round((right / (right + fp)) * 1000) / 1000;
  }
  return [...rows.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || (a.version ?? '').localeCompare(b.version ?? ''),
  );
}

export function modelRoutes(
  board: DeviceBoard,
  store: CentralStore,
  users: UserDirectory,
  verdicts?: VerdictLog,
) {
  const app = new Hono<AuthEnv>();
  app.use('*', requireUser(users, ['operator', 'leader', 'admin']));
  app.get('/', async (c) => c.json({ models: await listModels(board, store, verdicts) }));
  return app;
}
