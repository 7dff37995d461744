/**
 * @module central/scoring/month
 * Assessment months ("2026-11") as time windows in the city's own UTC offset (China: +08:00,
 * no DST): a month runs from local midnight on the 1st to local midnight on the 1st of the next.
 */
export const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

export interface MonthWindow {
  month: string;
  /** inclusive, ms since epoch */
  start: number;
  /** exclusive */
  end: number;
  startIso: string;
  endIso: string;
}

export function monthWindow(month: string, utcOffsetMinutes: number): MonthWindow {
  if (!MONTH_RE.test(month)) throw new Error(`not a month (YYYY-MM): ${month}`);
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7));
  const off = utcOffsetMinutes * 60_000;
  const start = Date.UTC(y, m - 1, 1) - off;
  const end = Date.UTC(y, m, 1) - off;
  return { month, start, end, startIso: new Date(start).toISOString(), endIso: new Date(end).toISOString() };
}

/** The local month a moment falls in. */
export function monthOf(at: number | string, utcOffsetMinutes: number): string {
  const t = typeof at === 'string' ? Date.parse(at) : at;
  return new Date(t + utcOffsetMinutes * 60_000).toISOString().slice(0, 7);
}

export function addMonths(month: string, n: number): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7)) - 1 + n;
  const d = new Date(Date.UTC(y, m, 1));
  return d.toISOString().slice(0, 7);
}

export function monthsOfYear(year: number): string[] {
  return Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);
}

/** Canonical UTC ISO strings (what central writes) compare as strings: no parsing on the hot path. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const inWindow = (iso: string | undefined, w: MonthWindow): boolean => {
  if (!iso) return false;
  if (iso.length === 24 && CANONICAL.test(iso)) return iso >= w.startIso && iso < w.endIso;
  const t = Date.parse(iso);
  return t >= w.start && t < w.end;
};

/** `iso` is before the instant `t` (ms), parsing only non-canonical strings. */
export const isBefore = (iso: string, t: number, tIso: string): boolean =>
  iso.length === 24 && CANONICAL.test(iso) ? iso < tIso : Date.parse(iso) < t;
