/**
 * @module edge/camera/zones
 * Zone geometry and schedules, pure: membership by the bottom centre of a box (where a car's
 * wheels or a person's feet touch the ground), and whether a zone's schedule is on at time t.
 */
import type { Box } from '../detect/index.js';

export type Polygon = readonly (readonly [number, number])[];

/** Ray casting; points on an edge may fall either side. */
export function pointInPolygon(x: number, y: number, poly: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function bottomCentre(b: Box): [number, number] {
  return [b.x + b.w / 2, b.y + b.h];
}

export function boxInZone(b: Box, poly: Polygon): boolean {
  const [x, y] = bottomCentre(b);
  return pointInPolygon(x, y, poly);
}

export interface DutyWindow {
  days: number[];
  from: string;
  to: string;
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();

/** ISO weekday (1=Mon) and minutes since local midnight at t in time zone tz. */
export function localTime(t: number, tz: string): { day: number; minutes: number } {
  let f = fmtCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    fmtCache.set(tz, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday) + 1;
  return { day, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const mins = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** No schedule = always on. A window with to < from spans midnight (it belongs to its start day). */
export function scheduleActive(schedule: readonly DutyWindow[] | undefined, t: number, tz: string): boolean {
  if (!schedule?.length) return true;
  const { day, minutes } = localTime(t, tz);
  const prevDay = day === 1 ? 7 : day - 1;
  return schedule.some((w) => {
    const from = mins(w.from);
    const to = mins(w.to);
    if (from <= to) return w.days.includes(day) && minutes >= from && minutes < to;
    return (w.days.includes(day) && minutes >= from) || (w.days.includes(prevDay) && minutes < to);
  });
}
