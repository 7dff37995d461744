/**
 * @module central/store/postgres/rows
 * Case records ↔ rows: a case row holds the record without its history (jsonb) plus the columns
 * every filter and index needs; history entries and evidence names are rows of their own.
 * Shared by the one-change writes (cases.ts), the incident batches and the bulk loader of the
 * benchmarks.
 */
import type postgres from 'postgres';
import type { CaseRecord } from '../../cases/model.js';
import { columnsOf } from '../contract/derive.js';
import { type CaseSummary, versionOf } from '../contract/index.js';

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
