/**
 * @module edge/camera/rules/parking
 * Illegal parking: a vehicle whose bottom centre is in an active no_parking zone and that has
 * not moved for `stoppedAfterS` is "stopped" (its start frame is kept); after a further `dwellS`
 * it is a violation. Moving or leaving clears it: a brief stop produces nothing.
 */
import { boxInZone, scheduleActive } from '../zones/index.js';
import type { Finding, Mark, Rule } from './types.js';

type State = Record<string, { stoppedAt: number }>;

export const parking: Rule<State> = {
  kind: 'illegal_parking',
  init: () => ({}),
  step(state, { t, tracks }, p) {
    const next: State = {};
    const findings: Finding[] = [];
    const marks: Mark[] = [];
    for (const z of p.zones) {
      if (z.type !== 'no_parking' || !scheduleActive(z.schedule, t, p.timezone)) continue;
      for (const tr of tracks) {
        if (!p.labels.vehicle.includes(tr.label) || !boxInZone(tr.box, z.polygon)) continue;
        const key = `illegal_parking:${z.id}:${tr.id}`;
        if (t - tr.stationarySince < z.stoppedAfterS * 1000) continue; // moving: forget
        const stoppedAt = state[key]?.stoppedAt ?? tr.stationarySince;
        if (!state[key]) marks.push({ key, zoneId: z.id, trackIds: [tr.id] });
        next[key] = { stoppedAt };
        const dwell = t - stoppedAt;
        if (dwell >= (z.stoppedAfterS + z.dwellS) * 1000)
          findings.push({
            key,
            kind: 'illegal_parking',
            zoneId: z.id,
            trackIds: [tr.id],
            confidence: tr.score,
            since: stoppedAt,
            details: {
              label: tr.label,
              dwellS: Math.round(dwell / 1000),
              allowedS: z.stoppedAfterS + z.dwellS,
            },
          });
      }
    }
    return { state: next, findings, marks };
  },
};
