/**
 * @module central/store/indexes
 * The list indexes: case ids per key (every case; per state, unit, state + unit, grid, category,
 * source, reporter), each kept sorted ascending (ULIDs sort by creation time) and current on
 * every apply. A list page is read newest-first from the end of the smallest index its filter
 * names, a `before` cursor is a binary search, and a total is a length when the index answers the
 * whole filter; only the filters no index answers (collector, creation time, overdue, or a
 * union for who may see) are tested case by case, and only over that smallest index.
 */
import type { CaseRecord } from '../cases/model.js';
import { CASE_STATE_NAMES, type CaseState, isWithUnit } from '../cases/workflow.js';
import { matchesFilter } from './contract/derive.js';
import type { CaseFilter, Page } from './contract/index.js';

/** first index whose id is not below `id` */
function lowerBound(a: readonly string[], id: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Ids in ascending order. New ids are nearly always the newest (a push). Until the first read,
 * out-of-order adds are pushed and sorted once (loading a year), after that inserted in place.
 */
export class SortedIds {
  #ids: string[] = [];
  #unsorted = false;
  #loading = true;

  add(id: string): void {
    const a = this.#ids;
    if (!a.length || id > a[a.length - 1]!) a.push(id);
    else if (this.#loading) {
      a.push(id);
      this.#unsorted = true;
    } else a.splice(lowerBound(a, id), 0, id);
  }

  remove(id: string): void {
    const a = this.ids() as string[];
    const i = lowerBound(a, id);
    if (a[i] === id) a.splice(i, 1);
  }

  ids(): readonly string[] {
    if (this.#unsorted) this.#ids.sort();
    this.#unsorted = false;
    this.#loading = false;
    return this.#ids;
  }

  get size(): number {
    return this.#ids.length;
  }

  /** how many ids are older than `before` (all without it) */
  below(before: string | undefined): number {
    return before === undefined ? this.#ids.length : lowerBound(this.ids(), before);
  }
}

const keysOf = (c: CaseRecord): string[] => {
  const k = ['all', `state:${c.state}`, `cat:${c.category}`, `src:${c.source}`, `rep:${c.reporter.id}`];
  if (c.location.gridCode) k.push(`grid:${c.location.gridCode}`);
  if (c.unitId) k.push(`unit:${c.unitId}`, `state+unit:${c.state}|${c.unitId}`);
  return k;
};

const WITH_UNIT = CASE_STATE_NAMES.filter((s) => isWithUnit(s as CaseState));

/** Where a filter can be read from: a union of indexes, and how many of its conditions that union answers. */
interface Source {
  lists: SortedIds[];
  /** conditions of the filter this union answers by itself */
  covers: number;
  /** no id is in two of the lists (a total is then a sum of lengths) */
  disjoint: boolean;
}

export class CaseListIndex {
  readonly #by = new Map<string, SortedIds>();

  /** keep the indexes current for a case's new version (`prev` is the stored one) */
  set(prev: CaseRecord | undefined, c: CaseRecord): void {
    const before = prev ? keysOf(prev) : [];
    const after = keysOf(c);
    for (const k of before) if (!after.includes(k)) this.#by.get(k)?.remove(c.id);
    for (const k of after) if (!before.includes(k)) this.#list(k).add(c.id);
  }

  #list(k: string): SortedIds {
    const l = this.#by.get(k) ?? new SortedIds();
    this.#by.set(k, l);
    return l;
  }

  /** ids in this state, ascending */
  inState(state: string): readonly string[] {
    return this.#by.get(`state:${state}`)?.ids() ?? [];
  }

  countByState(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, l] of this.#by) if (k.startsWith('state:')) out.set(k.slice(6), l.size);
    return out;
  }

  /** The page of cases matching `f`, newest first, and how many match (older than `before`). */
  list(f: CaseFilter, p: Page, get: (id: string) => CaseRecord): { total: number; items: CaseRecord[] } {
    const plan = this.#plan(f);
    if (!plan) return { total: 0, items: [] };
    const { source, conditions } = plan;
    const lists = source.lists;
    const exact = source.disjoint && source.covers === conditions;
    if (exact && lists.length === 1) {
      // one index answers the whole filter: a slice off its end
      const ids = lists[0]!.ids();
      const end = lists[0]!.below(f.before);
      const items: CaseRecord[] = [];
      for (let i = end - 1 - p.offset; i >= 0 && items.length < p.limit; i--) items.push(get(ids[i]!));
      return { total: end, items };
    }
    const items: CaseRecord[] = [];
    let seen = 0;
    for (const id of newestFirst(lists, f.before, !source.disjoint)) {
      const c = get(id);
      if (!exact && !matchesFilter(c, f)) continue;
      if (seen >= p.offset && items.length < p.limit) items.push(c);
      seen++;
      // with an exact union the total is the lengths: stop once the page is full
      if (exact && items.length >= p.limit) break;
    }
    const total = exact ? lists.reduce((n, l) => n + l.below(f.before), 0) : seen;
    return { total, items };
  }

  /** The smallest union of indexes that holds every case matching `f` (undefined: nothing can match). */
  #plan(f: CaseFilter): { source: Source; conditions: number } | undefined {
    const lists = (keys: string[]) => [...new Set(keys)].map((k) => this.#by.get(k) ?? new SortedIds());
    // an empty string filters nothing, as in matchesFilter
    let unitId = f.unitId || undefined;
    let reporterId = f.reporterId || undefined;
    let conditions = 0;
    const sources: Source[] = [{ lists: lists(['all']), covers: 0, disjoint: true }];
    const v = f.visibleTo;
    if (v) {
      const onlyUnit = v.unitId !== undefined && v.reporterId === undefined;
      const onlyReporter = v.reporterId !== undefined && v.unitId === undefined;
      if (onlyUnit && (unitId === undefined || unitId === v.unitId)) unitId = v.unitId;
      else if (onlyReporter && (reporterId === undefined || reporterId === v.reporterId))
        reporterId = v.reporterId;
      else if (v.unitId === undefined && v.reporterId === undefined) return undefined;
      else {
        conditions++;
        const keys = [v.unitId && `unit:${v.unitId}`, v.reporterId && `rep:${v.reporterId}`];
        sources.push({ lists: lists(keys.filter((k): k is string => !!k)), covers: 1, disjoint: false });
      }
    }
    const one = (key: string) => {
      conditions++;
      sources.push({ lists: lists([key]), covers: 1, disjoint: true });
    };
    if (f.states) {
      conditions++;
      const states = [...new Set(f.states)];
      sources.push({ lists: lists(states.map((s) => `state:${s}`)), covers: 1, disjoint: true });
      if (unitId !== undefined)
        sources.push({
          lists: lists(states.map((s) => `state+unit:${s}|${unitId}`)),
          covers: 2,
          disjoint: true,
        });
    }
    if (unitId !== undefined) one(`unit:${unitId}`);
    if (reporterId !== undefined) one(`rep:${reporterId}`);
    if (f.gridCode) one(`grid:${f.gridCode}`);
    if (f.category) one(`cat:${f.category}`);
    if (f.sources) {
      conditions++;
      sources.push({ lists: lists(f.sources.map((s) => `src:${s}`)), covers: 1, disjoint: true });
    }
    // the overdue list: only cases with a unit can be; their deadlines are tested one by one
    if (f.overdueAt) {
      conditions++;
      sources.push({ lists: lists(WITH_UNIT.map((s) => `state:${s}`)), covers: 0, disjoint: true });
    }
    // no index: tested case by case
    for (const x of [f.collectorId, f.createdFrom, f.createdTo, f.notOverdueAt, f.caseNumberPrefix, f.text])
      if (x) conditions++;
    const size = (s: Source) => s.lists.reduce((n, l) => n + l.size, 0);
    const source = sources.reduce((best, s) =>
      size(s) < size(best) || (size(s) === size(best) && s.covers > best.covers) ? s : best,
    );
    return { source, conditions };
  }
}

/** The ids of ascending lists, merged newest first, starting below `before` (equal ids once when `dedupe`). */
function* newestFirst(lists: SortedIds[], before: string | undefined, dedupe: boolean): Generator<string> {
  const arrays = lists.map((l) => l.ids());
  const at = lists.map((l) => l.below(before) - 1);
  for (;;) {
    let best = -1;
    for (let j = 0; j < arrays.length; j++)
      if (at[j]! >= 0 && (best < 0 || arrays[j]![at[j]!]! > arrays[best]![at[best]!]!)) best = j;
    if (best < 0) return;
    const id = arrays[best]![at[best]!]!;
    at[best]!--;
    if (dedupe)
      for (let j = 0; j < arrays.length; j++) if (at[j]! >= 0 && arrays[j]![at[j]!] === id) at[j]!--;
    yield id;
  }
}
