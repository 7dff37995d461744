/**
 * @module edge/vehicle/incidents
 * Maps episode events to incident drafts: `start` → rev 0 `new`, `update`s while it lasts, `end`
 * with the final maximum and duration. The id and revision come with each event, counted by the
 * episode state (rules/episode.ts); nothing is kept here.
 */
import { INCIDENT_KINDS, type IncidentKind } from '../../protocol/index.js';
import type { IncidentDraft } from '../unit.js';
import type { EpisodeEvent } from './rules/episode.js';
import type { Details } from './rules/index.js';

export interface EpisodeRef {
  /** rule key or device key: one open incident per key */
  key: string;
  kind: IncidentKind;
  event: EpisodeEvent;
  details: Details;
  at?: { lat: number; lon: number };
}

/** The draft for one episode event of a vehicle. */
export function draftFor(vehicle: { id: string; plate: string }, e: EpisodeRef): IncidentDraft {
  const ev = e.event;
  const iso = (t: number) => new Date(t).toISOString();
  return {
    id: ev.incident.id,
    rev: ev.incident.rev,
    lifecycle: ev.type === 'start' ? 'new' : ev.type,
    kind: e.kind,
    category: INCIDENT_KINDS[e.kind].category,
    deviceId: vehicle.id,
    observedAt: iso(ev.t),
    startedAt: iso(ev.startedAt),
    endedAt: ev.type === 'end' ? iso(ev.endedAt) : undefined,
    // rules on GNSS fixes and bus signals are measurements, not model guesses
    confidence: 1,
    location: e.at ? { lat: e.at.lat, lon: e.at.lon, source: 'gps' } : { source: 'gps' },
    detections: [],
    producer: { rule: `vehicle.${e.key}` },
    details: { plate: vehicle.plate, ...e.details },
  };
}
