/**
 * @module central/cases/service
 * The case system's operations: open cases from edge incidents and from HTTP intake (with
 * idempotency keys), move them through the workflow table, answer queries with overdue
 * computed on read. Every change is one `store.commit`; callers answer after it resolves.
 * @example
 *   const svc = new CaseService({ store, city, attachments });
 *   await svc.act(caseId, 'register', { note: '属实' }, operator);
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Incident } from '../../protocol/index.js';
import type { Role, User } from '../auth/roles.js';
import { seesAll } from '../auth/roles.js';
import type { City } from '../city/index.js';
import { type AttachmentStore, alreadyCited, checkUpload } from '../evidence/attachments.js';
import { ProblemError } from '../http/problem.js';
import { RefusedMessage } from '../ingest/refused.js';
import type { CaseStore } from '../store/index.js';
import { ACTION_INPUTS, applyAction } from './actions.js';
import { nextCaseNumber } from './case-number.js';
import { incidentChange, liveCase } from './from-incident.js';
import type { Actor, CaseRecord, CaseSource, EvidenceItem } from './model.js';
import {
  addEvidence,
  addHistory,
  bumpVersion,
  findDuplicates,
  type NewCase,
  newCase,
  versionOf,
} from './records.js';
import { CASE_STATES, type CaseAction, checkTransition, isOpen } from './workflow.js';

const AttName = z.string().max(128);
export const IntakeInput = z.strictObject({
  source: z.enum(['collector', 'hotline_12345', 'citizen', 'wechat', 'leader']),
  category: z.string().regex(/^\d{2}\.\d{2}$/, 'category code "MM.SS"'),
  description: z.string().trim().min(1).max(2000),
  location: z
    .strictObject({
      lat: z.number().min(-90).max(90).optional(),
      lon: z.number().min(-180).max(180).optional(),
      address: z.string().max(256).optional(),
      gridCode: z
        .string()
        .regex(/^\d{15}$/, '15-digit grid code')
        .optional(),
    })
    .refine((l) => (l.lat === undefined) === (l.lon === undefined), 'lat and lon go together')
    .refine((l) => l.lat !== undefined || l.gridCode, 'a GPS position or a grid code is required'),
  photos: z.array(AttName).max(9).default([]),
  voiceNote: AttName.optional(),
  reporter: z
    .strictObject({ name: z.string().max(64).optional(), contact: z.string().max(64).optional() })
    .optional(),
  ticketNo: z.string().max(64).optional().describe('12345 ticket number or other external reference'),
});
export type IntakeInput = z.infer<typeof IntakeInput>;

/** Which sources each role may submit. */
const SOURCES_BY_ROLE: Record<Role, readonly CaseSource[]> = {
  collector: ['collector'],
  operator: ['hotline_12345', 'citizen', 'wechat', 'leader'],
  admin: ['collector', 'hotline_12345', 'citizen', 'wechat', 'leader'],
  leader: ['leader'],
  integration: ['hotline_12345', 'citizen', 'wechat'],
  unit_handler: [],
};

export interface CaseServiceOptions {
  store: CaseStore;
  city: City;
  attachments: AttachmentStore;
  /** reports of the same category within this distance of an open case are proposed as duplicates */
  duplicateMetres?: number;
  now?: () => Date;
}

export type CaseView = CaseRecord & {
  stateName: string;
  categoryName: string;
  unitName?: string;
  overdue: boolean;
};

/** A change against a version the client read, after the case moved on: 409 with the case as it is. */
export class StaleCaseError extends ProblemError {
  constructor(
    readonly current: CaseRecord,
    expected: number,
  ) {
    super(
      409,
      'stale-case',
      `case ${current.id} is at version ${versionOf(current)}, the change was made against ${expected}; reload it`,
      { version: versionOf(current) },
    );
  }
}

export function actorOf(u: User): Actor {
  return { id: u.id, role: u.role, unitId: u.unitId };
}

export class CaseService {
  readonly store: CaseStore;
  readonly city: City;
  readonly #att: AttachmentStore;
  readonly #dupM: number;
  readonly now: () => Date;

  constructor(o: CaseServiceOptions) {
    this.store = o.store;
    this.city = o.city;
    this.#att = o.attachments;
    this.#dupM = o.duplicateMetres ?? 50;
    this.now = o.now ?? (() => new Date());
  }

