/**
 * @module edge/vehicle/rules/episode
 * The episode state machine every vehicle rule shares, as a pure function
 * `(state, input, params) → { state, events }`: a condition must hold for `minDurationS` (and, if
 * asked, over `minAmount` of accumulated distance) before an episode starts; it ends after the
 * condition has been false for `endAfterS`. One start and one end per episode, with the maximum
 * and accumulated values over the whole episode for the incident's details.
 *
 *   idle ──cond──▶ pending ──held long enough──▶ active ──!cond──▶ ending ──long enough──▶ idle
 *             ◀──!cond──                            ◀──cond──
 */

export type EpisodePhase = 'idle' | 'pending' | 'active' | 'ending';

export interface EpisodeState {
  phase: EpisodePhase;
  /** when the condition first held (pending/active) */
  since?: number;
  /** when the condition last stopped holding (ending) */
  falseSince?: number;
  /** max of `value` over the episode */
  max?: number;
  /** sum of `amount` over the episode (e.g. metres driven outside the corridor) */
  acc: number;
  /** when the last update event was emitted */
  updatedAt?: number;
}

export const idleEpisode = (): EpisodeState => ({ phase: 'idle', acc: 0 });

export interface EpisodeInput {
  t: number;
  active: boolean;
  value?: number;
  amount?: number;
}

export interface EpisodeParams {
  minDurationS: number;
  endAfterS: number;
  /** accumulated amount needed to start (default 0) */
  minAmount?: number;
  /** emit an update at most this often while active (default: never) */
  updateEveryS?: number;
}

export type EpisodeEvent =
  | { type: 'start'; t: number; startedAt: number; max?: number; acc: number }
  | { type: 'update'; t: number; startedAt: number; max?: number; acc: number }
  | { type: 'end'; t: number; startedAt: number; endedAt: number; max?: number; acc: number };

const maxOf = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

export function stepEpisode(
  s: EpisodeState,
  i: EpisodeInput,
  p: EpisodeParams,
): { state: EpisodeState; events: EpisodeEvent[] } {
  const events: EpisodeEvent[] = [];
  switch (s.phase) {
    case 'idle': {
      if (!i.active) return { state: s, events };
      const n: EpisodeState = { phase: 'pending', since: i.t, max: i.value, acc: 0 };
      return stepPending(n, i, p, events);
    }
    case 'pending': {
      if (!i.active) return { state: idleEpisode(), events };
      return stepPending({ ...s, max: maxOf(s.max, i.value), acc: s.acc + (i.amount ?? 0) }, i, p, events);
    }
    case 'active':
    case 'ending': {
      const since = s.since!;
      if (i.active) {
        const n: EpisodeState = {
          ...s,
          phase: 'active',
          falseSince: undefined,
          max: maxOf(s.max, i.value),
          acc: s.acc + (i.amount ?? 0),
        };
        if (p.updateEveryS !== undefined && i.t - (s.updatedAt ?? since) >= p.updateEveryS * 1000) {
          n.updatedAt = i.t;
          events.push({ type: 'update', t: i.t, startedAt: since, max: n.max, acc: n.acc });
        }
        return { state: n, events };
      }
      const falseSince = s.phase === 'ending' ? s.falseSince! : i.t;
      if (i.t - falseSince >= p.endAfterS * 1000) {
        events.push({ type: 'end', t: i.t, startedAt: since, endedAt: falseSince, max: s.max, acc: s.acc });
        return { state: idleEpisode(), events };
      }
      return { state: { ...s, phase: 'ending', falseSince }, events };
    }
  }
}

function stepPending(s: EpisodeState, i: EpisodeInput, p: EpisodeParams, events: EpisodeEvent[]) {
  const held = i.t - s.since! >= p.minDurationS * 1000;
  if (held && s.acc >= (p.minAmount ?? 0)) {
    events.push({ type: 'start', t: i.t, startedAt: s.since!, max: s.max, acc: s.acc });
    return { state: { ...s, phase: 'active' as const, updatedAt: i.t }, events };
  }
  return { state: s, events };
}

/** Force an open episode to end (unit stopping, device gone): an end event if one was active. */
export function closeEpisode(s: EpisodeState, t: number): EpisodeEvent[] {
  if (s.phase !== 'active' && s.phase !== 'ending') return [];
  return [{ type: 'end', t, startedAt: s.since!, endedAt: s.falseSince ?? t, max: s.max, acc: s.acc }];
}
