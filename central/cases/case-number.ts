/**
 * @module central/cases/case-number
 * 案卷号: the number people read, say on the phone and search by, e.g. `2026120100001` — the
 * local date (the city's offset, Asia/Shanghai) and a five-digit daily sequence. Case ids (ULIDs)
 * stay internal. The sequence comes from the store (`CaseRepository.nextCaseSequence`): lowdb
 * continues after the highest number it holds for the day, so a restart never repeats one;
 * PostgreSQL keeps a counter row per day (`UPDATE … RETURNING`), so two central instances never
 * hand out the same number.
 * @example
 *   c.caseNumber = await nextCaseNumber(store.cases, city.calendar.utcOffsetMinutes, now);
 */

export const CASE_NUMBER_RE = /^\d{8}\d{5,}$/;

/** Where a day's sequence comes from (the store, or the incident view inside its lock). */
export interface CaseNumberSource {
  nextCaseSequence(day: string): Promise<number>;
}

/** Local day `YYYYMMDD` of an instant in the city's offset. */
export function localDay(at: Date, utcOffsetMinutes: number): string {
  return new Date(at.getTime() + utcOffsetMinutes * 60_000).toISOString().slice(0, 10).replaceAll('-', '');
}

export const formatCaseNumber = (day: string, seq: number): string => `${day}${String(seq).padStart(5, '0')}`;

/** The highest sequence of `day` among these cases (0: none yet). */
export function highestSequence(cases: readonly { caseNumber?: string }[], day: string): number {
  let max = 0;
  for (const c of cases)
    if (c.caseNumber?.startsWith(day)) max = Math.max(max, Number(c.caseNumber.slice(day.length)));
  return max;
}

export async function nextCaseNumber(
  source: CaseNumberSource,
  utcOffsetMinutes: number,
  at: Date,
): Promise<string> {
  const day = localDay(at, utcOffsetMinutes);
  return formatCaseNumber(day, await source.nextCaseSequence(day));
}
