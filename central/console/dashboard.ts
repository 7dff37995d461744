/**
 * @module central/console/dashboard
 * What the console's home page and 大屏 draw, computed from the case store in one pass:
 * today's and this month's counts (reported, registered, dispatched, closed, on time, overdue,
 * rework), this month by source, category, unit and the last 30 days by day, AI incidents by
 * camera and kind with each model's confirmation and false-positive rate, and devices online.
 * Days and months are Asia/Shanghai's.
 */
import type { CaseRecord, IncidentRecord } from '../cases/model.js';
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

export interface Counts {
  reported: number;
  registered: number;
  dispatched: number;
  closed: number;
  onTime: number;
  overdue: number;
  rework: number;
}
const zero = (): Counts => ({ reported: 0, registered: 0, dispatched: 0, closed: 0, onTime: 0, overdue: 0, rework: 0 });

export interface ModelRate {
  model: string;
  total: number;
  confirmed: number;
  falsePositive: number;
  /** of the decided ones (registered or rejected), the share registered */
  confirmRate: number;
  falsePositiveRate: number;
}

export interface Dashboard {
  at: string;
  today: Counts;
  month: Counts;
  bySource: Record<string, number>;
  byCategory: Record<string, number>;
  /** cases dispatched to the unit this month: total, closed, on time, open overdue */
  byUnit: Record<string, { dispatched: number; closed: number; onTime: number; overdue: number }>;
  byDay: { day: string; reported: number; closed: number }[];
  ai: {
    byCamera: Record<string, number>;
    byKind: Record<string, number>;
    models: ModelRate[];
  };
  devices: { total: number; online: number; gateways: number; gatewaysOnline: number };
}

const WITH_UNIT = new Set(['dispatched', 'processing', 'extension_pending']);

export function isOverdue(c: CaseRecord, now: Date): boolean {
  return WITH_UNIT.has(c.state) && !!c.deadline && Date.parse(c.deadline) < now.getTime();
}

export function dashboard(
  cases: Iterable<CaseRecord>,
  incident: (id: string) => IncidentRecord | undefined,
  gateways: (GatewayState & { online: boolean })[],
  now = new Date(),
): Dashboard {
  const today = shanghaiDay(now);
  const month = today.slice(0, 7);
  const days: string[] = [];
  for (let i = 29; i >= 0; i--) days.push(shanghaiDay(new Date(now.getTime() - i * 86_400_000)));
  const byDay = new Map(days.map((d) => [d, { day: d, reported: 0, closed: 0 }]));
  const out: Dashboard = {
    at: now.toISOString(),
    today: zero(),
    month: zero(),
    bySource: {},
    byCategory: {},
    byUnit: {},
    byDay: [],
    ai: { byCamera: {}, byKind: {}, models: [] },
    devices: { total: 0, online: 0, gateways: gateways.length, gatewaysOnline: 0 },
  };
  const models = new Map<string, ModelRate>();
  const bump = (o: Record<string, number>, k: string | undefined) => {
    if (k) o[k] = (o[k] ?? 0) + 1;
  };
  const count = (day: string, key: keyof Counts) => {
    if (day === today) out.today[key]++;
    if (day.startsWith(month)) out.month[key]++;
  };

  for (const c of cases) {
    const created = shanghaiDay(c.createdAt);
    count(created, 'reported');
    byDay.get(created) && byDay.get(created)!.reported++;
    if (created.startsWith(month)) {
      bump(out.bySource, c.source);
      bump(out.byCategory, c.category);
    }
    for (const h of c.history) {
      const d = shanghaiDay(h.at);
      if (h.action === 'register') count(d, 'registered');
      else if (h.action === 'dispatch') {
        count(d, 'dispatched');
        const unit = (h.data as { unitId?: string } | undefined)?.unitId ?? c.unitId;
        if (d.startsWith(month) && unit) unitRow(out, unit).dispatched++;
      } else if (h.action === 'rework') count(d, 'rework');
    }
    if (c.closedAt) {
      const d = shanghaiDay(c.closedAt);
      count(d, 'closed');
      byDay.get(d) && byDay.get(d)!.closed++;
      if (c.evaluation?.onTime) count(d, 'onTime');
      if (d.startsWith(month) && c.evaluation?.unitId) {
        const row = unitRow(out, c.evaluation.unitId);
        row.closed++;
        if (c.evaluation.onTime) row.onTime++;
      }
    }
    if (isOverdue(c, now)) {
      out.today.overdue++;
      out.month.overdue++;
      if (c.unitId) unitRow(out, c.unitId).overdue++;
    }
    if (c.source === 'ai' && created.startsWith(month)) {
      bump(out.ai.byCamera, c.refs.deviceId);
      const inc = c.refs.incidentIds[0] ? incident(c.refs.incidentIds[0]) : undefined;
      const latest = (inc?.latest ?? {}) as { kind?: string; producer?: { model?: { name?: string; version?: string } } };
      bump(out.ai.byKind, latest.kind);
      const m = latest.producer?.model;
      const name = m?.name ? (m.version ? `${m.name} ${m.version}` : m.name) : undefined;
      if (name) {
        const r = models.get(name) ?? { model: name, total: 0, confirmed: 0, falsePositive: 0, confirmRate: 0, falsePositiveRate: 0 };
        r.total++;
        if (wasRegistered(c.state)) r.confirmed++;
        else if (c.state === 'rejected' && c.rejection?.reason === 'false_positive') r.falsePositive++;
        models.set(name, r);
      }
    }
  }
  for (const r of models.values()) {
    const decided = r.confirmed + r.falsePositive;
    r.confirmRate = decided ? r.confirmed / decided : 0;
    r.falsePositiveRate = decided ? r.falsePositive / decided : 0;
    out.ai.models.push(r);
  }
  out.byDay = [...byDay.values()];
  for (const g of gateways) {
    if (g.online) out.devices.gatewaysOnline++;
    for (const d of Object.values(g.devices)) {
      out.devices.total++;
      if (g.online && d.online) out.devices.online++;
    }
  }
  return out;
}

function unitRow(d: Dashboard, unit: string) {
  d.byUnit[unit] ??= { dispatched: 0, closed: 0, onTime: 0, overdue: 0 };
  return d.byUnit[unit];
}
