/**
 * @module central/cases/case-number
 * 案卷号: the number people read, say on the phone and search by, e.g. `2026120100001` — the
 * local date (the city's offset, Asia/Shanghai) and a five-digit daily sequence. Case ids (ULIDs)
 * stay internal. The sequence lives in the store: the first number of a day continues after the
 * highest one the store holds for that day, so a restart never repeats one. A store shared by
 * several central instances (PostgreSQL) implements `CaseNumberSource` with its own atomic
 * counter (a row per day, `UPDATE … RETURNING`, taken in blocks), and then two instances can
 * never hand out the same number.
 * @example
 *   const c = newCase(...); c.caseNumber = nextCaseNumber(store, city.calendar.utcOffsetMinutes, now);
 */
import type { CaseStore } from '../store/index.js';

export const CASE_NUMBER_RE = /^\d{8}\d{5,}$/;

/** A store that hands out each day's sequence itself (shared by several instances). */
export interface CaseNumberSource {
  nextCaseSequence(day: string): number;
}

const hasSource = (s: object): s is CaseNumberSource =>
  typeof (s as Partial<CaseNumberSource>).nextCaseSequence === 'function';

/** Local day `YYYYMMDD` of an instant in the city's offset. */
export function localDay(at: Date, utcOffsetMinutes: number): string {
  return new Date(at.getTime() + utcOffsetMinutes * 60_000).toISOString().slice(0, 10).replaceAll('-', '');
}

export const formatCaseNumber = (day: string, seq: number): string => `${day}${String(seq).padStart(5, '0')}`;

/** The highest sequence of `day` among the store's cases (0: none yet). */
export function highestSequence(cases: readonly { caseNumber?: string }[], day: string): number {
  let max = 0;
  for (const c of cases)
    if (c.caseNumber?.startsWith(day)) max = Math.max(max, Number(c.caseNumber.slice(day.length)));
  return max;
}

const lastOfDay = new WeakMap<CaseStore, { day: string; seq: number }>();

export function nextCaseNumber(store: CaseStore, utcOffsetMinutes: number, at: Date): string {
  const day = localDay(at, utcOffsetMinutes);
  if (hasSource(store)) return formatCaseNumber(day, store.nextCaseSequence(day));
  let last = lastOfDay.get(store);
  if (last?.day !== day) {
    last = { day, seq: highestSequence(store.allCases(), day) };
    lastOfDay.set(store, last);
  }
  last.seq++;
  return formatCaseNumber(day, last.seq);
}
