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
 *
 * An episode that started is an incident: its id and revision are counted here (rev 0 at the
 * start, +1 for each update and for the end), carried by each event, and saved with the state;
 * this state is the only record of which incidents are open.
 */
import { newId } from '../../../protocol/index.js';

export type EpisodePhase = 'idle' | 'pending' | 'active' | 'ending';

/** The incident an episode is: its id (made at the edge, time-sortable) and last revision. */
export interface IncidentRef {
  id: string;
  rev: number;
}

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
  /** the episode's incident, from the start (active/ending) */
  incident?: IncidentRef;
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
  /** a new incident's id (default: a ULID at the episode's start) */
  newId?: (t: number) => string;
}

interface EventBase {
  t: number;
  startedAt: number;
  max?: number;
  acc: number;
  /** the incident this event is a revision of */
  incident: IncidentRef;
}

export type EpisodeEvent =
  | (EventBase & { type: 'start' })
  | (EventBase & { type: 'update' })
  | (EventBase & { type: 'end'; endedAt: number });

/** An episode with an incident open (started, not yet ended). */
export const isOpen = (s: EpisodeState): boolean => s.phase === 'active' || s.phase === 'ending';

const nextRev = (s: EpisodeState): IncidentRef => ({ id: s.incident!.id, rev: s.incident!.rev + 1 });

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
          n.incident = nextRev(s);
          events.push({
            type: 'update',
            t: i.t,
            startedAt: since,
            max: n.max,
            acc: n.acc,
            incident: n.incident,
          });
        }
        return { state: n, events };
      }
      const falseSince = s.phase === 'ending' ? s.falseSince! : i.t;
      if (i.t - falseSince >= p.endAfterS * 1000) {
        events.push({
          type: 'end',
          t: i.t,
          startedAt: since,
          endedAt: falseSince,
          max: s.max,
          acc: s.acc,
          incident: nextRev(s),
        });
        return { state: idleEpisode(), events };
      }
      return { state: { ...s, phase: 'ending', falseSince }, events };
    }
  }
}

function stepPending(s: EpisodeState, i: EpisodeInput, p: EpisodeParams, events: EpisodeEvent[]) {
  const held = i.t - s.since! >= p.minDurationS * 1000;
  if (held && s.acc >= (p.minAmount ?? 0)) {
    const incident = { id: (p.newId ?? newId)(s.since!), rev: 0 };
    events.push({ type: 'start', t: i.t, startedAt: s.since!, max: s.max, acc: s.acc, incident });
    return { state: { ...s, phase: 'active' as const, updatedAt: i.t, incident }, events };
  }
  return { state: s, events };
}

/** Force an open episode to end (unit stopping, device gone): an end event if one was active. */
export function closeEpisode(s: EpisodeState, t: number): EpisodeEvent[] {
  if (!isOpen(s)) return [];
  return [
    {
      type: 'end',
      t,
      startedAt: s.since!,
      endedAt: s.falseSince ?? t,
      max: s.max,
      acc: s.acc,
      incident: nextRev(s),
    },
  ];
}

/**
 * An update revision now, outside the episode's own rhythm (a photo arrived for it): the state
 * with the revision counted and its event; nothing for an episode with no incident open.
 */
export function reviseEpisode(s: EpisodeState, t: number): { state: EpisodeState; events: EpisodeEvent[] } {
  if (!isOpen(s)) return { state: s, events: [] };
  const incident = nextRev(s);
  return {
    state: { ...s, incident },
    events: [{ type: 'update', t, startedAt: s.since!, max: s.max, acc: s.acc, incident }],
  };
}
