/**
 * @module central/store/postgres/dashboard
 * The console dashboard's counts (console/dashboard.ts `aggregateDashboard`, their definition)
 * and /api/models' AI case counts (models/routes.ts `countAiCases`) as GROUP BYs: each reads
 * only the rows of its window through an index (creation, close, history action + time, the
 * overdue deadline, AI cases by source), never every case. Days are Shanghai's.
 */
import type postgres from 'postgres';
import {
  type DashboardAggregate,
  type DashboardWindow,
  type DayCounts,
  emptyDashboard,
  sortModels,
} from '../../console/dashboard.js';
import { type ModelCaseCount, sortModelCounts } from '../../models/routes.js';

export async function dashboardAggregate(sql: postgres.Sql, w: DashboardWindow): Promise<DashboardAggregate> {
  const from = w.fromIso;
  const month = w.monthStartIso;
  // a dispatch entry's unit: `sentTo` (its data.unitId when a string), else the case's unit
  const sentTo = sql`coalesce(case when jsonb_typeof(h.entry->'data'->'unitId') = 'string' then h.entry->'data'->>'unitId' end, c.unit_id)`;
  const latest = sql`(select i.doc->'latest' from incidents i where i.id = c.doc->'refs'->'incidentIds'->>0)`;
  const [reported, closed, history, overdue, bySource, byCategory, dispatchedTo, closedFor, ai, models] =
    await Promise.all([
      sql<{ d: string; n: number }[]>`
        select to_char(created_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as d, count(*)::int as n from cases
        where created_at >= ${from}::timestamptz group by 1`,
      sql<{ d: string; n: number; on_time: number }[]>`
        select to_char(closed_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as d, count(*)::int as n, count(*) filter (where on_time)::int as on_time
        from cases where closed_at >= ${from}::timestamptz group by 1`,
      sql<{ d: string; action: string; n: number }[]>`
        select to_char(at at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as d, action, count(*)::int as n from case_history
        where action in ('register', 'dispatch', 'rework') and at >= ${from}::timestamptz group by 1, 2`,
      sql<{ unit_id: string | null; n: number }[]>`
        select unit_id, count(*)::int as n from cases
        where with_unit and deadline < ${w.nowIso}::timestamptz group by 1`,
      sql<{ k: string; n: number }[]>`
        select source as k, count(*)::int as n from cases where created_at >= ${month}::timestamptz group by 1`,
      sql<{ k: string; n: number }[]>`
        select category as k, count(*)::int as n from cases where created_at >= ${month}::timestamptz group by 1`,
      sql<{ k: string | null; n: number }[]>`
        select ${sentTo} as k, count(*)::int as n
        from case_history h join cases c on c.id = h.case_id
        where h.action = 'dispatch' and h.at >= ${month}::timestamptz group by 1`,
      sql<{ k: string; n: number; on_time: number }[]>`
        select doc->'evaluation'->>'unitId' as k, count(*)::int as n, count(*) filter (where on_time)::int as on_time
        from cases where closed_at >= ${month}::timestamptz and doc->'evaluation'->>'unitId' <> '' group by 1`,
      sql<{ camera: string | null; kind: string | null; n: number }[]>`
        select c.device_id as camera, ${latest}->>'kind' as kind, count(*)::int as n
        from cases c where c.source = 'ai' and c.created_at >= ${month}::timestamptz group by 1, 2`,
      sql<{ model: string; total: number; confirmed: number; false_positive: number }[]>`
        with m as (
          select c.state, c.doc->'rejection'->>'reason' as reason, ${latest}->'producer'->'model' as m
          from cases c where c.source = 'ai' and c.created_at >= ${month}::timestamptz
        ), named as (
          select state, reason, (m->>'name') || coalesce(' ' || nullif(m->>'version', ''), '') as model
          from m where jsonb_typeof(m) = 'object' and coalesce(m->>'name', '') <> ''
        )
        select model, count(*)::int as total,
          count(*) filter (where state not in ('reported', 'rejected', 'merged'))::int as confirmed,
          count(*) filter (where state = 'rejected' and reason = 'false_positive')::int as false_positive
        from named group by 1`,
    ]);

  const out = emptyDashboard();
  const dayRow = (d: string) =>
    (out.byDay[d] ??= { reported: 0, registered: 0, dispatched: 0, closed: 0, onTime: 0, rework: 0 });
  const unit = (u: string) => (out.byUnit[u] ??= { dispatched: 0, closed: 0, onTime: 0, overdue: 0 });
  const add = (o: Record<string, number>, k: string | null | undefined, n: number) => {
    if (k) o[k] = (o[k] ?? 0) + n;
  };
  const ACTION: Record<string, keyof DayCounts> = {
    register: 'registered',
    dispatch: 'dispatched',
    rework: 'rework',
  };

  for (const r of reported) dayRow(r.d).reported += r.n;
  for (const r of closed) {
    dayRow(r.d).closed += r.n;
    if (r.on_time) dayRow(r.d).onTime += r.on_time;
  }
  for (const r of history) dayRow(r.d)[ACTION[r.action]!] += r.n;
  for (const r of overdue) {
    out.overdue += r.n;
    if (r.unit_id) unit(r.unit_id).overdue += r.n;
  }
  for (const r of bySource) add(out.bySource, r.k, r.n);
  for (const r of byCategory) add(out.byCategory, r.k, r.n);
  for (const r of dispatchedTo) if (r.k) unit(r.k).dispatched += r.n;
  for (const r of closedFor) {
    unit(r.k).closed += r.n;
    unit(r.k).onTime += r.on_time;
  }
  for (const r of ai) {
    add(out.ai.byCamera, r.camera, r.n);
    add(out.ai.byKind, r.kind, r.n);
  }
  out.ai.models = sortModels(
    models.map((r) => ({
      model: r.model,
      total: r.total,
      confirmed: r.confirmed,
      falsePositive: r.false_positive,
    })),
  );
  return out;
}

/** AI cases per model their first incident names (every month). */
export async function aiCasesByModel(sql: postgres.Sql): Promise<ModelCaseCount[]> {
  const rows = await sql<{ name: string; version: string | null; sha256: string | null; cases: number }[]>`
    with m as (
      select (select i.doc->'latest'->'producer'->'model' from incidents i where i.id = c.doc->'refs'->'incidentIds'->>0) as m
      from cases c where c.source = 'ai'
    )
    select m->>'name' as name, m->>'version' as version, m->>'sha256' as sha256, count(*)::int as cases
    from m where jsonb_typeof(m) = 'object' group by 1, 2, 3`;
  return sortModelCounts(
    rows.map((r) => ({
      name: r.name,
      ...(r.version === null ? {} : { version: r.version }),
      ...(r.sha256 === null ? {} : { sha256: r.sha256 }),
      cases: r.cases,
    })),
  );
}