  /**
   * Persist one incident revision; 'duplicate' when (id, rev) was seen before. A revision of an
   * incident another gateway opened throws `RefusedMessage` (the consumer dead-letters it).
   */
  async ingestIncident(inc: Incident): Promise<'created' | 'updated' | 'duplicate'> {
    const r = incidentChange(this.store, this.city, inc, this.now(), this.#dupM);
    if (r.kind === 'foreign') throw new RefusedMessage(r.reason);
    // seen before, but that commit may have failed (disk full) and be awaiting its retry: the
    // caller acks a duplicate too, so only once what memory holds is durable
    if (r.kind === 'duplicate') await this.store.durable();
    else await this.store.commit(r.changes);
    return r.kind;
  }

  /**
   * Attachments named in a request must exist, be uploaded by this user, and photos must be
   * images. Whether one is already cited is checked by `#uncited` right before the commit.
   */
  async #evidence(
    names: string[],
    want: 'photo' | 'voice' | 'any',
    role: string,
    user: User,
  ): Promise<EvidenceItem[]> {
    const at = this.now().toISOString();
    const out: EvidenceItem[] = [];
    for (const name of new Set(names)) {
      const info = await checkUpload(this.#att, name, want, user.id);
      out.push({
        name,
        contentType: info.contentType,
        role: want === 'any' ? info.kind : role,
        origin: 'upload',
        addedAt: at,
      });
    }
    return out;
  }

  /**
   * An upload is cited once, by one case or by something else that registered a check (bonus
   * items): checked synchronously before the commit.
   */
  #uncited(items: EvidenceItem[]): void {
    for (const e of items) {
      if (this.store.casesByEvidence(e.name).length) throw alreadyCited(e.name, 'a case');
      for (const other of this.#citations) {
        const by = other(e.name);
        if (by) throw alreadyCited(e.name, by);
      }
    }
  }

  readonly #citations: ((name: string) => string | undefined)[] = [];
  /** Another citer of uploads (scoring's bonus items): `check(name)` names what cites it, if anything. */
  addCitationCheck(check: (name: string) => string | undefined): void {
    this.#citations.push(check);
  }

