/**
 * @module edge/vehicle/incidents
 * Turns rule episode events into incident revisions: one id per episode (made at the edge,
 * time-sortable), rev 0 `new` at the start, `update`s while it lasts, `end` with the final
 * maximum and duration. The only stateful part between the pure rules and the sinks.
 */
import { INCIDENT_KINDS, type IncidentKind, newId } from '../../protocol/index.js';
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

export class IncidentTracker {
  private readonly open = new Map<string, { id: string; rev: number }>();

  constructor(
    private readonly vehicleId: string,
    private readonly plate: string,
  ) {}

  /** The draft for one episode event; undefined for an update/end of an episode never opened. */
  draft(e: EpisodeRef): IncidentDraft | undefined {
    const ev = e.event;
    let ref = this.open.get(e.key);
    if (ev.type === 'start') {
      ref = { id: newId(ev.startedAt), rev: 0 };
      this.open.set(e.key, ref);
    } else {
      if (!ref) return undefined;
      ref = { id: ref.id, rev: ref.rev + 1 };
      if (ev.type === 'end') this.open.delete(e.key);
      else this.open.set(e.key, ref);
    }
    const iso = (t: number) => new Date(t).toISOString();
    return {
      id: ref.id,
      rev: ref.rev,
      lifecycle: ev.type === 'start' ? 'new' : ev.type,
      kind: e.kind,
      category: INCIDENT_KINDS[e.kind].category,
      deviceId: this.vehicleId,
      observedAt: iso(ev.t),
      startedAt: iso(ev.startedAt),
      endedAt: ev.type === 'end' ? iso(ev.endedAt) : undefined,
      // rules on GNSS fixes and bus signals are measurements, not model guesses
      confidence: 1,
      location: e.at ? { lat: e.at.lat, lon: e.at.lon, source: 'gps' } : { source: 'gps' },
      detections: [],
      producer: { rule: `vehicle.${e.key}` },
      details: { plate: this.plate, ...e.details },
    };
  }

  /** Keys with an open incident. */
  openKeys(): string[] {
    return [...this.open.keys()];
  }

  /** The open incidents' ids and revisions, to keep across a restart. */
  saved(): [string, { id: string; rev: number }][] {
    return [...this.open];
  }

  restore(open: readonly [string, { id: string; rev: number }][]): void {
    for (const [k, ref] of open) this.open.set(k, { ...ref });
  }
}
