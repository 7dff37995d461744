/**
 * @module edge/camera/rules/litter
 * Litter / exposed garbage: litter-class tracks in an active litter zone for `persistS`. One
 * incident per zone while any piece persists (a pile seen as a changing number of boxes is still
 * one problem to clear); it lists every persisting piece and ends when none is left (removed).
 */
import { boxInZone, scheduleActive } from '../zones/index.js';
import type { Finding, Mark, Rule } from './types.js';

/** per piece `${zoneId}:${trackId}` → when it was first seen in the zone. The zone's first piece marks the start frame. */
type State = Record<string, { since: number }>;

export const litter: Rule<State> = {
  kind: 'litter',
  init: () => ({}),
  step(state, { t, tracks }, p) {
    const next: State = {};
    const findings: Finding[] = [];
    const marks: Mark[] = [];
    for (const z of p.zones) {
      if (z.type !== 'litter' || !scheduleActive(z.schedule, t, p.timezone)) continue;
      const key = `litter:${z.id}`;
      const hadPieces = Object.keys(state).some((k) => k.startsWith(`${z.id}:`));
      const persisting: { id: number; since: number; score: number }[] = [];
      for (const tr of tracks) {
        if (!p.labels.litter.includes(tr.label) || !boxInZone(tr.box, z.polygon)) continue;
        const piece = `${z.id}:${tr.id}`;
        const since = state[piece]?.since ?? t;
        next[piece] = { since };
        if (!hadPieces && !marks.some((m) => m.key === key))
          marks.push({ key, zoneId: z.id, trackIds: [tr.id] });
        if (t - since >= z.persistS * 1000) persisting.push({ id: tr.id, since, score: tr.score });
      }
      if (!persisting.length) continue;
      const since = Math.min(...persisting.map((x) => x.since));
      findings.push({
        key,
        kind: 'litter',
        zoneId: z.id,
        trackIds: persisting.map((x) => x.id),
        confidence: Math.max(...persisting.map((x) => x.score)),
        since,
        details: { pieces: persisting.length, presentS: Math.round((t - since) / 1000) },
      });
    }
    return { state: next, findings, marks };
  },
};
