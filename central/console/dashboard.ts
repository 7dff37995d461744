/**
 * @module central/console/dashboard
 * What the console's home page and 大屏 draw: today's and this month's counts (reported,
 * registered, dispatched, closed, on time, overdue, rework), this month by source, category,
 * unit and the last 30 days by day, AI incidents by camera and kind with each model's
 * confirmation and false-positive rate, and devices online. Days and months are Asia/Shanghai's.
 *
 * The counts come from the store as one aggregate (`CaseRepository.dashboard`): `aggregateDashboard`
 * here is their only definition, applied in JavaScript by the lowdb store; PostgreSQL runs the
 * same definition as GROUP BYs (store/postgres/dashboard.ts) and the contract suite checks both
 * give the same aggregate. `dashboard` then folds the aggregate into what the console draws.
 */
import { type CaseRecord, type IncidentRecord, sentTo } from '../cases/model.js';
import { isOverdue } from '../cases/visibility.js';
import { wasRegistered } from '../cases/workflow.js';
import type { GatewayState } from '../devices/board.js';

const DAY = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
/** YYYY-MM-DD in Shanghai */
export const shanghaiDay = (iso: string | Date) => DAY.format(typeof iso === 'string' ? new Date(iso) : iso);
/** the instant a Shanghai day starts (Shanghai keeps UTC+8 all year) */
const dayStartIso = (day: string) => new Date(`${day}T00:00:00+08:00`).toISOString();

export interface Counts {
  reported: number;
  registered: number;
  dispatched: number;
  closed: number;
  onTime: number;
  overdue: number;
  rework: number;
}
/** what happened on one day: all counts but overdue (a state now, not an event) */
export type DayCounts = Omit<Counts, 'overdue'>;
const zeroDay = (): DayCounts => ({
  reported: 0,
  registered: 0,
  dispatched: 0,
  closed: 0,
  onTime: 0,
  rework: 0,
});

export interface UnitCounts {
  dispatched: number;
  closed: number;
  onTime: number;
  overdue: number;
}

export interface ModelCounts {
  /** name and version, as the console shows it */
  model: string;
  total: number;
  confirmed: number;
  falsePositive: number;
}
export interface ModelRate extends ModelCounts {
  /** of the decided ones (registered or rejected), the share registered */
  confirmRate: number;
  falsePositiveRate: number;
}

/** The window the dashboard counts in: the last 30 Shanghai days and the current month. */
export interface DashboardWindow {
  /** the 30 days, oldest first; the last is today */
  days: string[];
  /** YYYY-MM */
  month: string;
  monthStartIso: string;
  /** the earlier of the first day's and the month's start: events since then are counted */
  fromIso: string;
  nowIso: string;
}

export function dashboardWindow(now: Date): DashboardWindow {
  const days: string[] = [];
  for (let i = 29; i >= 0; i--) days.push(shanghaiDay(new Date(now.getTime() - i * 86_400_000)));
  const month = days[29]!.slice(0, 7);
  const monthStartIso = dayStartIso(`${month}-01`);
  const firstIso = dayStartIso(days[0]!);
  return {
    days,
    month,
    monthStartIso,
    fromIso: firstIso < monthStartIso ? firstIso : monthStartIso,
    nowIso: now.toISOString(),
  };
}

/** The store's answer for a window: every count the dashboard shows, by day or by key. */
export interface DashboardAggregate {
  /** per Shanghai day since `fromIso`, the days with any event */
  byDay: Record<string, DayCounts>;
  /** cases with the unit past their deadline now */
  overdue: number;
  /** cases created this month, by source and by category */
  bySource: Record<string, number>;
  byCategory: Record<string, number>;
  /**
   * per unit: dispatches this month to it (the entry's `sentTo`, else the case's unit), cases
   * closed this month evaluated for it (and on time), its cases overdue now
   */
  byUnit: Record<string, UnitCounts>;
  /** AI cases created this month: by camera, by incident kind, per model (sorted by model) */
  ai: { byCamera: Record<string, number>; byKind: Record<string, number>; models: ModelCounts[] };
}

type LatestIncident = { kind?: string; producer?: { model?: { name?: string; version?: string } } };

/** The model a case's first incident names, as "name version". */
export function modelLabel(m: { name?: string; version?: string } | undefined): string | undefined {
  return m?.name ? (m.version ? `${m.name} ${m.version}` : m.name) : undefined;
}

/** No counts yet: what both stores fill in. */
export const emptyDashboard = (): DashboardAggregate => ({
  byDay: {},
  overdue: 0,
  bySource: {},
  byCategory: {},
  byUnit: {},
  ai: { byCamera: {}, byKind: {}, models: [] },
});

