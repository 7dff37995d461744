/**
 * @module central/cases/from-incident
 * An edge incident revision → the change it makes: a `new` revision opens a case in `reported`
 * (an operator confirms or rejects it); `update` adds evidence; `end` attaches its evidence as
 * verification evidence (the cause is gone). Idempotent by (incident id, rev): a revision seen
 * before changes nothing.
 */
import type { Incident } from '../../protocol/index.js';
import { evidenceBucket, INCIDENT_KINDS } from '../../protocol/index.js';
import type { City } from '../city/index.js';
import type { CaseStore, ChangeSet } from '../store/index.js';
import { nextCaseNumber } from './case-number.js';
import type { Actor, CaseRecord, EvidenceItem, IncidentRecord } from './model.js';
import { addEvidence, addHistory, bumpVersion, findDuplicates, newCase } from './records.js';

export type IngestOutcome =
  | { kind: 'duplicate' }
  /** the incident id belongs to another gateway: nothing changes, the caller dead-letters it */
  | { kind: 'foreign'; reason: string }
  | { kind: 'created' | 'updated'; caseId: string; changes: ChangeSet };

/** Follow merges to the case that now carries this incident. */
export function liveCase(store: CaseStore, id: string): CaseRecord | undefined {
  let c = store.getCase(id);
  for (let i = 0; c?.mergedInto && i < 10; i++) c = store.getCase(c.mergedInto);
  return c;
}

/** Evidence must be in the gateway's own bucket, under a name no other gateway's case uses. */
function foreignEvidence(store: CaseStore, inc: Incident): string | undefined {
  const own = evidenceBucket(inc.gatewayId);
  for (const e of inc.evidence) {
    if (e.bucket !== own)
      return `evidence ${e.name} is in bucket ${e.bucket}, not ${own} of ${inc.gatewayId}`;
    for (const id of store.casesByEvidence(e.name)) {
      const other = store.getCase(id)?.refs.gatewayId;
      if (other !== inc.gatewayId)
        return `evidence name ${e.name} is already used by ${other ?? 'an upload'}`;
    }
  }
  return undefined;
}

export function incidentChange(
  store: CaseStore,
  city: City,
  inc: Incident,
  receivedAt: Date,
  dupMetres: number,
): IngestOutcome {
  const prev = store.getIncident(inc.id);
  // an incident id is bound to the gateway that first published it (checked against the subject)
  if (prev && prev.gatewayId !== inc.gatewayId)
    return {
      kind: 'foreign',
      reason: `incident ${inc.id} belongs to gateway ${prev.gatewayId}, not ${inc.gatewayId}`,
    };
  if (prev?.revs.includes(inc.rev)) return { kind: 'duplicate' };
  const foreign = foreignEvidence(store, inc);
  if (foreign) return { kind: 'foreign', reason: foreign };
  const at = receivedAt.toISOString();
  const evidence: EvidenceItem[] = inc.evidence.map((e) => ({
    name: e.name,
    contentType: e.contentType,
    role: e.role,
    origin: 'incident',
    bucket: e.bucket,
    sha256: e.sha256,
    incidentId: inc.id,
    incidentRev: inc.rev,
    addedAt: at,
  }));
  const actor: Actor = { id: inc.gatewayId, role: 'system' };
  const revision = {
    rev: inc.rev,
    lifecycle: inc.lifecycle,
    observedAt: inc.observedAt,
    receivedAt: at,
    evidence: inc.evidence.map((e) => e.name),
  };

  const existing = prev ? liveCase(store, prev.caseId) : undefined;
  if (!prev || !existing) {
    // first revision seen (normally `new`; an update whose `new` was lost still opens the case)
    const { lat, lon } = inc.location;
    const knownGrid =
      inc.location.gridCode && city.grids.has(inc.location.gridCode) ? inc.location.gridCode : undefined;
    const gridCode =
      knownGrid ?? (lat !== undefined && lon !== undefined ? city.gridAt(lat, lon)?.code : undefined);
    const kind = INCIDENT_KINDS[inc.kind];
    const c = newCase(
      city,
      {
        source: inc.location.source === 'gps' ? 'vehicle' : 'ai',
        reporter: { id: inc.gatewayId, role: 'system' },
        refs: {
          incidentIds: [inc.id],
          gatewayId: inc.gatewayId,
          deviceId: inc.deviceId,
          zoneId: inc.location.zoneId,
        },
        category: inc.category,
        description: `${kind.zh} ${kind.en} (${inc.producer.rule}, ${Math.round(inc.confidence * 100)}%)`,
        location: { lat, lon, address: inc.location.address, gridCode },
        evidence: inc.lifecycle === 'end' ? [] : evidence,
      },
      actor,
      receivedAt,
      `incident ${inc.id} rev ${inc.rev} (${inc.lifecycle})`,
    );
    c.caseNumber = nextCaseNumber(store, city.calendar.utcOffsetMinutes, receivedAt);
    if (inc.lifecycle === 'end') c.verificationEvidence.push(...evidence);
    c.duplicateCandidates = findDuplicates(store.duplicateCandidates(c, dupMetres), c, dupMetres);
    const rec: IncidentRecord = {
      id: inc.id,
      caseId: c.id,
      gatewayId: inc.gatewayId,
      firstSeenAt: at,
      revs: [inc.rev],
      latest: inc as unknown as Record<string, unknown>,
      revisions: [revision],
    };
    return { kind: 'created', caseId: c.id, changes: { cases: [c], incidents: [rec] } };
  }

  const c = structuredClone(existing);
  const rec: IncidentRecord = {
    ...prev,
    revs: [...prev.revs, inc.rev],
    revisions: [...prev.revisions, revision],
    latest: inc.rev > Math.max(...prev.revs) ? (inc as unknown as Record<string, unknown>) : prev.latest,
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
  return { kind: 'updated', caseId: c.id, changes: { cases: [c], incidents: [rec] } };
}
