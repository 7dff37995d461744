/**
 * @module edge/camera/rules/lifecycle
 * Turns the findings that are true now into incident edges, as a pure state machine: a new
 * finding → `new`; still true → `update` every `updateEveryS`; gone → `end`, then a cooldown for
 * that zone and kind. One open incident per key (one per tracked cause), never one per frame.
 */
import type { Finding } from './types.js';

export interface OpenIncident {
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
}

export const initialLifecycle = (): LifecycleState => ({ open: {}, cooldown: {} });

export function stepLifecycle(
  state: LifecycleState,
  input: { t: number; findings: readonly Finding[] },
  p: { cooldownS: (zoneId: string) => number; updateEveryS: number },
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
        open[f.key] = { finding: f, lastRevAt: t };
        events.push({ phase: 'update', key: f.key, finding: f });
      } else open[f.key] = { ...o, finding: f };
    } else if (!cooldown[`${f.zoneId}:${f.kind}`]) {
      open[f.key] = { finding: f, lastRevAt: t };
      events.push({ phase: 'new', key: f.key, finding: f });
    }
  }
  for (const [key, o] of Object.entries(open)) {
    if (now.has(key)) continue;
    delete open[key];
    events.push({ phase: 'end', key, finding: o.finding });
    const cd = p.cooldownS(o.finding.zoneId);
    if (cd > 0) cooldown[`${o.finding.zoneId}:${o.finding.kind}`] = t + cd * 1000;
  }
  return { state: { open, cooldown }, events };
}
