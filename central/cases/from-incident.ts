/**
 * @module central/cases/from-incident
 * Intake from the edge: an incident revision → the change it makes, applied through the store's
 * `applyIncident` (once per (id, rev), in revision order per incident, under the incident's lock
 * in PostgreSQL). A `new` revision opens a case in `reported` (an operator confirms or rejects
 * it); `update` adds evidence; `end` attaches its evidence as verification evidence (the cause is
 * gone). The wire message is mapped to central's records at this boundary (incident-record.ts).
 */
import type { Incident } from '../../protocol/index.js';
import { evidenceBucket, INCIDENT_KINDS } from '../../protocol/index.js';
import { RefusedMessage } from '../ingest/refused.js';
import {
  type CaseChange,
  IncidentOwnedElsewhere,
  type IncidentView,
  StaleVersion,
  type StoredCase,
} from '../store/contract/index.js';
import { nextCaseNumber } from './case-number.js';
import { type CaseContext, duplicatesOf } from './context.js';
import { evidenceOf, snapshotOf, sourceOf } from './incident-record.js';
import type { Actor, IncidentRecord } from './model.js';
import { addEvidence, addHistory, bumpVersion, newCase } from './records.js';

/** Follow merges to the case that now carries this incident. */
export async function liveCase(
  read: (id: string) => Promise<StoredCase | undefined>,
  id: string,
): Promise<StoredCase | undefined> {
  let c = await read(id);
  for (let i = 0; c?.case.mergedInto && i < 10; i++) c = await read(c.case.mergedInto);
  return c;
}

/** Evidence must be in the gateway's own bucket, under a name no other gateway's case uses. */
async function foreignEvidence(view: IncidentView, inc: Incident): Promise<string | undefined> {
  const own = evidenceBucket(inc.gatewayId);
  for (const e of inc.evidence) {
    if (e.bucket !== own)
      return `evidence ${e.name} is in bucket ${e.bucket}, not ${own} of ${inc.gatewayId}`;
    for (const id of await view.byEvidence(e.name)) {
      const other = (await view.getCase(id))?.case.refs.gatewayId;
      if (other !== inc.gatewayId)
        return `evidence name ${e.name} is already used by ${other ?? 'an upload'}`;
    }
  }
  return undefined;
}

