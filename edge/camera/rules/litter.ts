/**
 * @module edge/camera/rules/litter
 * Litter / exposed garbage: a litter-class track in an active litter zone for `persistS`.
 * One incident per tracked piece; it ends when the tracker loses the piece (removed).
 */
import { boxInZone, scheduleActive } from '../zones/index.js';
import type { Finding, Mark, Rule } from './types.js';

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
      for (const tr of tracks) {
        if (!p.labels.litter.includes(tr.label) || !boxInZone(tr.box, z.polygon)) continue;
        const key = `litter:${z.id}:${tr.id}`;
        const since = state[key]?.since ?? t;
        if (!state[key]) marks.push({ key, zoneId: z.id, trackIds: [tr.id] });
        next[key] = { since };
        if (t - since >= z.persistS * 1000)
          findings.push({
            key,
            kind: 'litter',
            zoneId: z.id,
            trackIds: [tr.id],
            confidence: tr.score,
            since,
            details: { label: tr.label, presentS: Math.round((t - since) / 1000) },
          });
      }
    }
    return { state: next, findings, marks };
  },
};
