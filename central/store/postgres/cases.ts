/**
 * @module central/store/postgres/cases
 * Cases, their append-only history, evidence names, incidents and their revisions, idempotency
 * keys and the notification outbox in PostgreSQL. A case row holds the record without its
 * history (jsonb) plus the columns every filter and index needs; history entries are rows keyed
 * (case, seq). One change = one transaction: each case updated only at the version it was read
 * (`where version = $expected`, else `StaleVersion` and nothing is written), its new history
 * rows, its evidence names, one notification per case, the incident and the idempotency record.
 * Incident revisions are applied under `pg_advisory_xact_lock` on the incident id, so two
 * instances given revisions of one incident apply them one after the other, each once; the
 * revisions waiting on one instance are applied a batch per transaction (incident-batch.ts).
 */

import type postgres from 'postgres';
import type { CaseRecord, HistoryEntry, IdempotencyRecord, IncidentRecord } from '../../cases/model.js';
import type { DashboardAggregate, DashboardWindow } from '../../console/dashboard.js';
import type { ModelCaseCount } from '../../models/routes.js';
import { KeyedChain } from '../contract/chain.js';
import { Duplicate } from '../contract/errors.js';
import {
  type CaseChange,
  type CaseFilter,
  type CasePage,
  type CaseRepository,
  type CaseSummary,
  type DuplicateQuery,
  type IdempotencyRepository,
  type IncidentBatchStats,
  IncidentOwnedElsewhere,
  type IncidentView,
  type Notification,
  type NotificationOutbox,
  type Page,
  PREDECESSOR_GIVE_UP_MS,
  PredecessorPending,
  type RevisionKey,
  StaleVersion,
  type StoredCase,
  versionOf,
} from '../contract/index.js';
import { aiCasesByModel, dashboardAggregate } from './dashboard.js';
import { duplicateCandidates, lockDuplicateScope } from './duplicates.js';
import { isConnectionError } from './errors.js';
import { applyRevisions, type BatchOutcome, type BatchRevision, MAX_BATCH } from './incident-batch.js';
import {
  type CaseRow,
  caseRow,
  casesByEvidence,
  evidenceRows,
  historyRows,
  iso,
  json,
  type Q,
  readCases,
  refusalOf,
  reserveCaseNumbers,
  type StoredRow,
  summary,
} from './rows.js';

/** a revision waiting for its batch, and how to tell its caller the outcome */
type Waiting = BatchRevision & { resolve(o: 'applied' | 'duplicate'): void; reject(e: unknown): void };

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/** The filter as SQL conditions (every one has an index, see migrations.ts). */
function where(q: Q, f: CaseFilter) {
  const v = f.visibleTo;
  // only the conditions the filter has: every fragment costs the driver work on every query
  const parts = [
    v &&
      q`(${v.unitId === undefined ? q`false` : q`unit_id = ${v.unitId}`} or ${v.reporterId === undefined ? q`false` : q`reporter_id = ${v.reporterId}`})`,
    f.states && (f.states.length ? q`state in ${q(f.states)}` : q`false`),
    f.unitId && q`unit_id = ${f.unitId}`,
    f.gridCode && q`grid_code = ${f.gridCode}`,
    f.category && q`category = ${f.category}`,
    f.sources && (f.sources.length ? q`source in ${q(f.sources)}` : q`false`),
    f.reporterId && q`reporter_id = ${f.reporterId}`,
    f.collectorId && q`collector_id = ${f.collectorId}`,
    f.createdFrom && q`created_at >= ${f.createdFrom}::timestamptz`,
    f.createdTo && q`created_at < ${f.createdTo}::timestamptz`,
    f.overdueAt && q`with_unit and deadline < ${f.overdueAt}::timestamptz`,
    f.notOverdueAt && q`not (with_unit and coalesce(deadline < ${f.notOverdueAt}::timestamptz, false))`,
    f.caseNumberPrefix && q`case_number like ${`${likeEscape(f.caseNumberPrefix)}%`}`,
    f.text &&
      q`(case_number ilike ${`%${likeEscape(f.text)}%`} or doc->'location'->>'address' ilike ${`%${likeEscape(f.text)}%`}
          or doc->>'description' ilike ${`%${likeEscape(f.text)}%`})`,
    f.before && q`id < ${f.before}`,
  ].filter((p) => !!p);
  if (!parts.length) return q``;
  return parts.slice(1).reduce((a, b) => q`${a} and ${b}`, q`where ${parts[0]}`);
}

