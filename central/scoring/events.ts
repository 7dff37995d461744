/**
 * @module central/scoring/events
 * Turns what happened into deduction events, each with a stable key, the item it belongs to,
 * the unit that did the work, the time it was recorded and the case/device/collector behind it.
 * Pure. An event counts in the month of its time, and every time used is a time central
 * recorded (history entries, evaluations), so "late" facts land in the month they arrive in.
 *
 * Cases: a case belongs to an item by category first (91.xx 队容风纪, 92.xx 渣土, 93.xx 设备,
 * as the rules map them), then by source (AI/vehicle → 场外监控点, the others → 案件办理).
 * Only confirmed cases count: registered (立案) and not merged; a rejected AI incident
 * (false positive) was never registered and never deducts.
 */
import { type CaseRecord, type HistoryEntry, sentTo } from '../cases/model.js';
import type { CaseState } from '../cases/workflow.js';
import { isWithUnit } from '../cases/workflow.js';
import { inWindow, isBefore, type MonthWindow } from './month.js';
import type { OrgTree } from './org.js';
import type { ItemKey, Rules } from './rules.js';

export type EventKind =
  | 'closedOverdue'
  | 'rework'
  | 'wrongfulReturn'
  | 'openOverdueAtMonthEnd'
  | 'confirmedProblem'
  | 'violation'
  | 'offlineCase'
  | 'offlineHours'
  | 'unansweredCall'
  | 'handsetFinding'
  | 'reportShortfall';

export const EVENT_KINDS: Record<EventKind, string> = {
  closedOverdue: '超期结案',
  rework: '返工',
  wrongfulReturn: '错误回退',
  openOverdueAtMonthEnd: '月末超期未结案',
  confirmedProblem: '监控点发现问题',
  violation: '确认违规',
  offlineCase: '设备离线',
  offlineHours: '离线超时',
  unansweredCall: '未应答调度',
  handsetFinding: '城管通换卡或未登记转用',
  reportShortfall: '有效上报不足',
};

export interface ScoreEvent {
  /** stable identity: the same fact always gives the same key (used to freeze months) */
  key: string;
  item: ItemKey;
  kind: EventKind;
  /** ISO time central recorded it */
  at: string;
  /** the unit that did the work (a street's case refined to the grid's community) */
  unitId: string;
  points: number;
  caseId?: string;
  /** the case's 案卷号 (what people read) */
  caseNumber?: string;
  deviceId?: string;
  collectorId?: string;
  category?: string;
  /** hours beyond the threshold, calls... */
  quantity?: number;
}

/** A collector's report that became valid (was registered) at `at`. */
export interface ValidReport {
  key: string;
  caseId: string;
  collectorId: string;
  at: string;
}

/**
 * Equipment facts for one device and month, from central's device status / command records.
 * `month` is the month central recorded them in.
 */
export interface DeviceMonthFacts {
  deviceId: string;
  /** the unit that operates the device */
  unitId: string;
  month: string;
  offlineHours: number;
  unansweredCalls: { id: string; at: string }[];
  /** handsets: SIM changed, or used by another collector without record */
  findings?: { id: string; at: string; kind: string }[];
}

export interface ExtractInput {
  cases: readonly CaseRecord[];
  devices?: readonly DeviceMonthFacts[];
  /** the instant the month is computed at (ms): a running month sees its cases as of now */
  asOf?: number;
}

const HANDLING_KINDS = ['closedOverdue', 'rework', 'wrongfulReturn', 'openOverdueAtMonthEnd'] as const;

export function registration(c: CaseRecord): HistoryEntry | undefined {
  return c.history.find((h) => h.action === 'register');
}
/** Registered and still standing (not merged into another case, not cancelled 作废). */
export function isConfirmed(c: CaseRecord): boolean {
  return (
    c.state !== 'merged' && c.state !== 'rejected' && c.state !== 'cancelled' && registration(c) !== undefined
  );
}

export function itemOfCase(c: CaseRecord, rules: Rules): ItemKey | undefined {
  const it = rules.items;
  if (c.category in it.discipline.categories) return 'discipline';
  if (c.category in it.muck.categories) return 'muck';
  if (c.category in it.equipment.categories) return 'equipment';
  if (it.offsite.sources.includes(c.source)) return 'offsite';
  if (it.cases.sources.includes(c.source)) return 'cases';
  return undefined;
}

/** The state a case was in just before `t`, replaying its append-only history. */
export function stateAt(c: CaseRecord, t: number, tIso = new Date(t).toISOString()): CaseState | undefined {
  let s: CaseState | undefined;
  for (const h of c.history) {
    if (!isBefore(h.at, t, tIso)) break;
    if (h.to) s = h.to;
  }
  return s;
}

/** The device a case is about as the devices board names it (`<gateway>/<device>`, or the gateway). */
function boardDeviceId(c: CaseRecord): string {
  const { gatewayId: g, deviceId: d } = c.refs;
  return g && d && d !== g ? `${g}/${d}` : (g ?? d ?? '');
}

function caseUnit(c: CaseRecord): string | undefined {
  return c.evaluation?.unitId ?? c.unitId ?? c.proposedUnitId;
}

