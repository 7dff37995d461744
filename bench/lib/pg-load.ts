/**
 * @module bench/lib/pg-load
 * Stored cases into a PostgreSQL store the way one bulk-loads a database: secondary indexes
 * dropped, COPY of the rows the store itself writes (`caseRow`, `historyRows`, `evidenceRows`),
 * indexes built again, vacuumed and analysed (per-row index upkeep would make the load itself
 * the benchmark). `seedPostgres` generates a large store in chunks so a million cases never sit
 * in this process's memory at once.
 */
import type { CaseRecord } from '../../central/cases/model.js';
import type { PgStore } from '../../central/store/postgres/index.js';
import { caseRow, evidenceRows, historyRows } from '../../central/store/postgres/rows.js';
import { type GenOptions, generateCases } from './cases.js';
import { demoCity } from './central.js';

const DAY = 86_400_000;

/** One COPY text-format field. */
function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const text =
    typeof v === 'string'
      ? v
      : typeof v === 'boolean'
        ? v
          ? 't'
          : 'f'
        : typeof v === 'number'
          ? String(v)
          : JSON.stringify((v as { value?: unknown }).value ?? v);
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

async function copyRows(pg: PgStore, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const out = await pg.sql.unsafe(`copy ${table} (${cols.join(', ')}) from stdin`).writable();
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve());
    out.on('error', reject);
  });
  for (let i = 0; i < rows.length; i += 1000)
    out.write(
      rows
        .slice(i, i + 1000)
        .map((r) => `${cols.map((c) => copyField(r[c])).join('\t')}\n`)
        .join(''),
    );
  out.end();
  await done;
}

async function copyCases(pg: PgStore, cases: readonly CaseRecord[]): Promise<void> {
  const q = pg.sql;
  await copyRows(
    pg,
    'cases',
    cases.map((c) => caseRow(q, c)),
  );
  await copyRows(
    pg,
    'case_history',
    cases.flatMap((c) => historyRows(q, c, 0)),
  );
  const ev = new Map<string, { name: string; case_id: string }>();
  for (const c of cases) for (const r of evidenceRows(c)) ev.set(`${r.name}|${r.case_id}`, r);
  await copyRows(pg, 'case_evidence', [...ev.values()]);
}

/** Load `chunks` of cases with the secondary indexes dropped, then rebuild and analyse. */
export async function bulkLoad(pg: PgStore, chunks: Iterable<readonly CaseRecord[]>): Promise<void> {
  const q = pg.sql;
  const indexes = await q<{ indexname: string; indexdef: string }[]>`
    select indexname, indexdef from pg_indexes
    where tablename in ('cases', 'case_history') and indexname not like '%_pkey'`;
  for (const i of indexes) await q.unsafe(`drop index ${i.indexname}`);
  for (const chunk of chunks) await copyCases(pg, chunk);
  for (const i of indexes) await q.unsafe(i.indexdef);
  // as autovacuum leaves a table that has been running a while: statistics, and the visibility
  // map that lets counts be answered from the indexes alone
  await q`vacuum analyze cases`;
  await q`vacuum analyze case_history`;
}

/**
 * `n` cases spanning `days` before `end`, as `generateCases` makes them, generated and loaded
 * 50,000 at a time (oldest first); the newest `reported` stay unconfirmed, the newest
 * `openDays` are still open.
 */
export async function seedPostgres(
  pg: PgStore,
  o: Omit<GenOptions, 'seed'> & { onChunk?: (loaded: number) => void },
): Promise<void> {
  const CHUNK = 50_000;
  const k = Math.max(1, Math.ceil(o.n / CHUNK));
  const span = o.days / k;
  let loaded = 0;
  function* chunks() {
    for (let i = 0; i < k; i++) {
      const n = Math.min(CHUNK, o.n - i * CHUNK);
      const last = i === k - 1;
      yield generateCases(demoCity(), {
        n,
        days: span,
        end: new Date(o.end.getTime() - (k - 1 - i) * span * DAY),
        reported: last ? Math.min(n, o.reported) : 0,
        // only the newest chunk's cases are young enough to be open
        openDays: last ? o.openDays : 0,
        seed: i + 1,
      });
      loaded += n;
      o.onChunk?.(loaded);
    }
  }
  await bulkLoad(pg, chunks());
}