  /** Validate place and category, make the case, propose duplicates. Shared by intake and Open311. */
  async openReport(n: NewCase, actor: Actor): Promise<CaseRecord> {
    if (!this.city.categories.has(n.category))
      throw new ProblemError(422, 'unknown-category', `unknown category ${n.category}`, {
        category: n.category,
      });
    const { lat, lon } = n.location;
    if (lat !== undefined && lon !== undefined) {
      const g = this.city.gridAt(lat, lon);
      if (!g)
        throw new ProblemError(
          422,
          'outside-grids',
          `position ${lat},${lon} is outside every grid of the city`,
        );
      n.location.gridCode = g.code;
    } else if (!n.location.gridCode || !this.city.grids.has(n.location.gridCode))
      throw new ProblemError(422, 'unknown-grid', `unknown grid ${n.location.gridCode}`);
    const c = newCase(this.city, n, actor, this.now());
    c.caseNumber = nextCaseNumber(this.store, this.city.calendar.utcOffsetMinutes, this.now());
    c.duplicateCandidates = findDuplicates(this.store.duplicateCandidates(c, this.#dupM), c, this.#dupM);
    return c;
  }

  /**
   * HTTP intake. With an idempotency key, the same key and body answer the first result again
   * and change nothing; the same key with another body is refused (409).
   */
  async intake(
    input: IntakeInput,
    user: User,
    idemKey?: string,
  ): Promise<{ status: number; case: CaseRecord; replayed: boolean }> {
    const requestSha256 = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    const key = idemKey ? `${user.id}:${idemKey}` : undefined;
    if (key) {
      const seen = this.store.getIdempotency(key);
      if (seen) {
        if (seen.requestSha256 !== requestSha256)
          throw new ProblemError(
            409,
            'idempotency-key-reused',
            `Idempotency-Key ${idemKey} was used for a different request`,
          );
        return { status: seen.status, case: this.store.getCase(seen.caseId)!, replayed: true };
      }
    }
    if (!SOURCES_BY_ROLE[user.role].includes(input.source))
      throw new ProblemError(
        403,
        'source-not-allowed',
        `role ${user.role} may not submit ${input.source} reports`,
      );
    const evidence = [
      ...(await this.#evidence(input.photos, 'photo', 'photo', user)),
      ...(await this.#evidence(input.voiceNote ? [input.voiceNote] : [], 'voice', 'voice', user)),
    ];
    const c = await this.openReport(
      {
        source: input.source,
        reporter: { id: user.id, role: user.role, collectorId: user.collectorId, ...input.reporter },
        refs: { ticketNo: input.ticketNo },
        category: input.category,
        description: input.description,
        location: { ...input.location },
        evidence,
      },
      actorOf(user),
    );
    const at = this.now().toISOString();
    this.#uncited(evidence);
    await this.store.commit({
      cases: [c],
      idempotency: key ? [{ key, userId: user.id, requestSha256, status: 201, caseId: c.id, at }] : [],
    });
    return { status: 201, case: c, replayed: false };
  }

  canSee(u: User, c: CaseRecord): boolean {
    if (seesAll(u.role)) return true;
    if (u.role === 'unit_handler') return !!u.unitId && c.unitId === u.unitId;
    return c.reporter.id === u.id;
  }

  get(id: string, u: User): CaseRecord {
    const c = this.store.getCase(id);
    if (!c) throw new ProblemError(404, 'case-not-found', `no case ${id}`);
    if (!this.canSee(u, c)) throw new ProblemError(403, 'forbidden', `case ${id} is not visible to you`);
    return c;
  }

  /** The case as it is now, and the transition the action makes from its state (or the problem). */
  #current(id: string, action: CaseAction, u: User) {
    const cur = this.store.getCase(id);
    if (!cur) throw new ProblemError(404, 'case-not-found', `no case ${id}`);
    if (u.role === 'unit_handler' && !this.canSee(u, cur))
      throw new ProblemError(403, 'not-your-unit', `case ${id} is not dispatched to your unit (${u.unitId})`);
    const chk = checkTransition(action, cur.state, { role: u.role, unitId: u.unitId }, cur.unitId);
    if (!chk.ok)
      throw new ProblemError(
        chk.status,
        chk.status === 409 ? 'illegal-transition' : 'forbidden',
        chk.reason,
        {
          state: cur.state,
          action,
        },
      );
    return { cur, to: chk.to };
  }

  /**
   * One workflow action: check the table, validate input, apply, record history, persist.
   * Everything awaited (attachment checks) happens first; the case is then read again and the
   * change made on that copy and committed without an await in between, so two concurrent
   * changes (or an edge revision) never overwrite each other. With `expectedVersion` (If-Match)
   * a change to a case that moved on since the client read it is refused: `StaleCaseError`.
   */
  async act(
    id: string,
    action: CaseAction,
    rawInput: unknown,
    u: User,
    expectedVersion?: number,
  ): Promise<CaseRecord> {
    this.#current(id, action, u);
    const parsed = ACTION_INPUTS[action].safeParse(rawInput ?? {});
    if (!parsed.success)
      throw new ProblemError(
        422,
        'invalid-input',
        parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
      );
    const input = parsed.data;
    const expected = expectedVersion ?? input.version;
    const attachments = await this.#evidence(
      input.attachments,
      action === 'feedback' ? 'photo' : 'any',
      action,
      u,
    );
    // ---- from here to the commit: no await (the store applies the commit to memory at once)
    const { cur, to: target } = this.#current(id, action, u);
    if (expected !== undefined && expected !== versionOf(cur)) throw new StaleCaseError(cur, expected);
    this.#uncited(attachments);
    const now = this.now();
    const c = structuredClone(cur);
    const changed: CaseRecord[] = [c];
    let data: Record<string, unknown>;
    if (action === 'merge') {
      const into = (input as unknown as { into: string }).into;
      data = this.#merge(c, into, u, now);
      changed.push(...this.#mergeTarget(c, into, u, now));
    } else
      data = applyAction(c, action, input, { city: this.city, now, actorId: u.id, actorUnitId: u.unitId });
    const from = c.state;
    const to = target === 'previous' ? c.suspendedFrom! : target;
    if (action === 'resume') c.suspendedFrom = undefined;
    c.state = to;
    if (action === 'close' || action === 'feedback')
      addEvidence(action === 'close' ? c.verificationEvidence : c.evidence, attachments);
    else addEvidence(c.evidence, attachments);
    addHistory(c, {
      action,
      from,
      to,
      actor: actorOf(u),
      at: now.toISOString(),
      note: input.note,
      attachments: input.attachments.length ? input.attachments : undefined,
      data: Object.keys(data).length ? data : undefined,
    });
    if (action === 'close')
      addHistory(c, {
        action: 'evaluate',
        actor: { id: 'system', role: 'system' },
        at: now.toISOString(),
        data: { ...c.evaluation },
      });
    bumpVersion(c);
    await this.store.commit({ cases: changed });
    return c;
  }

  #merge(c: CaseRecord, into: string, _u: User, _now: Date): Record<string, unknown> {
    const target = liveCase(this.store, into);
    if (!target || target.id === c.id)
      throw new ProblemError(422, 'invalid-merge-target', `cannot merge into ${into}`);
    if (!isOpen(target.state))
      throw new ProblemError(
        409,
        'merge-target-closed',
        `case ${target.id} is ${target.state}; merge needs an open case`,
      );
    c.mergedInto = target.id;
    return { into: target.id };
  }

  #mergeTarget(c: CaseRecord, into: string, u: User, now: Date): CaseRecord[] {
    const t = structuredClone(liveCase(this.store, into)!);
    addEvidence(t.evidence, c.evidence);
    addEvidence(t.verificationEvidence, c.verificationEvidence);
    t.mergedFrom.push(c.id);
    t.refs.incidentIds = [...new Set([...t.refs.incidentIds, ...c.refs.incidentIds])];
    t.duplicateCandidates = t.duplicateCandidates.filter((d) => d !== c.id);
    bumpVersion(t);
    addHistory(t, {
      action: 'merged_in',
      actor: actorOf(u),
      at: now.toISOString(),
      data: { from: c.id, evidence: c.evidence.length },
    });
    return [t];
  }

  isOverdue(c: CaseRecord, now = this.now()): boolean {
    return (
      (c.state === 'dispatched' || c.state === 'processing' || c.state === 'extension_pending') &&
      !!c.deadline &&
      Date.parse(c.deadline) < now.getTime()
    );
  }

  view(c: CaseRecord, now = this.now()): CaseView {
    return {
      ...c,
      version: versionOf(c),
      stateName: CASE_STATES[c.state].zh,
      categoryName: this.city.categoryName(c.category),
      unitName: c.unitId ? this.city.units.get(c.unitId)?.name : undefined,
      overdue: this.isOverdue(c, now),
    };
  }
}
