/**
 * @module central/scoring/devices
 * Equipment facts from central's devices board (gateway heartbeats): for each device of a
 * gateway whose operating unit is known (`rules.items.equipment.owners`), the hours it was
 * offline within the month: reported offline by its gateway, or its gateway silent — from the
 * last heartbeat + 3 intervals to the next heartbeat, or until now for a gateway that never came
 * back (central's clock, not the device's). Before its first report a device counts as online.
 * Collectors' 城管通 handsets are devices too: offline counted in duty hours (the work
 * calendar), and a changed SIM or a handset used by another collector without record are
 * findings; they count for the collector's unit. Calls the command centre made to a
 * gateway that it did not answer (recorded by central/devices/commands) count per gateway;
 * confirmed 93.02 cases count as well.
 */
import type { DeviceMonthFacts } from './events.js';
import type { MonthWindow } from './month.js';

/** The part of central's DeviceBoard scoring reads. */
export interface DeviceHistorySource {
  gateways(now?: Date): {
    gatewayId: string;
    gatewayKind?: string;
    lastReceivedAt?: string;
    intervalS?: number;
    devices: Record<string, { id: string; changes: { at: string; online: boolean }[] }>;
    silences?: { from: string; to: string }[];
    handset?: { assignedCollectorId: string; findings: { id: string; at: string; kind: string }[] };
  }[];
  /** calls made to each gateway (answered or not) */
  calls?(): Record<string, readonly { at: string; answered: boolean }[]>;
}

/** How handsets are assessed: the unit of their collector, offline counted in duty hours only. */
export interface HandsetScoring {
  unitOf(collectorId: string): string | undefined;
  /** working minutes between two instants (the city's work calendar: the collectors' duty hours) */
  dutyMinutes(from: Date, to: Date): number;
}

const HOUR = 3_600_000;
const GRACE_INTERVALS = 3;
type Span = [number, number];

/** Offline spans in [from, to) from a list of changes in time order (online before the first). */
export function offlineSpans(
  changes: readonly { at: string; online: boolean }[],
  from: number,
  to: number,
): Span[] {
  const out: Span[] = [];
  let online = true;
  let since = from;
  for (const ch of changes) {
    const t = Date.parse(ch.at);
    if (t >= to) break;
    if (t > since) {
      if (!online) out.push([since, t]);
      since = t;
    }
    online = ch.online;
  }
  if (!online && to > since) out.push([since, to]);
  return out;
}

/** Offline milliseconds in [from, to) from a list of changes in time order. */
export function offlineMs(
  changes: readonly { at: string; online: boolean }[],
  from: number,
  to: number,
): number {
  return measure(offlineSpans(changes, from, to));
}

/** Silent spans clipped to [from, to): the recorded ones, and the one still open (never came back). */
export function silentSpans(
  g: ReturnType<DeviceHistorySource['gateways']>[number],
  from: number,
  to: number,
): Span[] {
  const spans: Span[] = (g.silences ?? []).map((s) => [Date.parse(s.from), Date.parse(s.to)]);
  if (g.lastReceivedAt && g.intervalS)
    spans.push([Date.parse(g.lastReceivedAt) + GRACE_INTERVALS * g.intervalS * 1000, to]);
  return spans.map(([a, b]): Span => [Math.max(a, from), Math.min(b, to)]).filter(([a, b]) => b > a);
}

/** Merge overlapping spans. */
function union(spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const s of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push([s[0], s[1]]);
  }
  return out;
}
const measure = (spans: Span[]) => union(spans).reduce((a, [x, y]) => a + y - x, 0);
const hours = (ms: number) => Math.round((ms / HOUR) * 100) / 100;

export function deviceFacts(
  board: DeviceHistorySource,
  w: MonthWindow,
  owners: Readonly<Record<string, string>>,
  now: Date,
  handsets?: HandsetScoring,
): DeviceMonthFacts[] {
  const to = Math.min(w.end, now.getTime());
  if (to <= w.start) return [];
  const out: DeviceMonthFacts[] = [];
  const calls = board.calls?.() ?? {};
  const inMonth = (at: string) => Date.parse(at) >= w.start && Date.parse(at) < to;
  for (const g of board.gateways(now)) {
    const silent = silentSpans(g, w.start, to);
    if (g.handset) {
      const unitId = handsets?.unitOf(g.handset.assignedCollectorId);
      if (!unitId || !handsets) continue;
      const duty = union(silent).reduce((a, [x, y]) => a + handsets.dutyMinutes(new Date(x), new Date(y)), 0);
      const findings = g.handset.findings.filter((f) => inMonth(f.at));
      out.push({
        deviceId: g.gatewayId,
        unitId,
        month: w.month,
        offlineHours: Math.round((duty / 60) * 100) / 100,
        unansweredCalls: [],
        findings: findings.map((f) => ({ id: f.id, at: f.at, kind: f.kind })),
      });
      continue;
    }
    const unitId = owners[g.gatewayId];
    if (!unitId) continue;
    const unanswered = (calls[g.gatewayId] ?? [])
      .filter((c) => !c.answered && inMonth(c.at))
      .map((c) => ({ id: `${g.gatewayId}@${c.at}`, at: c.at }));
    const devices = Object.values(g.devices);
    // a gateway without devices of its own is the device; otherwise each device is offline while
    // it said so or while its gateway was silent
    const own = devices.length ? 0 : hours(measure(silent));
    if (unanswered.length || own > 0)
      out.push({
        deviceId: g.gatewayId,
        unitId,
        month: w.month,
        offlineHours: own,
        unansweredCalls: unanswered,
      });
    for (const d of devices)
      out.push({
        deviceId: `${g.gatewayId}/${d.id}`,
        unitId,
        month: w.month,
        offlineHours: hours(measure([...offlineSpans(d.changes, w.start, to), ...silent])),
        unansweredCalls: [],
      });
  }
  return out;
}
