/**
 * @module central/store/postgres/duplicates
 * The duplicate search on PostgreSQL: open cases of a category near a place (by ~100 m cell) or
 * from one camera zone, from the partial indexes, then the exact test (`isDuplicateCandidate`);
 * and the advisory locks that serialise searches which could find each other's new case, taken
 * in one byte order everywhere (one search, or every search of an incident batch at once).
 */
import { cellRange, isDuplicateCandidate } from '../contract/derive.js';
import type { CaseSummary, DuplicateQuery } from '../contract/index.js';
import { type CaseRow, json, type Q, summary } from './rows.js';

/** One search (`searchAll` of one). */
export async function duplicateCandidates(q: Q, d: DuplicateQuery): Promise<CaseSummary[]> {
  return (await searchAll(q, [d]))[0]!;
}

/**
 * Serialise duplicate searches that could find each other's new case, across incidents and
 * instances, for the rest of the transaction: every cell the search covers (two incidents
 * within the duplicate distance share a cell of their ranges), and the camera zone; a search
 * over the whole category takes the category exclusively, the others share it. Keys in one
 * byte order (`lockAll`), so two searches or batches never wait on each other in a circle.
 */
export function lockDuplicateScope(q: Q, d: DuplicateQuery): Promise<void> {
  const { keys, exclusive } = duplicateScopes([d]);
  return lockAll(q, keys, exclusive);
}

/** Lock statement for many keys, one order for all: `exclusive[i]` says which lock key i takes. */
export async function lockAll(q: Q, keys: string[], exclusive: boolean[]): Promise<void> {
  if (!keys.length) return;
  // (modes as text: the driver sends a boolean array as one boolean)
  const modes = exclusive.map((x) => (x ? 'x' : 's'));
  await q`select case when m = 'x' then pg_advisory_xact_lock(hashtextextended(k, 0))
                      else pg_advisory_xact_lock_shared(hashtextextended(k, 0)) end
          from (select * from unnest(${keys}::text[], ${modes}::text[]) u(k, m) order by k collate "C") ks`;
}

/** The duplicate-scope locks of these searches (`lockDuplicateScope`: one search's). */
export function duplicateScopes(ds: DuplicateQuery[]): { keys: string[]; exclusive: boolean[] } {
  const exclusive = new Set<string>();
  const shared = new Set<string>();
  for (const d of ds) {
    const category = `dup:${d.category}`;
    const r = cellRange(d);
    if (!r && d.lat !== undefined) {
      exclusive.add(category);
      continue;
    }
    shared.add(category);
    if (r)
      for (let y = r.y0; y <= r.y1; y++)
        for (let x = r.x0; x <= r.x1; x++) exclusive.add(`${category}:${y}:${x}`);
    if (d.zoneId) exclusive.add(`${category}:zone:${d.deviceId ?? ''}:${d.zoneId}`);
  }
  const keys = [...exclusive, ...[...shared].filter((k) => !exclusive.has(k))];
  return { keys, exclusive: keys.map((k) => exclusive.has(k)) };
}

/**
 * Duplicate searches, each answered as if alone: the open cases of its category in its cells or
 * its camera zone, all searches in one statement (the partial indexes `cases_open_cell`,
 * `cases_open_zone`); a search whose place covers too many cells reads its whole category on its
 * own (kept out of the shared statement: its cost estimate would make PostgreSQL JIT-compile
 * every execution, ~30 ms). Then the exact test here, newest first, at most `limit`.
 */
export async function searchAll(q: Q, ds: DuplicateQuery[]): Promise<CaseSummary[][]> {
  const params = ds.map((d, i) => {
    const r = cellRange(d);
    return {
      i,
      whole: !r && d.lat !== undefined,
      category: d.category,
      y0: r?.y0 ?? null,
      y1: r?.y1 ?? null,
      x0: r?.x0 ?? null,
      x1: r?.x1 ?? null,
      zone_id: d.zoneId ?? null,
      device_id: d.deviceId ?? null,
      since: d.since ?? null,
    };
  });
  const shared = params.filter((p) => !p.whole);
  const [rows, ...wholes] = await Promise.all([
    shared.length
      ? q<(CaseRow & { i: number; id: string })[]>`
    select d.i, c.id, c.doc, c.version, c.history_length
    from jsonb_to_recordset(${json(q, shared)}) as d(i int, category text, y0 int, y1 int, x0 int, x1 int,
                                                     zone_id text, device_id text, since timestamptz)
    cross join lateral (
      select id, doc, version, history_length from cases
      where is_open and category = d.category and cell_y between d.y0 and d.y1 and cell_x between d.x0 and d.x1
        and (d.since is null or created_at >= d.since)
      union all
      select id, doc, version, history_length from cases
      where is_open and category = d.category and zone_id = d.zone_id and device_id is not distinct from d.device_id
        and (d.since is null or created_at >= d.since)
    ) c`
      : [],
    ...params
      .filter((p) => p.whole)
      .map((p) =>
        q<(CaseRow & { id: string })[]>`
    select id, doc, version, history_length from cases
    where is_open and category = ${p.category} ${p.since ? q`and created_at >= ${p.since}::timestamptz` : q``}`.then(
          (found) => found.map((r) => ({ ...r, i: p.i })),
        ),
      ),
  ]);
  const found: CaseSummary[][] = ds.map(() => []);
  const seen = ds.map(() => new Set<string>());
  for (const r of [...rows, ...wholes.flat()])
    if (!seen[r.i]!.has(r.id)) {
      seen[r.i]!.add(r.id);
      found[r.i]!.push(summary(r));
    }
  return found.map((list, i) =>
    list
      .filter((c) => isDuplicateCandidate(c, ds[i]!))
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, ds[i]!.limit),
  );
}
