/**
 * @module edge/camera/engine
 * The pure core of one camera: tracker → (classifier, done by the caller) → rules → lifecycle.
 * No clocks, no I/O: frames carry their time; tests drive it with timed detection sequences.
 */

import type { CameraConfig, CameraSection } from './config.js';
import { groupResolver } from './detect/ensemble.js';
import type { Detection } from './detect/index.js';
import {
  type Finding,
  initialLifecycle,
  initialRules,
  type LifecycleEvent,
  type LifecycleState,
  type Mark,
  type RuleInput,
  type RuleParams,
  type RulesState,
  stepLifecycle,
  stepRules,
} from './rules/index.js';
import { initialTracker, stepTracker, type Track, type TrackerState } from './track/index.js';
import { boxInZone, scheduleActive } from './zones/index.js';

export interface EngineState {
  tracker: TrackerState;
  rules: RulesState;
  lifecycle: LifecycleState;
}

export interface EngineParams {
  camera: Pick<CameraConfig, 'zones'>;
  section: Pick<CameraSection, 'labels' | 'timezone' | 'tracker' | 'updateEveryS'>;
}

export const initialEngine = (): EngineState => ({
  tracker: initialTracker(),
  rules: initialRules(),
  lifecycle: initialLifecycle(),
});

/** Step 1: track this frame's detections. `fresh` is false for an out-of-order frame (skip it). */
export function trackFrame(
  s: EngineState,
  t: number,
  detections: readonly Detection[],
  p: EngineParams,
): { state: EngineState; tracks: Track[]; fresh: boolean } {
  const fresh = t > s.tracker.lastT;
  const { vehicle, litter } = p.section.labels;
  const r = stepTracker(
    s.tracker,
    { t, detections },
    {
      ...p.section.tracker,
      stationaryLabels: [...vehicle, ...litter],
      groupOf: groupResolver(p.section.labels.groups ?? {}),
    },
  );
  return { state: { ...s, tracker: r.state }, tracks: r.state.tracks, fresh };
}

/** Persons seen in this frame inside an active post zone: the ones to classify. */
export function personsToJudge(tracks: readonly Track[], t: number, p: EngineParams): Track[] {
  const posts = p.camera.zones.filter(
    (z) => z.type === 'post' && scheduleActive(z.schedule, t, p.section.timezone),
  );
  return tracks.filter(
    (tr) =>
      tr.seen &&
      p.section.labels.person.includes(tr.label) &&
      posts.some((z) => boxInZone(tr.box, z.polygon)),
  );
}

/** Step 2: rules and lifecycle for this frame. */
export function judgeFrame(
  s: EngineState,
  t: number,
  judgements: Readonly<Record<number, boolean>>,
  p: EngineParams,
  statics?: RuleInput['statics'],
): {
  state: EngineState;
  events: LifecycleEvent[];
  marks: Mark[];
  findings: Finding[];
  errors: { rule: string; error: string }[];
} {
  const params: RuleParams = {
    zones: p.camera.zones,
    labels: p.section.labels,
    timezone: p.section.timezone,
  };
  const r = stepRules(s.rules, { t, tracks: s.tracker.tracks, judgements, statics }, params);
  const cooldowns = new Map(p.camera.zones.map((z) => [z.id, z.cooldownS]));
  const l = stepLifecycle(
    s.lifecycle,
    { t, findings: r.findings },
    { cooldownS: (id) => cooldowns.get(id) ?? 0, updateEveryS: p.section.updateEveryS },
  );
  return {
    state: { ...s, rules: r.state, lifecycle: l.state },
    events: l.events,
    marks: r.marks,
    findings: r.findings,
    errors: r.errors,
  };
}
