/**
 * @module edge/vehicle/pipeline
 * One vehicle's path from accepted fixes to incidents and telemetry, whatever the fixes come
 * from (serial NMEA in vehicle-unit.ts, a JT/T 808 terminal in edge/jt808): state (out-of-order
 * and jump filter) → rules → incident revisions in order, and bounded-rate telemetry.
 */
import type { EdgeSinks, EvidenceImage, IncidentDraft, UnitContext } from '../unit.js';
import type { VehicleSection } from './config.js';
import { draftFor, type EpisodeRef } from './incidents.js';
import { closeEpisode, idleEpisode, isOpen, reviseEpisode } from './rules/episode.js';
import type { Geo } from './rules/geo.js';
import { initialRulesState, RULES, type RuleEvent, type RuleKey, stepRules } from './rules/index.js';
import { initialVehicleState, type StepResult, stepVehicle, type VehicleInput } from './state/index.js';
import { TelemetryBatcher } from './telemetry.js';

export interface PipelineOptions {
  id: string;
  plate: string;
  geo: Geo;
  rules: VehicleSection['rules'];
  telemetry: VehicleSection['telemetry'];
  maxJumpKmh: number;
  log: UnitContext['log'];
  /** signals attached to each telemetry point */
  pointSignals?: () => Record<string, number | boolean>;
  /** told of every rule episode event (e.g. to ask a terminal for a photo when one starts) */
  onRuleEvent?: (e: RuleEvent) => void;
}

export class VehiclePipeline {
  vstate = initialVehicleState();
  /** the rule episodes: the one record of this vehicle's open rule incidents (ids, revisions) */
  rstate = initialRulesState();
  readonly telemetry: TelemetryBatcher;
  /** the last accepted input */
  last: VehicleInput | undefined;
  private sinks: EdgeSinks | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: PipelineOptions) {
    this.telemetry = new TelemetryBatcher(o.telemetry, (pts) => {
      try {
        this.sinks?.telemetry(o.id, pts);
      } catch (e) {
        o.log.error({ vehicle: o.id, err: (e as Error).message }, 'telemetry batch not taken');
      }
    });
  }

  attach(sinks: EdgeSinks | undefined): void {
    this.sinks = sinks;
  }

  /** Feed one sane fix through state and rules; returns what the state filter did with it. */
  fix(input: VehicleInput): StepResult {
    const step = stepVehicle(this.vstate, input, this.o.maxJumpKmh);
    this.vstate = step.state;
    if (!step.accepted) return step;
    this.last = input;
    const out = stepRules(
      this.rstate,
      input,
      step.accepted.prev,
      { geo: this.o.geo, params: this.o.rules },
      (rule, err) =>
        this.o.log.error({ vehicle: this.o.id, rule, err: err.message }, 'vehicle rule failed; skipped'),
    );
    this.rstate = out.state;
    for (const e of out.events) {
      this.emit({ key: e.rule, kind: e.kind, event: e.event, details: e.details, at: e.at });
      this.o.onRuleEvent?.(e);
    }
    this.telemetry.offer(input, this.o.pointSignals?.());
    return step;
  }

  /** Hand one incident revision to the sinks, in order: a revision is written only after the one before it. */
  emit(e: EpisodeRef, images?: EvidenceImage[]): void {
    this.emitDraft(draftFor(this.o, e), images);
  }

  /** Hand over a revision drafted elsewhere (e.g. for a vehicle no longer configured). */
  emitDraft(d: IncidentDraft, images?: EvidenceImage[]): void {
    const sinks = this.sinks;
    if (!sinks) return;
    this.chain = this.chain
      .then(() => sinks.incident(d, images))
      .catch((err) =>
        this.o.log.error(
          { vehicle: this.o.id, kind: d.kind, rev: d.rev, err: (err as Error).message },
          'incident not stored',
        ),
      );
  }

  /**
   * Attach images to the incident of every open episode as an update revision (a terminal's
   * photo taken while it lasts); returns how many incidents got them.
   */
  evidence(images: EvidenceImage[]): number {
    let n = 0;
    for (const r of RULES) {
      const ep = this.rstate.episodes[r.key];
      if (!isOpen(ep)) continue;
      const out = reviseEpisode(ep, Math.max(this.last?.t ?? ep.since!, ep.since!));
      this.rstate.episodes[r.key] = out.state;
      for (const event of out.events)
        this.emit(
          { key: r.key, kind: r.kind, event, details: this.rstate.details[r.key], at: this.last },
          images,
        );
      n++;
    }
    return n;
  }

  /** End every open rule episode (the unit stops: an incident never stays "new" forever). */
  closeRules(): void {
    const t = this.last?.t ?? Date.now();
    for (const r of RULES) {
      for (const e of closeEpisode(this.rstate.episodes[r.key], t))
        this.emit({ key: r.key, kind: r.kind, event: e, details: {}, at: this.last });
      this.rstate.episodes[r.key] = idleEpisode();
    }
  }

  /** Wait until every revision handed over so far is stored (or logged as failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Rules with an incident open (started, not yet ended). */
  openRules(): RuleKey[] {
    return RULES.filter((r) => isOpen(this.rstate.episodes[r.key])).map((r) => r.key);
  }

  activeRules(): RuleKey[] {
    return RULES.filter((r) => this.rstate.episodes[r.key].phase === 'active').map((r) => r.key);
  }
}