async function getCase(q: Q, id: string): Promise<StoredCase | undefined> {
  return (await readCases(q, [id]))[0];
}

async function byEvidence(q: Q, name: string): Promise<string[]> {
  return (await casesByEvidence(q, [name]))[0]!;
}

async function writeCase(q: Q, c: CaseRecord, expected: number): Promise<number> {
  const version = versionOf(c);
  const { id: _id, ...values } = caseRow(q, c);
  // history rows go after the stored ones (a close appends two entries under one version)
  let storedHistory = 0;
  if (expected === 0) {
    const refused = refusalOf({ case: c, expectedVersion: 0 }, undefined);
    if (refused) throw refused;
    const ins = await q`insert into cases ${q({ id: c.id, ...values })} on conflict (id) do nothing`;
    if (ins.count === 0) {
      const [cur] = await q<{ version: number }[]>`select version from cases where id = ${c.id}`;
      throw new StaleVersion(c.id, expected, cur?.version);
    }
  } else {
    const [cur] = await q<StoredRow[]>`
      select version, history_length from cases where id = ${c.id} for update`;
    const refused = refusalOf({ case: c, expectedVersion: expected }, cur);
    if (refused) throw refused;
    storedHistory = cur!.history_length;
    await q`update cases set ${q(values)} where id = ${c.id}`;
  }
  const added = historyRows(q, c, storedHistory);
  if (added.length) await q`insert into case_history ${q(added)}`;
  const names = evidenceRows(c);
  if (names.length) await q`insert into case_evidence ${q(names)} on conflict do nothing`;
  await q`insert into notifications (case_id, version, state) values (${c.id}, ${version}, ${c.state})`;
  return version;
}

/** Refuse uploads another case cites already; the lock per name serialises two claims of one. */
async function claim(q: Q, names: string[], writing: string[]): Promise<void> {
  for (const name of [...new Set(names)].sort()) {
    await q`select pg_advisory_xact_lock(hashtextextended(${`evidence:${name}`}, 0))`;
    const [other] = await q`
      select 1 from case_evidence where name = ${name} and not (case_id = any(${writing})) limit 1`;
    if (other) throw new Duplicate('evidence', name);
  }
}

async function writeIncident(q: Q, i: IncidentRecord): Promise<void> {
  await q`
    insert into incidents (id, gateway_id, case_id, first_seen_at, doc)
    values (${i.id}, ${i.gatewayId}, ${i.caseId}, ${i.firstSeenAt}::timestamptz, ${json(q, i)})
    on conflict (id) do update set case_id = excluded.case_id, doc = excluded.doc`;
  await q`insert into incident_revisions ${q(
    i.revisions.map((r) => ({
      incident_id: i.id,
      rev: r.rev,
      lifecycle: r.lifecycle,
      received_at: r.receivedAt,
    })),
  )} on conflict do nothing`;
}

/** Everything of one change, inside the caller's transaction. */
export async function commitIn(q: Q, ch: CaseChange): Promise<void> {
  if (ch.claims?.length)
    await claim(
      q,
      ch.claims,
      ch.cases.map((w) => w.case.id),
    );
  for (const w of ch.cases) await writeCase(q, w.case, w.expectedVersion);
  if (ch.incident) await writeIncident(q, ch.incident);
  const k = ch.idempotency;
  if (k) {
    const ins = await q`
      insert into idempotency (key, user_id, request_sha256, status, case_id, at, expires_at)
      values (${k.key}, ${k.userId}, ${k.requestSha256}, ${k.status}, ${k.caseId}, ${k.at}::timestamptz,
              ${k.expiresAt}::timestamptz)
      on conflict (key) do nothing`;
    if (ins.count === 0) throw new Duplicate('idempotency-key', k.key);
  }
}