/** Deduction events and valid reports recorded in the window. */
export function extractEvents(
  input: ExtractInput,
  w: MonthWindow,
  tree: OrgTree,
  rules: Rules,
): { events: ScoreEvent[]; validReports: ValidReport[] } {
  const events: ScoreEvent[] = [];
  const validReports: ValidReport[] = [];
  const monthEndIso = new Date(w.end - 1).toISOString();
  // a running month is seen as of now, including what happened at this very instant
  const asOf = input.asOf !== undefined && input.asOf < w.end ? input.asOf + 1 : w.end;
  // an outage deducts once: as hours where central measures the device this month, else as its 93.01 case
  const measured = new Set((input.devices ?? []).filter((d) => d.month === w.month).map((d) => d.deviceId));
  for (const c of input.cases) {
    const reg = registration(c);
    if (!reg || !isConfirmed(c)) continue;
    const grid = c.location.gridCode;
    const work = (u: string) => tree.workUnit(u, grid);
    if (c.source === 'collector' && c.reporter.collectorId && inWindow(reg.at, w))
      validReports.push({
        key: `valid:${c.id}`,
        caseId: c.id,
        collectorId: c.reporter.collectorId,
        at: reg.at,
      });
    const item = itemOfCase(c, rules);
    if (!item) continue;
    const base = { item, caseId: c.id, caseNumber: c.caseNumber, category: c.category };
    if (item === 'discipline' || item === 'muck') {
      const unit = caseUnit(c);
      if (unit && inWindow(reg.at, w))
        events.push({
          ...base,
          key: `violation:${c.id}`,
          kind: 'violation',
          at: reg.at,
          unitId: work(unit),
          points: rules.items[item].categories[c.category],
        });
      continue;
    }
    if (item === 'equipment') {
      const unit = caseUnit(c);
      if (!unit || !inWindow(reg.at, w)) continue;
      const offline = rules.items.equipment.categories[c.category] === 'offline';
      const deviceId = c.refs.deviceId ?? c.refs.gatewayId;
      if (offline && measured.has(boardDeviceId(c))) continue;
      events.push({
        ...base,
        key: `${offline ? 'offlineCase' : 'unansweredCall'}:${c.id}`,
        kind: offline ? 'offlineCase' : 'unansweredCall',
        at: reg.at,
        unitId: work(unit),
        deviceId,
        points: offline ? rules.items.equipment.offlineCase : rules.items.equipment.unansweredCall,
      });
      continue;
    }
    if (item !== 'offsite' && item !== 'cases') continue;
    const pts = rules.items[item];
    if (item === 'offsite' && inWindow(reg.at, w) && caseUnit(c))
      events.push({
        ...base,
        key: `confirmedProblem:${c.id}`,
        kind: 'confirmedProblem',
        at: reg.at,
        unitId: work(caseUnit(c) as string),
        deviceId: c.refs.deviceId ?? c.refs.gatewayId,
        points: rules.items.offsite.confirmedProblem,
      });
    handling(c, w, asOf, monthEndIso, work, (e) => events.push({ ...base, ...e, points: pts[e.kind] }));
  }
  for (const d of input.devices ?? []) {
    if (d.month !== w.month) continue;
    const eq = rules.items.equipment;
    const beyond = Math.max(0, d.offlineHours - eq.offlineThresholdHours);
    if (beyond > 0)
      events.push({
        key: `offlineHours:${d.deviceId}:${d.month}`,
        item: 'equipment',
        kind: 'offlineHours',
        at: monthEndIso,
        unitId: d.unitId,
        deviceId: d.deviceId,
        quantity: beyond,
        points: beyond * eq.perOfflineHour,
      });
    for (const f of d.findings ?? [])
      events.push({
        key: `handsetFinding:${f.id}`,
        item: 'equipment',
        kind: 'handsetFinding',
        at: f.at,
        unitId: d.unitId,
        deviceId: d.deviceId,
        points: eq.handsetFinding,
      });
    for (const call of d.unansweredCalls)
      events.push({
        key: `unansweredCall:${d.deviceId}:${call.id}`,
        item: 'equipment',
        kind: 'unansweredCall',
        at: call.at,
        unitId: d.unitId,
        deviceId: d.deviceId,
        points: eq.unansweredCall,
      });
  }
  return { events, validReports };
}

type HandlingEvent = Omit<ScoreEvent, 'points' | 'item' | 'caseId' | 'category'> & {
  kind: (typeof HANDLING_KINDS)[number];
};

/** How the unit handled one case: late close, reworks, wrongful returns, overdue at month end. */
function handling(
  c: CaseRecord,
  w: MonthWindow,
  asOf: number,
  monthEndIso: string,
  work: (u: string) => string,
  emit: (e: HandlingEvent) => void,
): void {
  const ev = c.evaluation;
  if (ev && !ev.onTime && inWindow(ev.closedAt, w))
    emit({ key: `closedOverdue:${c.id}`, kind: 'closedOverdue', at: ev.closedAt, unitId: work(ev.unitId) });
  for (const h of c.history) {
    if (h.action === 'rework' && inWindow(h.at, w)) {
      const unit = sentTo(h);
      if (unit) emit({ key: `rework:${c.id}:${h.seq}`, kind: 'rework', at: h.at, unitId: work(unit) });
    }
    if (h.action === 'dispatch' && inWindow(h.at, w)) {
      // a return is wrongful when the centre sends the case back to the unit that returned it
      const prev = c.history
        .filter((x) => x.seq < h.seq && (x.action === 'return' || x.action === 'dispatch'))
        .at(-1);
      const target = sentTo(h);
      if (target && prev?.action === 'return' && prev.actor.unitId === target)
        emit({
          key: `wrongfulReturn:${c.id}:${prev.seq}`,
          kind: 'wrongfulReturn',
          at: h.at,
          unitId: work(target),
        });
    }
  }
  // overdue at month end; while the month runs, only once the deadline has actually passed
  const atIso = new Date(asOf).toISOString();
  const s = stateAt(c, asOf, atIso);
  if (s && isWithUnit(s) && c.unitId && c.deadline && isBefore(c.deadline, asOf, atIso))
    emit({
      key: `openOverdueAtMonthEnd:${c.id}:${w.month}`,
      kind: 'openOverdueAtMonthEnd',
      at: monthEndIso,
      unitId: work(c.unitId),
    });
}
