/**
 * @module edge/vehicle/rules
 * The vehicle rules as an ordered list of small handlers (Traccar's manner). Each handler looks at
 * the current and previous accepted input and says whether its condition holds; the shared
 * episode machine ({@link stepEpisode}) turns that into start/update/end events. A handler that
 * throws is logged and skipped; the others still run. Pure: no clocks, no I/O.
 */
import type { IncidentKind } from '../../../protocol/index.js';
import type { VehicleSection } from '../config.js';
import type { VehicleInput } from '../state/index.js';
import {
  type EpisodeEvent,
  type EpisodeParams,
  type EpisodeState,
  idleEpisode,
  stepEpisode,
} from './episode.js';
import { allowedAt, type Geo, inCorridor, routeDistanceM, siteAt, zonesAt } from './geo.js';

export type RuleParams = VehicleSection['rules'];
export type RuleKey = keyof RuleParams;
export type Details = Record<string, string | number | boolean>;

export interface RuleContext {
  geo: Geo;
  params: RuleParams;
}

interface Condition {
  active: boolean;
  /** tracked as the episode maximum (speed, distance off route) */
  value?: number;
  /** accumulated over the episode (metres driven outside the corridor) */
  amount?: number;
  details?: Details;
}

interface RuleHandler {
  key: RuleKey;
  kind: IncidentKind;
  episode(p: RuleParams): EpisodeParams;
  evaluate(cur: VehicleInput, prev: VehicleInput | undefined, ctx: RuleContext): Condition;
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const localMinute = (t: number, offsetMin: number) => {
  const m = Math.floor((t / 60_000 + offsetMin) % 1440);
  return m < 0 ? m + 1440 : m;
};
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** The handlers, in the order they run. */
export const RULES: readonly RuleHandler[] = [
  {
    key: 'overspeed',
    kind: 'overspeed',
    episode: (p) => ({ ...p.overspeed, updateEveryS: 60 }),
    evaluate(cur, _prev, { geo, params }) {
      const limited = zonesAt(geo, cur.lat, cur.lon).filter((z) => z.speedLimitKmh !== undefined);
      // the most restrictive zone wins; zone limits override the default
      const zone = limited.sort((a, b) => a.speedLimitKmh! - b.speedLimitKmh!)[0];
      const limit = zone?.speedLimitKmh ?? params.overspeed.defaultLimitKmh;
      const details: Details = zone
        ? { limitKmh: limit, zoneId: zone.id, zoneName: zone.name }
        : { limitKmh: limit };
      return { active: cur.speedKmh > limit + params.overspeed.toleranceKmh, value: cur.speedKmh, details };
    },
  },
  {
    key: 'routeDeviation',
    kind: 'route_deviation',
    episode: (p) => ({ ...p.routeDeviation, minAmount: p.routeDeviation.minDistanceM }),
    evaluate(cur, prev, { geo }) {
      if (!geo.corridor || inCorridor(geo, cur.lat, cur.lon)) return { active: false };
      const off = routeDistanceM(geo, cur.lat, cur.lon) ?? 0;
      const step = prev ? Math.hypot(...delta(prev, cur)) : 0;
      return { active: true, value: off, amount: step };
    },
  },
  {
    key: 'dumping',
    kind: 'dumping_outside_site',
    episode: (p) => p.dumping,
    evaluate(cur, _prev, { geo, params }) {
      if (cur.dumpBodyRaised !== true || cur.speedKmh >= params.dumping.stationaryBelowKmh)
        return { active: false };
      return { active: siteAt(geo, cur.lat, cur.lon) === undefined };
    },
  },
  {
    key: 'coverOpen',
    kind: 'cover_open',
    episode: (p) => p.coverOpen,
    evaluate(cur, _prev, { params }) {
      return {
        active: cur.coverOpen === true && cur.speedKmh > params.coverOpen.aboveKmh,
        value: cur.speedKmh,
      };
    },
  },
  {
    key: 'restricted',
    kind: 'restricted_zone',
    episode: (p) => p.restricted,
    evaluate(cur, _prev, { geo, params }) {
      const min = localMinute(cur.t, params.restricted.utcOffsetMin);
      const zone = zonesAt(geo, cur.lat, cur.lon).find((z) => z.restricted && !allowedAt(z, min));
      if (!zone) return { active: false };
      const details: Details = { zoneId: zone.id, zoneName: zone.name, localTime: hhmm(min) };
      if (zone.allowed) details.allowedHours = `${hhmm(zone.allowed[0])}-${hhmm(zone.allowed[1])}`;
      return { active: true, details };
    },
  },
];

/** Metres east and north from a to b (equirectangular; fine over one fix interval). */
function delta(a: VehicleInput, b: VehicleInput): [number, number] {
  const k = 111_320;
  return [(b.lon - a.lon) * k * Math.cos(((a.lat + b.lat) / 2) * (Math.PI / 180)), (b.lat - a.lat) * k];
}

export interface RulesState {
  episodes: Record<RuleKey, EpisodeState>;
  /** details captured while the condition held, for the incident */
  details: Record<RuleKey, Details>;
  errors: number;
}

export const initialRulesState = (): RulesState => ({
  episodes: Object.fromEntries(RULES.map((r) => [r.key, idleEpisode()])) as Record<RuleKey, EpisodeState>,
  details: Object.fromEntries(RULES.map((r) => [r.key, {}])) as Record<RuleKey, Details>,
  errors: 0,
});

export interface RuleEvent {
  rule: RuleKey;
  kind: IncidentKind;
  event: EpisodeEvent;
  /** rule-specific facts: limit, zone, max speed (km/h), duration (s), distances (m) */
  details: Details;
  at: VehicleInput;
}

function describe(rule: RuleKey, e: EpisodeEvent, captured: Details): Details {
  const until = e.type === 'end' ? e.endedAt : e.t;
  const d: Details = { ...captured, durationS: Math.round((until - e.startedAt) / 1000) };
  if (rule === 'overspeed' || rule === 'coverOpen') {
    if (e.max !== undefined) d.maxSpeedKmh = round1(e.max);
  }
  if (rule === 'routeDeviation') {
    if (e.max !== undefined) d.maxOffRouteM = Math.round(e.max);
    d.outsideDistanceM = Math.round(e.acc);
  }
  return d;
}

/**
 * Run every enabled rule on one accepted input.
 * @example
 * let rs = initialRulesState();
 * const { state, events } = stepRules(rs, cur, prev, { geo, params }, log);
 */
export function stepRules(
  s: RulesState,
  cur: VehicleInput,
  prev: VehicleInput | undefined,
  ctx: RuleContext,
  onError: (rule: RuleKey, err: Error) => void = () => {},
): { state: RulesState; events: RuleEvent[] } {
  const next: RulesState = { episodes: { ...s.episodes }, details: { ...s.details }, errors: s.errors };
  const events: RuleEvent[] = [];
  for (const r of RULES) {
    if (!ctx.params[r.key].enabled) continue;
    try {
      const c = r.evaluate(cur, prev, ctx);
      const ep = s.episodes[r.key];
      const out = stepEpisode(
        ep,
        { t: cur.t, active: c.active, value: c.value, amount: c.amount },
        r.episode(ctx.params),
      );
      // details describe the episode as it began (zone, limit); refreshed only while not active
      if (c.active && c.details && (ep.phase === 'idle' || ep.phase === 'pending'))
        next.details[r.key] = c.details;
      next.episodes[r.key] = out.state;
      for (const e of out.events)
        events.push({
          rule: r.key,
          kind: r.kind,
          event: e,
          details: describe(r.key, e, next.details[r.key]),
          at: cur,
        });
    } catch (e) {
      next.errors++;
      onError(r.key, e as Error);
    }
  }
  return { state: next, events };
}
