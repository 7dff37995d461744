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

export async function duplicateCandidates(q: Q, d: DuplicateQuery): Promise<CaseSummary[]> {
  const r = cellRange(d);
  const place = r
    ? q`(cell_y between ${r.y0} and ${r.y1} and cell_x between ${r.x0} and ${r.x1})`
    : d.lat !== undefined
      ? q`true`
      : q`false`;
  const zone = d.zoneId
    ? q`(zone_id = ${d.zoneId} and device_id is not distinct from ${d.deviceId ?? null})`
    : q`false`;
  const rows = await q<CaseRow[]>`
    select doc, version, history_length from cases
    where is_open and category = ${d.category} and (${place} or ${zone})
      ${d.since ? q`and created_at >= ${d.since}::timestamptz` : q``}
    order by id desc`;
  return rows
    .map(summary)
    .filter((c) => isDuplicateCandidate(c, d))
    .slice(0, d.limit);
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
 * Every duplicate search of a round in one statement (each as `duplicateCandidates` answers it
 * alone): the open cases of the search's category in its cells or its camera zone, from the same
 * partial indexes, then the exact test here. A search over a whole category (a place whose
 * cells are too many) is asked on its own.
 */
export async function searchAll(q: Q, ds: DuplicateQuery[]): Promise<CaseSummary[][]> {
  const each = ds.map((d) => ({ d, r: cellRange(d) }));
  const alone = each.map(({ d, r }) => (!r && d.lat !== undefined ? duplicateCandidates(q, d) : undefined));
  const params = each.map(({ d, r }, i) => ({
    i,
    category: d.category,
    y0: r?.y0 ?? null,
    y1: r?.y1 ?? null,
    x0: r?.x0 ?? null,
    x1: r?.x1 ?? null,
    zone_id: d.zoneId ?? null,
    device_id: d.deviceId ?? null,
    since: d.since ?? null,
  }));
  const rows = await q<(CaseRow & { i: number; id: string })[]>`
    select d.i, c.id, c.doc, c.version, c.history_length
    from jsonb_to_recordset(${json(q, params)}) as d(i int, category text, y0 int, y1 int, x0 int, x1 int,
                                                     zone_id text, device_id text, since timestamptz)
    cross join lateral (
      select id, doc, version, history_length from cases
      where is_open and category = d.category and cell_y between d.y0 and d.y1 and cell_x between d.x0 and d.x1
        and (d.since is null or created_at >= d.since)
      union all
      select id, doc, version, history_length from cases
      where is_open and category = d.category and zone_id = d.zone_id and device_id is not distinct from d.device_id
        and (d.since is null or created_at >= d.since)
    ) c`;
  const found: CaseSummary[][] = ds.map(() => []);
  const seen = ds.map(() => new Set<string>());
  for (const r of rows)
    if (!seen[r.i]!.has(r.id)) {
      seen[r.i]!.add(r.id);
      found[r.i]!.push(summary(r));
    }
  return Promise.all(
    found.map(
      (list, i) =>
        alone[i] ??
        list
          .filter((c) => isDuplicateCandidate(c, ds[i]!))
          .sort((a, b) => (a.id < b.id ? 1 : -1))
          .slice(0, ds[i]!.limit),
    ),
  );
}
