/** @module edge/camera/rules/types  What every zone rule is given and returns. */
import type { IncidentKind } from '../../../protocol/index.js';
import type { ZoneConfig } from '../config.js';
import type { Track } from '../track/index.js';

export interface RuleInput {
  t: number;
  /** alive tracks (matched this frame or recently) */
  tracks: readonly Track[];
  /** person trackId → in uniform?, for persons classified in this frame */
  judgements: Readonly<Record<number, boolean>>;
}

export interface RuleParams {
  zones: readonly ZoneConfig[];
  labels: { vehicle: readonly string[]; person: readonly string[]; litter: readonly string[] };
  timezone: string;
}

/** A cause that is true now. The lifecycle turns findings into new/update/end. */
export interface Finding {
  key: string;
  kind: IncidentKind;
  zoneId: string;
  trackIds: number[];
  confidence: number;
  /** when the cause began, ms */
  since: number;
  details: Record<string, string | number | boolean>;
}

/** "Keep this frame": evidence of a cause's start (e.g. the car as it stopped). */
export interface Mark {
  key: string;
  zoneId: string;
  trackIds: number[];
}

export interface Rule<S> {
  readonly kind: IncidentKind;
  init(): S;
  step(state: S, input: RuleInput, p: RuleParams): { state: S; findings: Finding[]; marks?: Mark[] };
}