/** The change one revision makes (the store already refused a foreign owner and a seen revision). */
export async function incidentChange(
  ctx: CaseContext,
  view: IncidentView,
  inc: Incident,
  receivedAt: Date,
): Promise<{ kind: 'created' | 'updated'; change: CaseChange }> {
  const foreign = await foreignEvidence(view, inc);
  if (foreign) throw new RefusedMessage(foreign);
  const at = receivedAt.toISOString();
  const latest = snapshotOf(inc);
  const evidence = evidenceOf(inc, at);
  const actor: Actor = { id: inc.gatewayId, role: 'system' };
  const revision = {
    rev: inc.rev,
    lifecycle: inc.lifecycle,
    observedAt: inc.observedAt,
    receivedAt: at,
    evidence: inc.evidence.map((e) => e.name),
  };
  const prev = view.incident;
  const existing = prev ? await liveCase(view.getCase, prev.caseId) : undefined;
  if (!prev || !existing) {
    // first revision seen (normally `new`; an update whose `new` was lost still opens the case)
    const { lat, lon } = latest.location;
    const { city } = ctx;
    const knownGrid =
      latest.location.gridCode && city.grids.has(latest.location.gridCode)
        ? latest.location.gridCode
        : undefined;
    const gridCode =
      knownGrid ?? (lat !== undefined && lon !== undefined ? city.gridAt(lat, lon)?.code : undefined);
    const kind = INCIDENT_KINDS[latest.kind];
    const c = newCase(
      city,
      {
        source: sourceOf(latest),
        reporter: { id: inc.gatewayId, role: 'system' },
        refs: {
          incidentIds: [inc.id],
          gatewayId: inc.gatewayId,
          deviceId: latest.deviceId,
          zoneId: latest.location.zoneId,
        },
        category: latest.category,
        description: `${kind.zh} ${kind.en} (${latest.producer.rule}, ${Math.round(latest.confidence * 100)}%)`,
        location: { lat, lon, address: latest.location.address, gridCode },
        evidence: inc.lifecycle === 'end' ? [] : evidence,
      },
      actor,
      receivedAt,
      `incident ${inc.id} rev ${inc.rev} (${inc.lifecycle})`,
    );
    if (inc.lifecycle === 'end') c.verificationEvidence.push(...evidence);
    c.duplicateCandidates = await duplicatesOf(view, c, ctx.duplicateMetres);
    // numbered last: on PostgreSQL the day's counter row stays locked until the commit, so the
    // case creations of one day wait on each other only for the writes, not for the search
    c.caseNumber = await nextCaseNumber(view, city.calendar.utcOffsetMinutes, receivedAt);
    const incident: IncidentRecord = {
      id: inc.id,
      caseId: c.id,
      gatewayId: inc.gatewayId,
      firstSeenAt: at,
      revs: [inc.rev],
      latest,
      revisions: [revision],
    };
    return { kind: 'created', change: { cases: [{ case: c, expectedVersion: 0 }], incident } };
  }

  const c = structuredClone(existing.case);
  const incident: IncidentRecord = {
    ...prev,
    revs: [...prev.revs, inc.rev],
    revisions: [...prev.revisions, revision],
    latest: inc.rev > Math.max(...prev.revs) ? latest : prev.latest,
  };
  if (inc.lifecycle === 'end') {
    addEvidence(c.verificationEvidence, evidence);
    addHistory(c, {
      action: 'incident_end',
      actor,
      at,
      note: `cause gone at ${inc.endedAt}`,
      attachments: revision.evidence,
      data: { incidentId: inc.id, rev: inc.rev, endedAt: inc.endedAt },
    });
  } else {
    addEvidence(c.evidence, evidence);
    addHistory(c, {
      action: 'incident_update',
      actor,
      at,
      attachments: revision.evidence,
      data: { incidentId: inc.id, rev: inc.rev, confidence: inc.confidence },
    });
  }
  bumpVersion(c);
  return {
    kind: 'updated',
    change: { cases: [{ case: c, expectedVersion: existing.version }], incident },
  };
}

/** How often an incident revision is rebuilt when an operator changed its case meanwhile. */
const STALE_RETRIES = 5;

/**
 * Persist one incident revision; 'duplicate' when (id, rev) was seen before. A revision of an
 * incident another gateway opened, or with evidence that is not its own, throws
 * `RefusedMessage` (the consumer dead-letters it). The revision is queued on its incident before
 * the first await, so revisions handed in one after the other apply in that order.
 */
export async function ingestIncident(
  ctx: CaseContext,
  inc: Incident,
  storedAt?: Date,
): Promise<'created' | 'updated' | 'duplicate'> {
  const key = {
    incidentId: inc.id,
    rev: inc.rev,
    gatewayId: inc.gatewayId,
    storedAt: storedAt?.toISOString(),
  };
  for (let attempt = 1; ; attempt++) {
    let kind: 'created' | 'updated' = 'created';
    try {
      const r = await ctx.store.cases.applyIncident(key, async (view) => {
        const made = await incidentChange(ctx, view, inc, ctx.now());
        kind = made.kind;
        return made.change;
      });
      return r === 'duplicate' ? 'duplicate' : kind;
    } catch (e) {
      if (e instanceof IncidentOwnedElsewhere) throw new RefusedMessage(e.message);
      // an operator acted on the case between the read and the write: build it again
      if (e instanceof StaleVersion && attempt < STALE_RETRIES) continue;
      throw e;
    }
  }
}
