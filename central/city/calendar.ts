/**
 * @module central/city/calendar
 * Working-time arithmetic on a configurable work calendar: working periods per day (e.g.
 * 08:30–12:00, 13:30–17:30), workdays of the week, public holidays and make-up workdays
 * (调休). Times are computed in the city's fixed UTC offset (China has no DST).
 * `workDays: n` counts as n × the working hours of a normal day.
 * @example
 *   const cal = new WorkCalendar(loadJson('calendar.json'));
 *   cal.addWorkingTime(new Date(), { value: 2, unit: 'workHours' });
 */
import { z } from 'zod';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
export const CalendarConfig = z.strictObject({
  utcOffsetMinutes: z.number().int().min(-720).max(840).describe('the city’s offset, 480 for China'),
  workdays: z.array(z.number().int().min(0).max(6)).describe('0 = Sunday'),
  periods: z
    .array(z.tuple([HHMM, HHMM]))
    .min(1)
    .describe('working periods of a day, local time'),
  holidays: z.array(Day).default([]),
  makeupWorkdays: z.array(Day).default([]).describe('weekend days worked instead of a holiday'),
});
export type CalendarConfig = z.infer<typeof CalendarConfig>;

export interface Duration {
  value: number;
  unit: 'workHours' | 'workDays';
}

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const toMin = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

export class WorkCalendar {
  readonly #off: number;
  readonly #periods: [number, number][];
  readonly #holidays: Set<string>;
  readonly #makeup: Set<string>;
  readonly #workdays: Set<number>;
  readonly minutesPerDay: number;
  readonly utcOffsetMinutes: number;

  constructor(cfg: z.input<typeof CalendarConfig>) {
    const c = CalendarConfig.parse(cfg);
    this.utcOffsetMinutes = c.utcOffsetMinutes;
    this.#off = c.utcOffsetMinutes * MIN;
    this.#periods = c.periods
      .map(([a, b]) => [toMin(a), toMin(b)] as [number, number])
      .sort((x, y) => x[0] - y[0]);
    for (const [a, b] of this.#periods)
      if (b <= a) throw new Error(`calendar period ${a}-${b} ends before it starts`);
    this.#holidays = new Set(c.holidays);
    this.#makeup = new Set(c.makeupWorkdays);
    this.#workdays = new Set(c.workdays);
    this.minutesPerDay = this.#periods.reduce((s, [a, b]) => s + b - a, 0);
  }

  /** Is this local date (ms at local midnight, shifted) a working day? */
  #isWorkday(localMidnight: number): boolean {
    const day = new Date(localMidnight).toISOString().slice(0, 10);
    if (this.#makeup.has(day)) return true;
    if (this.#holidays.has(day)) return false;
    return this.#workdays.has(new Date(localMidnight).getUTCDay());
  }

  isWorkingTime(at: Date): boolean {
    const local = at.getTime() + this.#off;
    const midnight = Math.floor(local / DAY) * DAY;
    if (!this.#isWorkday(midnight)) return false;
    const m = (local - midnight) / MIN;
    return this.#periods.some(([a, b]) => m >= a && m < b);
  }

  /** The instant `d` of working time after `from` (deadline arithmetic). */
  addWorkingTime(from: Date, d: Duration): Date {
    let left = d.unit === 'workHours' ? d.value * 60 : d.value * this.minutesPerDay;
    let local = from.getTime() + this.#off;
    for (let guard = 0; guard < 3660; guard++) {
      const midnight = Math.floor(local / DAY) * DAY;
      if (this.#isWorkday(midnight)) {
        for (const [a, b] of this.#periods) {
          const start = Math.max(local, midnight + a * MIN);
          const end = midnight + b * MIN;
          if (start >= end) continue;
          const avail = (end - start) / MIN;
          if (avail >= left) return new Date(start + left * MIN - this.#off);
          left -= avail;
          local = end;
        }
      }
      local = midnight + DAY;
    }
    throw new Error('calendar has no working time in ten years');
  }

  /** Working minutes between two instants (0 if `to` is before `from`). */
  workingMinutesBetween(from: Date, to: Date): number {
    let total = 0;
    let local = from.getTime() + this.#off;
    const endLocal = to.getTime() + this.#off;
    while (local < endLocal) {
      const midnight = Math.floor(local / DAY) * DAY;
      if (this.#isWorkday(midnight))
        for (const [a, b] of this.#periods) {
          const s = Math.max(local, midnight + a * MIN);
          const e = Math.min(endLocal, midnight + b * MIN);
          if (e > s) total += (e - s) / MIN;
        }
      local = midnight + DAY;
    }
    return total;
  }
}
