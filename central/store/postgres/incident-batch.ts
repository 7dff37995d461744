/**
 * @module central/store/postgres/incident-batch
 * Incident revisions applied a batch at a time: the revisions waiting on one instance go into
 * one transaction, and every step is one statement for the whole batch instead of one per
 * revision: the incidents' locks and rows, each round of the builds' reads (cases, evidence
 * names, duplicate searches), the day's case numbers (one counter update), and one multi-row
 * write per table. A revision costs a share of ~15 round trips instead of ~15 of its own.
 *
 * The outcome is the one the revisions would have had applied one after the other, in batch
 * order: each build sees what is stored; a new case's duplicate search is completed with the
 * cases made before it in the batch (`isDuplicateCandidate`, the test the search itself
 * applies); a revision whose change would collide with an earlier one in the batch (the same
 * case, an evidence name another gateway cites) is deferred to the next batch, where it sees
 * that change. Locks are taken in one global order (incidents, then duplicate scopes, each
 * sorted; then the counter row; then case rows by id), so batches of two instances wait for
 * each other but never in a circle. Anything else that fails the transaction as a whole (a
 * deadlock with an operator's merge, a database rule, a change the batch does not carry) sends
 * its revisions to the one-at-a-time path, where each meets its own outcome; PostgreSQL gone
 * fails them all at once (PgCases), so nothing waits on a server that is not there.
 *
 * Case numbers stay without gaps, except where a revision took one and was then deferred (a
 * second gateway citing the first's evidence name in the same batch: refused in the next).
 */
import type { CaseRecord, IncidentRecord } from '../../cases/model.js';
import { isDuplicateCandidate } from '../contract/derive.js';
import {
  type CaseChange,
  type DuplicateQuery,
  IncidentOwnedElsewhere,
  type IncidentView,
  type RevisionKey,
  versionOf,
} from '../contract/index.js';
import { duplicateScopes, lockAll, searchAll } from './duplicates.js';
import {
  caseRow,
  casesByEvidence,
  evidenceRows,
  historyRows,
  json,
  type Q,
  readCases,
  refusalOf,
  reserveCaseNumbers,
  type StoredRow,
} from './rows.js';

/** at most this many revisions per transaction (a case row is 27 parameters: far below 65,534) */
export const MAX_BATCH = 200;

export interface BatchRevision {
  key: RevisionKey;
  build: (view: IncidentView) => Promise<CaseChange>;
}

export type BatchOutcome =
  | { kind: 'applied'; change: CaseChange }
  | { kind: 'duplicate' }
  | { kind: 'failed'; error: unknown }
  /** not applied in this batch: the next one applies it (after the change it collided with) */
  | { kind: 'deferred' };

/** A change the batch cannot carry: the whole batch goes to the one-at-a-time path. */
class NotBatchable extends Error {}

/**
 * Answers the loads made in one turn of the event loop with one query: the builds of a batch run
 * side by side, so each round of their reads (every build's first evidence lookup, then every
 * build's duplicate search, …) is one statement.
 */
class Loader<K, V> {
  #waiting: { key: K; resolve(v: V): void; reject(e: unknown): void }[] = [];
  constructor(private readonly fetch: (keys: K[]) => Promise<V[]>) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      if (!this.#waiting.length) setImmediate(() => void this.#flush());
      this.#waiting.push({ key, resolve, reject });
    });
  }

  async #flush(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = [];
    try {
      const values = await this.fetch(waiting.map((w) => w.key));
      for (const [i, w] of waiting.entries()) w.resolve(values[i]!);
    } catch (e) {
      for (const w of waiting) w.reject(e);
    }
  }
}

/**
 * The day's case numbers for a batch: one counter update reserves as many as the batch has
 * revisions, handed out in the order asked; the unused tail is given back before the commit
 * (the row stays locked until then), so numbers stay gapless.
 */
