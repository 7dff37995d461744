/**
 * @module central/cases/incident-record
 * The ingest boundary: a validated wire `Incident` → central's own records. What the edge sent
 * is mapped field by field into an `IncidentSnapshot` (the wire envelope, `v`, and the evidence
 * references, which become the case's evidence items, stay behind), and the one place that
 * decides what saw it (`origin`: a vehicle fix or a fixed camera) and so the case's source.
 */
import type { Incident } from '../../protocol/index.js';
import type { CaseSource, EvidenceItem, IncidentSnapshot } from './model.js';

export function snapshotOf(inc: Incident): IncidentSnapshot {
  const l = inc.location;
  return {
    rev: inc.rev,
    lifecycle: inc.lifecycle,
    kind: inc.kind,
    category: inc.category,
    origin: l.source === 'gps' ? 'vehicle' : 'camera',
    deviceId: inc.deviceId,
    observedAt: inc.observedAt,
    startedAt: inc.startedAt,
    endedAt: inc.endedAt,
    confidence: inc.confidence,
    location: {
      lat: l.lat,
      lon: l.lon,
      gridCode: l.gridCode,
      cameraId: l.cameraId,
      zoneId: l.zoneId,
      address: l.address,
    },
    detections: inc.detections.map((d) => ({ label: d.label, score: d.score, box: { ...d.box } })),
    producer: { rule: inc.producer.rule, model: inc.producer.model && { ...inc.producer.model } },
    plate: inc.plate && { ...inc.plate },
    details: { ...inc.details },
  };
}

/** The case source of an incident-born case. */
export const sourceOf = (s: IncidentSnapshot): CaseSource => (s.origin === 'vehicle' ? 'vehicle' : 'ai');

/** The revision's evidence as case evidence items. */
export function evidenceOf(inc: Incident, receivedAt: string): EvidenceItem[] {
  return inc.evidence.map((e) => ({
    name: e.name,
    contentType: e.contentType,
    role: e.role,
    origin: 'incident',
    bucket: e.bucket,
    sha256: e.sha256,
    incidentId: inc.id,
    incidentRev: inc.rev,
    addedAt: receivedAt,
  }));
}
