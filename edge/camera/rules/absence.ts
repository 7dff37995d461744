/**
 * @module edge/camera/rules/absence
 * Absence from post: during a post zone's duty hours, no person judged in uniform inside it for
 * `absenceS`. The clock starts when duty starts (or the gateway starts during duty); it ends
 * when uniformed staff are back or duty ends.
 */
import { boxInZone, scheduleActive } from '../zones/index.js';
import type { Finding, Rule } from './types.js';

type State = Record<string, { dutySince: number; lastStaffed?: number; uniformed: Record<number, boolean> }>;

export const absence: Rule<State> = {
  kind: 'absence_from_post',
  init: () => ({}),
  step(state, { t, tracks, judgements }, p) {
    const next: State = {};
    const findings: Finding[] = [];
    for (const z of p.zones) {
      if (z.type !== 'post' || !z.schedule?.length || !scheduleActive(z.schedule, t, p.timezone)) continue;
      const prev = state[z.id] ?? { dutySince: t, uniformed: {} };
      const uniformed: Record<number, boolean> = {};
      let staffed = false;
      for (const tr of tracks) {
        if (!p.labels.person.includes(tr.label) || !boxInZone(tr.box, z.polygon)) continue;
        uniformed[tr.id] = judgements[tr.id] ?? prev.uniformed[tr.id] ?? false; // last judgement counts
        if (uniformed[tr.id]) staffed = true;
      }
      const lastStaffed = staffed ? t : prev.lastStaffed;
      next[z.id] = { dutySince: prev.dutySince, lastStaffed, uniformed };
      const emptySince = Math.max(prev.dutySince, lastStaffed ?? Number.NEGATIVE_INFINITY);
      if (!staffed && t - emptySince >= z.absenceS * 1000)
        findings.push({
          key: `absence_from_post:${z.id}`,
          kind: 'absence_from_post',
          zoneId: z.id,
          trackIds: [],
          confidence: 0.9,
          since: emptySince,
          details: { emptyS: Math.round((t - emptySince) / 1000) },
        });
    }
    return { state: next, findings };
  },
};
