/**
 * @module central/scoring/devices
 * Equipment facts from central's devices board (gateway heartbeats): for each device of a
 * gateway whose operating unit is known (`rules.items.equipment.owners`), the hours it was
 * reported offline within the month. The board keeps each device's online/offline changes;
 * before its first report a device counts as online. Calls the command centre made to a
 * gateway that it did not answer (recorded by central/devices/commands) count per gateway;
 * confirmed 93.02 cases count as well.
 */
import type { DeviceMonthFacts } from './events.js';
import type { MonthWindow } from './month.js';

/** The part of central's DeviceBoard scoring reads. */
export interface DeviceHistorySource {
  gateways(now?: Date): {
    gatewayId: string;
    devices: Record<string, { id: string; changes: { at: string; online: boolean }[] }>;
  }[];
  /** calls made to each gateway (answered or not) */
  calls?(): Record<string, readonly { at: string; answered: boolean }[]>;
}

const HOUR = 3_600_000;

/** Offline milliseconds in [from, to) from a list of changes in time order. */
export function offlineMs(
  changes: readonly { at: string; online: boolean }[],
  from: number,
  to: number,
): number {
  let online = true;
  let since = from;
  let off = 0;
  for (const ch of changes) {
    const t = Date.parse(ch.at);
    if (t >= to) break;
    if (t > since) {
      if (!online) off += t - since;
      since = t;
    }
    online = ch.online;
  }
  if (!online && to > since) off += to - since;
  return off;
}

export function deviceFacts(
  board: DeviceHistorySource,
  w: MonthWindow,
  owners: Readonly<Record<string, string>>,
  now: Date,
): DeviceMonthFacts[] {
  const to = Math.min(w.end, now.getTime());
  if (to <= w.start) return [];
  const out: DeviceMonthFacts[] = [];
  const calls = board.calls?.() ?? {};
  for (const g of board.gateways(now)) {
    const unitId = owners[g.gatewayId];
    if (!unitId) continue;
    const unanswered = (calls[g.gatewayId] ?? [])
      .filter((c) => !c.answered && Date.parse(c.at) >= w.start && Date.parse(c.at) < to)
      .map((c) => ({ id: `${g.gatewayId}@${c.at}`, at: c.at }));
    if (unanswered.length)
      out.push({
        deviceId: g.gatewayId,
        unitId,
        month: w.month,
        offlineHours: 0,
        unansweredCalls: unanswered,
      });
    for (const d of Object.values(g.devices)) {
      const hours = Math.round((offlineMs(d.changes, w.start, to) / HOUR) * 100) / 100;
      out.push({
        deviceId: `${g.gatewayId}/${d.id}`,
        unitId,
        month: w.month,
        offlineHours: hours,
        unansweredCalls: [],
      });
    }
  }
  return out;
}
