/**
 * @module central/cases/context
 * What every case operation (intake, transitions, visibility) works with: the storage contract,
 * the city, the attachment store, the clock, and the checks shared by intake and transitions
 * (uploads named in a request, an upload cited once, duplicate proposals).
 */
import type { User } from '../auth/roles.js';
import type { City } from '../city/index.js';
import { type AttachmentStore, alreadyCited, checkUpload } from '../evidence/attachments.js';
import { ProblemError } from '../http/problem.js';
import type { CaseSummary, CentralStore, DuplicateQuery } from '../store/contract/index.js';
import { Duplicate } from '../store/contract/index.js';
import type { Actor, CaseRecord, EvidenceItem } from './model.js';
import { versionOf } from './records.js';

export interface CaseContext {
  readonly store: CentralStore;
  readonly city: City;
  readonly attachments: AttachmentStore;
  /** reports of the same category within this distance of an open case are proposed as duplicates */
  readonly duplicateMetres: number;
  now(): Date;
  /** what else cites an upload (scoring's bonus items), if anything */
  citedElsewhere(name: string): string | undefined;
}

export function actorOf(u: User): Actor {
  return { id: u.id, role: u.role, unitId: u.unitId };
}

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

/** Attachments named in a request must exist, be uploaded by this user, and photos must be images. */
export async function uploadedEvidence(
  ctx: CaseContext,
  names: string[],
  want: 'photo' | 'voice' | 'any',
  role: string,
  user: User,
): Promise<EvidenceItem[]> {
  const at = ctx.now().toISOString();
  const out: EvidenceItem[] = [];
  for (const name of new Set(names)) {
    const info = await checkUpload(ctx.attachments, name, want, user.id);
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
 * An upload is cited once, by one case or by something else (a bonus item): checked right
 * before the commit, which claims the names again (`CaseChange.claims`), so two requests citing
 * one upload at once cannot both win.
 */
export async function assertUncited(ctx: CaseContext, items: EvidenceItem[]): Promise<void> {
  for (const e of items) {
    if ((await ctx.store.cases.byEvidence(e.name)).length) throw alreadyCited(e.name, 'a case');
    const by = ctx.citedElsewhere(e.name);
    if (by) throw alreadyCited(e.name, by);
  }
}

/** A lost claim race is the upload cited by another case: 409, as if it had been cited first. */
export function citedByAnother(e: unknown): unknown {
  return e instanceof Duplicate && e.what === 'evidence' ? alreadyCited(e.key, 'a case') : e;
}

/** The duplicate search for `c`: open cases of its category near it or from its camera zone, at most five. */
export const duplicateQuery = (c: CaseRecord, metres: number): DuplicateQuery => ({
  category: c.category,
  lat: c.location.lat,
  lon: c.location.lon,
  metres,
  deviceId: c.refs.deviceId,
  zoneId: c.refs.zoneId,
  limit: 5,
  excludeId: c.id,
});

/** Ids of open cases that may be duplicates of `c`, newest first, at most five. */
export async function duplicatesOf(
  source: { duplicateCandidates(q: DuplicateQuery): Promise<CaseSummary[]> },
  c: CaseRecord,
  metres: number,
): Promise<string[]> {
  const found = await source.duplicateCandidates(duplicateQuery(c, metres));
  return found.map((o) => o.id);
}
