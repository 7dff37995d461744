/** @module edge/camera/rules/types  What every zone rule is given and returns. */
import type { IncidentKind } from '../../../protocol/index.js';
import type { ZoneStatics } from '../background/index.js';
import type { ZoneConfig } from '../config.js';
import type { Box } from '../detect/index.js';
import type { Track } from '../track/index.js';

export interface RuleInput {
  t: number;
  /** alive tracks (matched this frame or recently) */
  tracks: readonly Track[];
  /** person trackId → in uniform?, for persons classified in this frame */
  judgements: Readonly<Record<number, boolean>>;
  /** litter zone id → static objects against the background (zones with `litterBy: persistence`) */
  statics?: Readonly<Record<string, ZoneStatics>>;
}

/** A box that is no track (a static region found against the background), for the evidence. */
export interface CauseBox {
  label: string;
  score: number;
  box: Box;
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
  boxes?: CauseBox[];
}

/** "Keep this frame": evidence of a cause's start (e.g. the car as it stopped). */
export interface Mark {
  key: string;
  zoneId: string;
  trackIds: number[];
  boxes?: CauseBox[];
}

export interface Rule<S> {
  readonly kind: IncidentKind;
  init(): S;
  step(state: S, input: RuleInput, p: RuleParams): { state: S; findings: Finding[]; marks?: Mark[] };
}
