/**
 * @module central/cases/service
 * The case system in one object for routes and ingest: intake (intake.ts, from-incident.ts),
 * transitions (transitions.ts), visibility and overdue (visibility.ts), lists (query.ts). It
 * reads and writes only through the asynchronous storage contract (`CentralStore`: lowdb or
 * PostgreSQL); every change is one commit at the version read, and callers answer after it.
 * @example
 *   const svc = new CaseService({ store, city, attachments });
 *   await svc.act(caseId, 'register', { note: '属实' }, operator);
 */
import type { Incident } from '../../protocol/index.js';
import type { User } from '../auth/roles.js';
import type { City } from '../city/index.js';
import type { AttachmentStore } from '../evidence/attachments.js';
import type { CaseSummary, CentralStore } from '../store/contract/index.js';
import type { CaseContext } from './context.js';
import { ingestIncident } from './from-incident.js';
import { type IntakeInput, type IntakeResult, intake, openReport } from './intake.js';
import type { Actor, CaseRecord } from './model.js';
import type { NewCase } from './records.js';
import { act } from './transitions.js';
import { type CaseView, canSee, getVisible, isOverdue, viewListed, viewOf } from './visibility.js';
import type { CaseAction } from './workflow.js';

export { actorOf, StaleCaseError } from './context.js';
export { IntakeInput } from './intake.js';
export type { CaseView } from './visibility.js';

export interface CaseServiceOptions {
  store: CentralStore;
  city: City;
  attachments: AttachmentStore;
  /** reports of the same category within this distance of an open case are proposed as duplicates */
  duplicateMetres?: number;
  now?: () => Date;
}

export class CaseService implements CaseContext {
  readonly store: CentralStore;
  readonly city: City;
  readonly attachments: AttachmentStore;
  readonly duplicateMetres: number;
  readonly now: () => Date;
  readonly #citations: ((name: string) => string | undefined)[] = [];

  constructor(o: CaseServiceOptions) {
    this.store = o.store;
    this.city = o.city;
    this.attachments = o.attachments;
    this.duplicateMetres = o.duplicateMetres ?? 50;
    this.now = o.now ?? (() => new Date());
  }

  /** Another citer of uploads (scoring's bonus items): `check(name)` names what cites it, if anything. */
  addCitationCheck(check: (name: string) => string | undefined): void {
    this.#citations.push(check);
  }

  citedElsewhere(name: string): string | undefined {
    for (const check of this.#citations) {
      const by = check(name);
      if (by) return by;
    }
    return undefined;
  }

  /** One edge incident revision; 'duplicate' when (id, rev) was seen before. */
  /** `storedAt`: when the stream stored it (revision order across instances, see `RevisionKey`) */
  ingestIncident(inc: Incident, storedAt?: Date): Promise<'created' | 'updated' | 'duplicate'> {
    return ingestIncident(this, inc, storedAt);
  }

  /** HTTP intake, answered once per Idempotency-Key. */
  intake(input: IntakeInput, user: User, idemKey?: string): Promise<IntakeResult> {
    return intake(this, input, user, idemKey);
  }

  /** Validate place and category, make the case, propose duplicates (intake and Open311). */
  openReport(n: NewCase, actor: Actor): Promise<CaseRecord> {
    return openReport(this, n, actor);
  }

  /** One workflow action; with `expectedVersion` (If-Match) a stale one is `StaleCaseError`. */
  act(
    id: string,
    action: CaseAction,
    input: unknown,
    u: User,
    expectedVersion?: number,
  ): Promise<CaseRecord> {
    return act(this, id, action, input, u, expectedVersion);
  }

  canSee(u: User, c: Omit<CaseRecord, 'history'>): boolean {
    return canSee(u, c);
  }

  get(id: string, u: User): Promise<CaseRecord> {
    return getVisible(this, id, u);
  }

  isOverdue(c: Omit<CaseRecord, 'history'>, now = this.now()): boolean {
    return isOverdue(c, now);
  }

  view<T extends Omit<CaseRecord, 'history'>>(c: T, now = this.now()): CaseView<T> {
    return viewOf(this.city, c, now);
  }

  /** `view` for a summary from `cases.list`, named in place (the list owns it) */
  viewListed<T extends CaseSummary>(s: T, now = this.now()): CaseView<T> {
    return viewListed(this.city, s, now);
  }
}
