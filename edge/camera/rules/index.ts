/**
 * @module edge/camera/rules
 * The zone rules, in order, each a pure `(state, input, params) → { state, findings, marks }`.
 * A rule that throws is reported and skipped for that frame (its state is kept); the others run.
 */

import { absence } from './absence.js';
import { litter } from './litter.js';
import { parking } from './parking.js';
import type { Finding, Mark, Rule, RuleInput, RuleParams } from './types.js';
import { uniform } from './uniform.js';

export {
  type IncidentRef,
  initialLifecycle,
  type LifecycleEvent,
  type LifecycleState,
  type OpenIncident,
  stepLifecycle,
} from './lifecycle.js';
export type { CauseBox, Finding, Mark, Rule, RuleInput, RuleParams } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each rule owns its state shape
export const RULES: readonly Rule<any>[] = [parking, litter, uniform, absence];

export type RulesState = Record<string, unknown>;

export const initialRules = (): RulesState => Object.fromEntries(RULES.map((r) => [r.kind, r.init()]));

export function stepRules(
  state: RulesState,
  input: RuleInput,
  p: RuleParams,
  // biome-ignore lint/suspicious/noExplicitAny: each rule owns its state shape
  rules: readonly Rule<any>[] = RULES,
): { state: RulesState; findings: Finding[]; marks: Mark[]; errors: { rule: string; error: string }[] } {
  const next: RulesState = { ...state };
  const findings: Finding[] = [];
  const marks: Mark[] = [];
  const errors: { rule: string; error: string }[] = [];
  for (const r of rules) {
    try {
      const out = r.step(state[r.kind] ?? r.init(), input, p);
      next[r.kind] = out.state;
      findings.push(...out.findings);
      marks.push(...(out.marks ?? []));
    } catch (e) {
      errors.push({ rule: r.kind, error: (e as Error).message });
    }
  }
  return { state: next, findings, marks, errors };
}