/** The dashboard's counts over the cases, in one pass: the definition PostgreSQL's SQL follows. */
export function aggregateDashboard(
  cases: Iterable<CaseRecord>,
  incident: (id: string) => IncidentRecord | undefined,
  w: DashboardWindow,
): DashboardAggregate {
  const now = new Date(w.nowIso);
  const out = emptyDashboard();
  const models = new Map<string, ModelCounts>();
  const bump = (o: Record<string, number>, k: string | undefined) => {
    if (k) o[k] = (o[k] ?? 0) + 1;
  };
  const from = Date.parse(w.fromIso);
  const monthStart = Date.parse(w.monthStartIso);
  const on = (at: string, key: keyof DayCounts) => {
    if (Date.parse(at) < from) return;
    const day = shanghaiDay(at);
    const row = out.byDay[day] ?? zeroDay();
    row[key]++;
    out.byDay[day] = row;
  };
  const unit = (u: string) => (out.byUnit[u] ??= { dispatched: 0, closed: 0, onTime: 0, overdue: 0 });
  const thisMonth = (at: string) => Date.parse(at) >= monthStart;

  for (const c of cases) {
    on(c.createdAt, 'reported');
    if (thisMonth(c.createdAt)) {
      bump(out.bySource, c.source);
      bump(out.byCategory, c.category);
    }
    for (const h of c.history) {
      if (h.action === 'register') on(h.at, 'registered');
      else if (h.action === 'rework') on(h.at, 'rework');
      else if (h.action === 'dispatch') {
        on(h.at, 'dispatched');
        const to = sentTo(h) ?? c.unitId;
        if (thisMonth(h.at) && to) unit(to).dispatched++;
      }
    }
    if (c.closedAt) {
      on(c.closedAt, 'closed');
      if (c.evaluation?.onTime) on(c.closedAt, 'onTime');
      if (thisMonth(c.closedAt) && c.evaluation?.unitId) {
        const row = unit(c.evaluation.unitId);
        row.closed++;
        if (c.evaluation.onTime) row.onTime++;
      }
    }
    if (isOverdue(c, now)) {
      out.overdue++;
      if (c.unitId) unit(c.unitId).overdue++;
    }
    if (c.source === 'ai' && thisMonth(c.createdAt)) {
      bump(out.ai.byCamera, c.refs.deviceId);
      const inc = c.refs.incidentIds[0] ? incident(c.refs.incidentIds[0]) : undefined;
      const latest = (inc?.latest ?? {}) as LatestIncident;
      bump(out.ai.byKind, latest.kind);
      const name = modelLabel(latest.producer?.model);
      if (name) {
        const r = models.get(name) ?? { model: name, total: 0, confirmed: 0, falsePositive: 0 };
        r.total++;
        if (wasRegistered(c.state)) r.confirmed++;
        else if (c.state === 'rejected' && c.rejection?.reason === 'false_positive') r.falsePositive++;
        models.set(name, r);
      }
    }
  }
  out.ai.models = sortModels([...models.values()]);
  return out;
}

export const sortModels = (m: ModelCounts[]) =>
  m.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));

export interface Dashboard {
  at: string;
  today: Counts;
  month: Counts;
  bySource: Record<string, number>;
  byCategory: Record<string, number>;
  /** cases dispatched to the unit this month: total, closed, on time, open overdue */
  byUnit: Record<string, UnitCounts>;
  byDay: { day: string; reported: number; closed: number }[];
  ai: {
    byCamera: Record<string, number>;
    byKind: Record<string, number>;
    models: ModelRate[];
  };
  devices: { total: number; online: number; gateways: number; gatewaysOnline: number };
}

/** What the console draws, from the store's aggregate and the device board. */
export function dashboard(
  agg: DashboardAggregate,
  w: DashboardWindow,
  gateways: (GatewayState & { online: boolean })[],
): Dashboard {
  const today = w.days[w.days.length - 1]!;
  const sum = (days: string[]): Counts => {
    const c: Counts = { ...zeroDay(), overdue: agg.overdue };
    for (const d of days) {
      const row = agg.byDay[d];
      if (row) for (const k of Object.keys(row) as (keyof DayCounts)[]) c[k] += row[k];
    }
    return c;
  };
  const devices = { total: 0, online: 0, gateways: gateways.length, gatewaysOnline: 0 };
  for (const g of gateways) {
    if (g.online) devices.gatewaysOnline++;
    for (const d of Object.values(g.devices)) {
      devices.total++;
      if (g.online && d.online) devices.online++;
    }
  }
  return {
    at: w.nowIso,
    today: sum([today]),
    month: sum(Object.keys(agg.byDay).filter((d) => d.startsWith(w.month))),
    bySource: agg.bySource,
    byCategory: agg.byCategory,
    byUnit: agg.byUnit,
    byDay: w.days.map((day) => ({
      day,
      reported: agg.byDay[day]?.reported ?? 0,
      closed: agg.byDay[day]?.closed ?? 0,
    })),
    ai: {
      byCamera: agg.ai.byCamera,
      byKind: agg.ai.byKind,
      models: agg.ai.models.map((r) => {
        const decided = r.confirmed + r.falsePositive;
        return {
          ...r,
          confirmRate: decided ? r.confirmed / decided : 0,
          falsePositiveRate: decided ? r.falsePositive / decided : 0,
        };
      }),
    },
    devices,
  };
}
