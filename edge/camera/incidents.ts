/**
 * @module edge/camera/incidents
 * Maps lifecycle events to incident drafts (the id and revision come with each event, counted by
 * rules/lifecycle.ts) and
 * picks the evidence images for each revision.
 */
import { INCIDENT_KINDS, type IncidentKind } from '../../protocol/index.js';
import type { EvidenceImage, IncidentDraft } from '../unit.js';
import type { CameraConfig } from './config.js';
import type { ModelInfo } from './detect/index.js';
import type { LifecycleEvent, OpenIncident } from './rules/index.js';
import type { Track } from './track/index.js';

const RULE_NAMES: Partial<Record<IncidentKind, string>> = {
  illegal_parking: 'camera.no_parking.dwell',
  litter: 'camera.litter.persist',
  uniform_violation: 'camera.post.uniform_consensus',
  absence_from_post: 'camera.post.absence',
  device_offline: 'camera.offline',
};

/** What an incident needs of its camera; kept in the saved state for a camera later removed. */
export type CameraPlace = Pick<CameraConfig, 'id' | 'name' | 'location'>;

/** The incident kinds each zone type produces: a restored cause must still fit its zone. */
export const ZONE_KINDS: Record<CameraConfig['zones'][number]['type'], readonly IncidentKind[]> = {
  no_parking: ['illegal_parking'],
  litter: ['litter'],
  post: ['uniform_violation', 'absence_from_post'],
};

export function location(cam: CameraPlace, zoneId?: string): IncidentDraft['location'] {
  return {
    source: 'fixed',
    lat: cam.location.lat,
    lon: cam.location.lon,
    gridCode: cam.location.gridCode,
    address: cam.location.address,
    cameraId: cam.id,
    zoneId,
  };
}

export function draftFor(
  e: LifecycleEvent,
  cam: CameraPlace,
  t: number,
  tracks: readonly Track[],
  model: ModelInfo | undefined,
): IncidentDraft {
  const f = e.finding;
  const dets: IncidentDraft['detections'] = [
    ...tracks
      .filter((tr) => f.trackIds.includes(tr.id))
      .map((tr) => ({ label: tr.label, score: tr.score, box: tr.box, trackId: tr.id })),
    ...(f.boxes ?? []),
  ];
  const observedAt = new Date(t).toISOString();
  const c = e.incident;
  return {
    id: c.id,
    rev: c.rev,
    lifecycle: e.phase,
    kind: f.kind,
    category: INCIDENT_KINDS[f.kind].category,
    deviceId: cam.id,
    observedAt,
    startedAt: c.startedAt,
    endedAt: e.phase === 'end' ? observedAt : undefined,
    confidence: Math.min(1, Math.max(0, f.confidence)),
    location: location(cam, f.zoneId),
    detections: dets,
    producer: { model: model ? { ...model } : undefined, rule: RULE_NAMES[f.kind] ?? f.kind },
    details: { ...f.details, zoneId: f.zoneId, cameraName: cam.name ?? cam.id },
  };
}

/**
 * The end of a cause the pipeline can no longer watch (its zone or camera left the config): no
 * frame to show, the reason in the details.
 */
export function endForReason(
  o: OpenIncident,
  cam: CameraPlace,
  t: number,
  reason: string,
  model?: ModelInfo,
): IncidentDraft {
  const incident = { id: o.id, rev: o.rev + 1, startedAt: o.startedAt };
  const d = draftFor({ phase: 'end', key: o.finding.key, finding: o.finding, incident }, cam, t, [], model);
  return { ...d, details: { ...d.details, endReason: reason } };
}

/**
 * Evidence per revision: always the annotated and the clean frame (the contract with the core);
 * a new incident adds the frame where its cause started (the car as it stopped, the first piece
 * of litter); an end shows the scene after, for central's verification step.
 */
export function evidenceFor(
  phase: 'new' | 'update' | 'end',
  annotated: Buffer,
  clean: Buffer,
  start?: Buffer,
): EvidenceImage[] {
  const img = (role: EvidenceImage['role'], bytes: Buffer): EvidenceImage => ({
    role,
    bytes,
    contentType: 'image/jpeg',
  });
  if (phase === 'end') return [img('end', annotated), img('clean', clean)];
  const out = [img('annotated', annotated), img('clean', clean)];
  if (phase === 'new' && start) out.push(img('start', start));
  return out;
}
