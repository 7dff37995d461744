/**
 * @module protocol/labels
 * The one way a table of names is written: Chinese first, English second, by key. Every table
 * (incident kinds here; case states, actions, sources, roles, reject reasons, scoring items in
 * central) is written once with `labels()` and reaches the console through `/console/meta.json`.
 * @example
 *   export const SOURCES = labels({ ai: { zh: '智能识别', en: 'AI camera incident' } });
 *   export const SOURCE_NAMES = keysOf(SOURCES); // for z.enum
 */
export interface Label {
  zh: string;
  en: string;
}

/** A table of labelled entries (they may carry more), checked to have both names. */
export const labels = <const T extends Record<string, Label>>(table: T): T => table;

/** The table's keys in its order, typed for `z.enum`. */
export const keysOf = <T extends Record<string, unknown>>(table: T) =>
  Object.keys(table) as [keyof T & string, ...(keyof T & string)[]];