/** how long a revision waits for the one before it (another instance may be applying it) */
const PREDECESSOR_WAIT_MS = 5000;
const PREDECESSOR_POLL_MS = 250;

export class PgCases implements CaseRepository {
  readonly #chain = new KeyedChain();
  /** revisions handed to this instance and not yet applied, per incident and rev */
  readonly #pending = new Map<string, Map<number, Promise<unknown>>>();
  /** counts of list filters running now, by filter */
  readonly #counting = new Map<string, Promise<number>>();
  /** revisions whose turn came (their incident's previous one is applied), for the next batch */
  readonly #waiting: Waiting[] = [];
  #batching = false;
  readonly batchStats: IncidentBatchStats = { batches: 0, revisions: 0, fallbacks: 0 };
  constructor(
    private readonly sql: postgres.Sql,
    /** told each committed change, after its transaction committed */
    private readonly committed: (ch: CaseChange) => void = () => {},
    /**
     * the connection incident batches run on, with the driver's pipeline: a batch's statements
     * are sent without waiting for each other's answers (the shared pool sends one at a time)
     */
    private readonly batchSql: postgres.Sql,
  ) {}

  get(id: string): Promise<StoredCase | undefined> {
    return getCase(this.sql, id);
  }

  async list(f: CaseFilter, p: Page): Promise<CasePage> {
    const q = this.sql;
    const w = where(q, f);
    const states = f.states ?? [];
    // several states (a work queue): the newest of each state from its own (state, id) index,
    // merged; one `state in (…)` scan walks the id index past every case in other states
    const page =
      states.length > 1
        ? q<CaseRow[]>`
          select doc, version, history_length from (${states
            .map(
              (s) =>
                q`(select id, doc, version, history_length from cases ${where(q, { ...f, states: [s] })}
                   order by id desc limit ${p.offset + p.limit})`,
            )
            .reduce((a, b) => q`${a} union all ${b}`)}) per_state
          order by id desc offset ${p.offset} limit ${p.limit}`
        : q<CaseRow[]>`
          select doc, version, history_length from cases ${w} order by id desc offset ${p.offset} limit ${p.limit}`;
    const [total, rows] = await Promise.all([this.#count(f, w), page]);
    return { total, items: rows.map(summary) };
  }

  /**
   * The filter's total. Counting a year's cases reads the whole index (16-22 ms at 240k), so a
   * list asked while the same count is already running shares that count instead of starting
   * another: under 200 connections on one list the database counts once at a time, and a total
   * is at most one count's time older than the page beside it.
   */
  #count(f: CaseFilter, w: ReturnType<typeof where>): Promise<number> {
    const key = JSON.stringify(f);
    const running = this.#counting.get(key);
    if (running) return running;
    const counted = (async () => {
      const [{ total }] = await this.sql<{ total: number }[]>`select count(*)::int as total from cases ${w}`;
      return total;
    })().finally(() => this.#counting.delete(key));
    this.#counting.set(key, counted);
    return counted;
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.sql<{ state: string; n: number }[]>`
      select state, count(*)::int as n from cases group by state`;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  dashboard(w: DashboardWindow): Promise<DashboardAggregate> {
    return dashboardAggregate(this.sql, w);
  }

  aiCasesByModel(): Promise<ModelCaseCount[]> {
    return aiCasesByModel(this.sql);
  }

  byEvidence(name: string): Promise<string[]> {
    return byEvidence(this.sql, name);
  }

  duplicateCandidates(q: DuplicateQuery): Promise<CaseSummary[]> {
    return duplicateCandidates(this.sql, q);
  }

  async history(caseId: string, afterSeq = 0): Promise<HistoryEntry[]> {
    const rows = await this.sql<{ entry: HistoryEntry }[]>`
      select entry from case_history where case_id = ${caseId} and seq > ${afterSeq} order by seq`;
    return rows.map((r) => r.entry);
  }

  async commit(ch: CaseChange): Promise<void> {
    await this.sql.begin((tx) => commitIn(tx, ch));
    this.committed(ch);
  }

  async applyIncident(
    key: RevisionKey,
    build: (view: IncidentView) => Promise<CaseChange>,
  ): Promise<'applied' | 'duplicate'> {
    // the revision before this one handed to this instance: wait for it; else it may be on
    // another instance: wait until it is stored (or a while). Then in arrival order, under the lock.
    const here = this.#pending.get(key.incidentId) ?? new Map<number, Promise<unknown>>();
    this.#pending.set(key.incidentId, here);
    const before = here.get(key.rev - 1);
    // (if that one failed — PostgreSQL away — it is not stored: check as for another instance's)
    const gate = before
      ? before.then(
          () => {},
          () => this.#predecessor(key),
        )
      : this.#predecessor(key);
    const run = gate.then(() => this.#chain.run(key.incidentId, () => this.#batched(key, build)));
    here.set(key.rev, run);
    return run.finally(() => {
      if (here.get(key.rev) === run) here.delete(key.rev);
      if (!here.size && this.#pending.get(key.incidentId) === here) this.#pending.delete(key.incidentId);
    });
  }

  /**
   * The revisions of one incident may reach different instances: before applying rev n, give
   * rev n-1 a moment to commit on the other one, so revisions apply in order. One that never
   * comes (dropped by the gateway's outbox) only delays this one by `PREDECESSOR_WAIT_MS`.
   */
  async #predecessor(key: RevisionKey): Promise<void> {
    if (key.rev === 0) return;
    for (let waited = 0; waited < PREDECESSOR_WAIT_MS; waited += PREDECESSOR_POLL_MS) {
      const [r] = await this.sql`
        select 1 from incident_revisions where incident_id = ${key.incidentId} and rev in (${key.rev - 1}, ${key.rev})
        limit 1`;
      if (r) return;
      await new Promise((res) => setTimeout(res, PREDECESSOR_POLL_MS));
    }
    // still missing: a central killed while holding it gives it back only after the ack wait, so
    // refuse this one (it comes back) rather than apply it first; one the gateway never sent
    // stops this only until the give-up age
    if (key.storedAt && Date.now() - Date.parse(key.storedAt) < PREDECESSOR_GIVE_UP_MS)
      throw new PredecessorPending(key.incidentId, key.rev);
  }

  /**
   * Apply in the next batch (incident-batch.ts): one batch runs at a time; the revisions that
   * came meanwhile, or in the same turn of the event loop, make up the next.
   */
  #batched(
    key: RevisionKey,
    build: (view: IncidentView) => Promise<CaseChange>,
  ): Promise<'applied' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ key, build, resolve, reject });
      this.#nextBatch();
    });
  }

  #nextBatch(): void {
    if (this.#batching || !this.#waiting.length) return;
    this.#batching = true;
    setImmediate(() => {
      const batch = this.#waiting.splice(0, MAX_BATCH);
      void this.#runBatch(batch).finally(() => {
        this.#batching = false;
        this.#nextBatch();
      });
    });
  }

  async #runBatch(batch: Waiting[]): Promise<void> {
    let outcomes: BatchOutcome[];
    try {
      outcomes = await this.batchSql.begin((tx) => applyRevisions(tx, batch));
    } catch (e) {
      // PostgreSQL away: every revision of the batch fails with it now (the consumer naks, and
      // the store's guard learns the server is gone and answers 503 at once). Alone they would
      // only wait: the driver holds new queries until the server is back.
      if (isConnectionError(e)) {
        for (const b of batch) b.reject(e);
        return;
      }
      this.batchStats.fallbacks++;
      // the batch as a whole failed otherwise (a deadlock, a database rule, a change it cannot
      // carry): alone, each revision meets its own outcome
      await Promise.all(batch.map((b) => this.#applyOne(b.key, b.build).then(b.resolve, b.reject)));
      return;
    }
    this.batchStats.batches++;
    this.batchStats.revisions += batch.length;
    const deferred: Waiting[] = [];
    outcomes.forEach((o, i) => {
      const b = batch[i]!;
      if (o.kind === 'applied') {
        this.committed(o.change);
        b.resolve('applied');
      } else if (o.kind === 'duplicate') b.resolve('duplicate');
      else if (o.kind === 'failed') b.reject(o.error);
      else deferred.push(b);
    });
    this.#waiting.unshift(...deferred);
  }

  /** One revision in a transaction of its own (what a failed batch falls back to). */
  async #applyOne(
    key: RevisionKey,
    build: (view: IncidentView) => Promise<CaseChange>,
  ): Promise<'applied' | 'duplicate'> {
    let applied: CaseChange | undefined;
    const outcome = await this.sql.begin(async (tx) => {
      // per-incident order across instances: the second waits here until the first committed
      await tx`select pg_advisory_xact_lock(hashtextextended(${key.incidentId}, 0))`;
      const [inc] = await tx<
        { doc: IncidentRecord }[]
      >`select doc from incidents where id = ${key.incidentId}`;
      const incident = inc?.doc;
      if (incident && incident.gatewayId !== key.gatewayId)
        throw new IncidentOwnedElsewhere(key.incidentId, incident.gatewayId, key.gatewayId);
      if (incident?.revs.includes(key.rev)) return 'duplicate' as const;
      const change = await build({
        incident,
        getCase: (id) => getCase(tx, id),
        duplicateCandidates: async (d) => {
          await lockDuplicateScope(tx, d);
          return duplicateCandidates(tx, d);
        },
        byEvidence: (name) => byEvidence(tx, name),
        nextCaseSequence: (day) => reserveCaseNumbers(tx, day, 1),
      });
      if (!change.incident?.revs.includes(key.rev))
        throw new Error(`incident ${key.incidentId} rev ${key.rev}: the change must record the revision`);
      await commitIn(tx, change);
      applied = change;
      return 'applied' as const;
    });
    if (applied) this.committed(applied);
    return outcome;
  }

  async getIncident(id: string): Promise<IncidentRecord | undefined> {
    const [r] = await this.sql<{ doc: IncidentRecord }[]>`select doc from incidents where id = ${id}`;
    return r?.doc;
  }

  nextCaseSequence(day: string): Promise<number> {
    return reserveCaseNumbers(this.sql, day, 1);
  }
}

