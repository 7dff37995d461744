/**
 * @module edge/camera/rules/lifecycle
 * Turns the findings that are true now into incident edges, as a pure state machine: a new
 * finding → `new`; still true → `update` every `updateEveryS`; gone → `end`, then a cooldown for
 * that zone and kind. One open incident per key (one per tracked cause), never one per frame.
 * The open incidents here are the only record of them: their id and revision are counted here,
 * saved with the camera's state and taken back after a restart.
 */
import { newId } from '../../../protocol/index.js';
import type { Finding } from './types.js';

/** The incident an event is a revision of. */
export interface IncidentRef {
  id: string;
  rev: number;
  startedAt: string;
}

export interface OpenIncident extends IncidentRef {
  finding: Finding;
  lastRevAt: number;
}

export interface LifecycleState {
  open: Record<string, OpenIncident>;
  /** `${zoneId}:${kind}` → no new incident before this time, ms */
  cooldown: Record<string, number>;
}

export interface LifecycleEvent {
  phase: 'new' | 'update' | 'end';
  key: string;
  finding: Finding;
  incident: IncidentRef;
}

const ref = ({ id, rev, startedAt }: IncidentRef): IncidentRef => ({ id, rev, startedAt });

export const initialLifecycle = (): LifecycleState => ({ open: {}, cooldown: {} });

export function stepLifecycle(
  state: LifecycleState,
  input: { t: number; findings: readonly Finding[] },
  p: {
    cooldownS: (zoneId: string) => number;
    updateEveryS: number;
    /** a new incident's id (default: a ULID at t) */
    newId?: (t: number) => string;
  },
): { state: LifecycleState; events: LifecycleEvent[] } {
  const { t, findings } = input;
  const open = { ...state.open };
  const cooldown = Object.fromEntries(Object.entries(state.cooldown).filter(([, until]) => until > t));
  const events: LifecycleEvent[] = [];
  const now = new Set<string>();
  for (const f of findings) {
    if (now.has(f.key)) continue;
    now.add(f.key);
    const o = open[f.key];
    if (o) {
      if (p.updateEveryS > 0 && t - o.lastRevAt >= p.updateEveryS * 1000) {
        const u = { ...o, finding: f, lastRevAt: t, rev: o.rev + 1 };
        open[f.key] = u;
        events.push({ phase: 'update', key: f.key, finding: f, incident: ref(u) });
      } else open[f.key] = { ...o, finding: f };
    } else if (!cooldown[`${f.zoneId}:${f.kind}`]) {
      const n = {
        finding: f,
        lastRevAt: t,
        id: (p.newId ?? newId)(t),
        rev: 0,
        startedAt: new Date(f.since).toISOString(),
      };
      open[f.key] = n;
      events.push({ phase: 'new', key: f.key, finding: f, incident: ref(n) });
    }
  }
  for (const [key, o] of Object.entries(open)) {
    if (now.has(key)) continue;
    delete open[key];
    events.push({ phase: 'end', key, finding: o.finding, incident: { ...ref(o), rev: o.rev + 1 } });
    const cd = p.cooldownS(o.finding.zoneId);
    if (cd > 0) cooldown[`${o.finding.zoneId}:${o.finding.kind}`] = t + cd * 1000;
  }
  return { state: { open, cooldown }, events };
}