class DayNumbers {
  readonly #days = new Map<string, Promise<{ next: number; last: number }>>();
  constructor(
    private readonly q: Q,
    private readonly reserve: number,
  ) {}

  async next(day: string): Promise<number> {
    let range = this.#days.get(day);
    if (!range) {
      range = reserveCaseNumbers(this.q, day, this.reserve).then((last) => ({
        next: last - this.reserve + 1,
        last,
      }));
      this.#days.set(day, range);
    }
    const r = await range;
    if (r.next > r.last)
      throw new NotBatchable(`more case numbers of ${day} asked than revisions in the batch`);
    return r.next++;
  }

  async giveBack(): Promise<void> {
    for (const [day, range] of this.#days) {
      const r = await range;
      if (r.next <= r.last)
        await this.q`update case_numbers set seq = seq - ${r.last - r.next + 1} where day = ${day}`;
    }
  }
}

/** The evidence names this revision cites (what `foreignEvidence` checks). */
const citedBy = (ch: CaseChange, rev: number) =>
  ch.incident?.revisions.find((r) => r.rev === rev)?.evidence ?? [];

/** Apply a batch of revisions (of distinct incidents) inside the caller's transaction. */
export async function applyRevisions(tx: Q, batch: BatchRevision[]): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = batch.map(() => ({ kind: 'deferred' }));
  const ids = [...new Set(batch.map((b) => b.key.incidentId))];
  await lockAll(
    tx,
    ids,
    ids.map(() => true),
  );
  const stored = new Map(
    (
      await tx<{ id: string; doc: IncidentRecord }[]>`select id, doc from incidents where id = any(${ids})`
    ).map((r) => [r.id, r.doc]),
  );
  const toBuild: number[] = [];
  const seen = new Set<string>();
  batch.forEach(({ key }, i) => {
    // a second revision of one incident waits for the next batch, where it sees the first
    if (seen.has(key.incidentId)) return;
    seen.add(key.incidentId);
    const incident = stored.get(key.incidentId);
    if (incident && incident.gatewayId !== key.gatewayId)
      outcomes[i] = {
        kind: 'failed',
        error: new IncidentOwnedElsewhere(key.incidentId, incident.gatewayId, key.gatewayId),
      };
    else if (incident?.revs.includes(key.rev)) outcomes[i] = { kind: 'duplicate' };
    else toBuild.push(i);
  });

  const cases = new Loader((keys: string[]) => readCases(tx, keys));
  const evidence = new Loader((names: string[]) => casesByEvidence(tx, names));
  const searches = new Loader(async (ds: DuplicateQuery[]) => {
    const { keys, exclusive } = duplicateScopes(ds);
    await lockAll(tx, keys, exclusive);
    return searchAll(tx, ds);
  });
  const numbers = new DayNumbers(tx, toBuild.length);
  /** each build's duplicate search, by its index in the batch */
  const searched = new Map<number, DuplicateQuery>();
  const built = await Promise.allSettled(
    toBuild.map((i) =>
      batch[i]!.build({
        incident: stored.get(batch[i]!.key.incidentId),
        getCase: (id) => cases.load(id),
        duplicateCandidates: (d) => {
          searched.set(i, d);
          return searches.load(d);
        },
        byEvidence: (name) => evidence.load(name),
        nextCaseSequence: (day) => numbers.next(day),
      }),
    ),
  );

  // in batch order: refuse what a build refused, defer what collides with an earlier change
  const fail = (i: number, error: unknown) => {
    outcomes[i] = { kind: 'failed', error };
  };
  const writing = new Set<string>();
  const citedFor = new Map<string, string>();
  const taken: { i: number; ch: CaseChange }[] = [];
  for (const [n, i] of toBuild.entries()) {
    const r = built[n]!;
    const { key } = batch[i]!;
    if (r.status === 'rejected') {
      fail(i, r.reason);
      continue;
    }
    const ch = r.value;
    if (ch.claims?.length || ch.idempotency)
      throw new NotBatchable('a change with claims or an idempotency key');
    if (!ch.incident?.revs.includes(key.rev)) {
      fail(i, new Error(`incident ${key.incidentId} rev ${key.rev}: the change must record the revision`));
      continue;
    }
    const names = citedBy(ch, key.rev);
    const collides =
      ch.cases.some((w) => writing.has(w.case.id)) ||
      names.some((name) => (citedFor.get(name) ?? key.gatewayId) !== key.gatewayId);
    if (collides) continue; // deferred
    for (const w of ch.cases) writing.add(w.case.id);
    for (const name of names) citedFor.set(name, key.gatewayId);
    taken.push({ i, ch });
  }

  // every case at the version its build read (operators write too), rows locked in id order
  const current = new Map(
    (
      await tx<(StoredRow & { id: string })[]>`
        select id, version, history_length from cases where id = any(${[...writing]}) order by id for update`
    ).map((r) => [r.id, r]),
  );
  const applied: { i: number; ch: CaseChange }[] = [];
  for (const t of taken) {
    const refusal = t.ch.cases.map((w) => refusalOf(w, current.get(w.case.id))).find((e) => e);
    if (refusal) fail(t.i, refusal);
    else {
      outcomes[t.i] = { kind: 'applied', change: t.ch };
      applied.push(t);
    }
  }

  // a new case's duplicate search, completed with the cases made before it in this batch
  const made: CaseRecord[] = [];
  for (const { i, ch } of applied) {
    const d = searched.get(i);
    const target = d && ch.cases.find((w) => w.expectedVersion === 0 && w.case.id === d.excludeId)?.case;
    if (d && target) {
      const earlier = made.filter((c) => isDuplicateCandidate(c, d)).map((c) => c.id);
      if (earlier.length)
        target.duplicateCandidates = [...new Set([...earlier, ...target.duplicateCandidates])]
          .sort()
          .reverse()
          .slice(0, d.limit);
    }
    for (const w of ch.cases) if (w.expectedVersion === 0) made.push(w.case);
  }

  await numbers.giveBack();
  const changes = applied.map((a) => a.ch);
  const writes = changes.flatMap((ch) => ch.cases);
  if (!writes.length) return outcomes;
  const rows = writes.map((w) => caseRow(tx, w.case));
  const columns = Object.keys(rows[0]!).filter((c) => c !== 'id');
  const history = writes.flatMap((w) => historyRows(tx, w.case, current.get(w.case.id)?.history_length ?? 0));
  const names = writes.flatMap((w) => evidenceRows(w.case));
  const incidents = changes.map((ch) => ch.incident!);
  // one statement per table, sent together
  await Promise.all([
    tx`insert into cases ${tx(rows)} on conflict (id) do update
       set (${tx(columns)}) = (${tx(columns.map((c) => `excluded.${c}`))})`,
    tx`insert into case_history ${tx(history)}`,
    names.length ? tx`insert into case_evidence ${tx(names)} on conflict do nothing` : undefined,
    tx`insert into notifications ${tx(writes.map((w) => ({ case_id: w.case.id, version: versionOf(w.case), state: w.case.state })))}`,
    tx`insert into incidents ${tx(
      incidents.map((i) => ({
        id: i.id,
        gateway_id: i.gatewayId,
        case_id: i.caseId,
        first_seen_at: i.firstSeenAt,
        doc: json(tx, i),
      })),
    )} on conflict (id) do update set case_id = excluded.case_id, doc = excluded.doc`,
    tx`insert into incident_revisions ${tx(
      incidents.flatMap((i) =>
        i.revisions.map((r) => ({
          incident_id: i.id,
          rev: r.rev,
          lifecycle: r.lifecycle,
          received_at: r.receivedAt,
        })),
      ),
    )} on conflict do nothing`,
  ]);
  return outcomes;
}
