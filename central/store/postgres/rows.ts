/**
 * @module central/store/postgres/rows
 * Case records ↔ rows: a case row holds the record without its history (jsonb) plus the columns
 * every filter and index needs; history entries and evidence names are rows of their own. The
 * rows of a write, what a write may not do to the stored row, the records read back, and the
 * day's case-number counter: shared by the one-change writes (cases.ts), the incident batches
 * (for many ids at once) and the bulk loader of the benchmarks.
 */
import type postgres from 'postgres';
import type { CaseRecord, HistoryEntry } from '../../cases/model.js';
import { columnsOf } from '../contract/derive.js';
import {
  type CaseSummary,
  type CaseWrite,
  StaleVersion,
  type StoredCase,
  versionOf,
} from '../contract/index.js';

export type Q = postgres.ISql;
// records are JSON by construction; postgres.js' JSONValue type does not know our interfaces
export const json = (q: Q, v: unknown) => q.json(v as postgres.JSONValue);
export const iso = (d: Date | string | null | undefined) =>
  d === null || d === undefined ? undefined : d instanceof Date ? d.toISOString() : d;

export interface CaseRow {
  doc: Omit<CaseRecord, 'history'>;
  version: number;
  history_length: number;
}

/** The row's document (a fresh object from the driver: completed in place, not copied). */
export function summary(r: CaseRow): CaseSummary {
  const s = r.doc as CaseSummary;
  s.version = r.version;
  s.historyLength = r.history_length;
  return s;
}

/** The row of `cases` for this record: the record without history plus every indexed column. */
export function caseRow(q: Q, c: CaseRecord) {
  const col = columnsOf(c);
  const { history, ...doc } = c;
  return {
    id: c.id,
    version: versionOf(c),
    state: c.state,
    category: c.category,
    source: c.source,
    case_number: c.caseNumber ?? null,
    unit_id: c.unitId ?? null,
    resp_unit: col.respUnit ?? null,
    grid_code: c.location.gridCode ?? null,
    reporter_id: c.reporter.id,
    collector_id: c.reporter.collectorId ?? null,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    deadline: c.deadline ?? null,
    closed_at: c.closedAt ?? null,
    registered_at: col.registeredAt ?? null,
    on_time: c.evaluation?.onTime ?? null,
    reworks: c.counts.reworks,
    returns: c.counts.returns,
    is_open: col.open,
    with_unit: col.withUnit,
    cell_y: col.cellY ?? null,
    cell_x: col.cellX ?? null,
    device_id: c.refs.deviceId ?? null,
    zone_id: c.refs.zoneId ?? null,
    history_length: history.length,
    doc: json(q, doc),
  };
}

/** `case_history` rows of the entries after `afterSeq`. */
export function historyRows(q: Q, c: CaseRecord, afterSeq: number) {
  return c.history
    .filter((h) => h.seq > afterSeq)
    .map((h) => ({ case_id: c.id, seq: h.seq, at: h.at, action: h.action, entry: json(q, h) }));
}

/** `case_evidence` rows: every evidence object name the case carries. */
export function evidenceRows(c: CaseRecord) {
  return [...new Set([...c.evidence, ...c.verificationEvidence].map((e) => e.name))].map((name) => ({
    name,
    case_id: c.id,
  }));
}

/** The stored row a write is checked against (`undefined`: no such case). */
export interface StoredRow {
  version: number;
  history_length: number;
}

/** Why this write may not replace the stored row: read at another version, or appends no history. */
export function refusalOf(w: CaseWrite, stored: StoredRow | undefined): Error | undefined {
  const version = versionOf(w.case);
  if (w.expectedVersion === 0 ? stored !== undefined : stored?.version !== w.expectedVersion)
    return new StaleVersion(w.case.id, w.expectedVersion, stored?.version);
  if (version <= w.expectedVersion || w.case.history.length <= (stored?.history_length ?? 0))
    return new Error(
      `case ${w.case.id}: a change must append history (version ${w.expectedVersion} → ${version})`,
    );
  return undefined;
}

/** Cases with their history, one record of its own per id asked (a caller may change it). */
export async function readCases(q: Q, ids: string[]): Promise<(StoredCase | undefined)[]> {
  const uniq = [...new Set(ids)];
  const [rows, history] = await Promise.all([
    q<{ id: string; doc: Omit<CaseRecord, 'history'>; version: number }[]>`
      select id, doc, version from cases where id = any(${uniq})`,
    q<{ case_id: string; entry: HistoryEntry }[]>`
      select case_id, entry from case_history where case_id = any(${uniq}) order by case_id, seq`,
  ]);
  const entries = groupBy(history, (h) => h.case_id);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const r = byId.get(id);
    return (
      r && {
        case: { ...r.doc, history: (entries.get(id) ?? []).map((h) => h.entry) } as CaseRecord,
        version: r.version,
      }
    );
  });
}

/** For each evidence object name, the ids of the cases that carry it, in id order. */
export async function casesByEvidence(q: Q, names: string[]): Promise<string[][]> {
  const rows = await q<{ name: string; case_id: string }[]>`
    select name, case_id from case_evidence where name = any(${[...new Set(names)]}) order by case_id`;
  const byName = groupBy(rows, (r) => r.name);
  return names.map((n) => (byName.get(n) ?? []).map((r) => r.case_id));
}

/** Take `n` case numbers of a local day from its counter row (locked until the commit); the last one. */
export async function reserveCaseNumbers(q: Q, day: string, n: number): Promise<number> {
  const [r] = await q<{ seq: number }[]>`
    insert into case_numbers (day, seq) values (${day}, ${n})
    on conflict (day) do update set seq = case_numbers.seq + ${n} returning seq`;
  return r!.seq;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const list = m.get(key(t));
    if (list) list.push(t);
    else m.set(key(t), [t]);
  }
  return m;
}