export class PgIdempotency implements IdempotencyRepository {
  constructor(private readonly sql: postgres.Sql) {}

  async get(key: string, now: Date): Promise<IdempotencyRecord | undefined> {
    const [r] = await this.sql<
      { key: string; user_id: string; request_sha256: string; status: number; case_id: string; at: Date }[]
    >`select * from idempotency where key = ${key} and expires_at > ${now.toISOString()}::timestamptz`;
    return r
      ? {
          key: r.key,
          userId: r.user_id,
          requestSha256: r.request_sha256,
          status: r.status,
          caseId: r.case_id,
          at: iso(r.at)!,
        }
      : undefined;
  }

  async purgeExpired(now: Date): Promise<number> {
    const r = await this.sql`delete from idempotency where expires_at <= ${now.toISOString()}::timestamptz`;
    return r.count;
  }
}

export class PgNotifications implements NotificationOutbox {
  constructor(private readonly sql: postgres.Sql) {}

  async after(afterSeq: number, limit: number): Promise<Notification[]> {
    const rows = await this.sql<{ seq: string; at: Date; case_id: string; version: number; state: string }[]>`
      select * from notifications where seq > ${afterSeq} order by seq limit ${limit}`;
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: iso(r.at)!,
      caseId: r.case_id,
      version: r.version,
      state: r.state,
    }));
  }

  async trim(uptoSeq: number): Promise<number> {
    return (await this.sql`delete from notifications where seq <= ${uptoSeq}`).count;
  }
}
