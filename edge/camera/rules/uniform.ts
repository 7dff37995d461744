/**
 * @module edge/camera/rules/uniform
 * Uniform violation: a person in an active post zone judged out of uniform by the classifier in
 * at least `consensusRatio` of their last `consensusFrames` judgements. Once asserted it holds
 * while the person stays (no flicker); it ends when they leave or are lost.
 */
import { boxInZone, scheduleActive } from '../zones/index.js';
import type { Finding, Rule } from './types.js';

type State = Record<string, { window: boolean[]; since?: number }>;

export const uniform: Rule<State> = {
  kind: 'uniform_violation',
  init: () => ({}),
  step(state, { t, tracks, judgements }, p) {
    const next: State = {};
    const findings: Finding[] = [];
    for (const z of p.zones) {
      if (z.type !== 'post' || !scheduleActive(z.schedule, t, p.timezone)) continue;
      for (const tr of tracks) {
        if (!p.labels.person.includes(tr.label) || !boxInZone(tr.box, z.polygon)) continue;
        const key = `uniform_violation:${z.id}:${tr.id}`;
        const prev = state[key] ?? { window: [] };
        const j = judgements[tr.id];
        const window = j === undefined ? prev.window : [...prev.window, !j].slice(-z.consensusFrames);
        const out = window.filter(Boolean).length;
        const asserted =
          prev.since !== undefined ||
          (window.length >= z.consensusFrames && out / window.length >= z.consensusRatio);
        const since = asserted ? (prev.since ?? t) : undefined;
        next[key] = { window, since };
        if (since !== undefined)
          findings.push({
            key,
            kind: 'uniform_violation',
            zoneId: z.id,
            trackIds: [tr.id],
            confidence: Math.max(out / Math.max(1, window.length), 0.5) * tr.score,
            since,
            details: { outOfUniformFrames: out, frames: window.length },
          });
      }
    }
    return { state: next, findings };
  },
};
