/** Vehicle state and rules as pure timed sequences: no clocks, no sleeps, no I/O. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VehicleSection } from '../config.js';
import { initialVehicleState, stepVehicle, type VehicleInput } from '../state/index.js';
import { idleEpisode, stepEpisode } from './episode.js';
import { type Geo, loadGeo } from './geo.js';
import { initialRulesState, type RuleEvent, stepRules } from './index.js';

const DEMO = path.resolve(import.meta.dirname, '../demo');
const geo = loadGeo({ route: 'route.geojson', sites: 'sites.geojson', zones: 'zones.geojson' }, 100, DEMO);
const section = VehicleSection.parse({
  id: 'truck-1',
  plate: '浙A·D1234',
  gnss: { port: '/dev/null' },
  di: { dumpBodyRaised: { path: '/x' }, coverOpen: { path: '/y' } },
  geo: { route: 'r', sites: 's', zones: 'z' },
});
const params = section.rules;
// 10:00 Beijing time
const T0 = Date.parse('2026-06-01T02:00:00Z');

/** Points along a line at constant speed, one per second. */
function drive(
  from: [number, number],
  to: [number, number],
  speedKmh: number,
  t0: number,
  extra: Partial<VehicleInput> = {},
) {
  const len = Math.hypot((to[0] - from[0]) * 96_000, (to[1] - from[1]) * 111_320);
  const n = Math.max(1, Math.round(len / (speedKmh / 3.6)));
  return Array.from(
    { length: n },
    (_, i): VehicleInput => ({
      t: t0 + i * 1000,
      lon: from[0] + ((to[0] - from[0]) * i) / n,
      lat: from[1] + ((to[1] - from[1]) * i) / n,
      speedKmh,
      ...extra,
    }),
  );
}
function stay(at: [number, number], seconds: number, t0: number, extra: Partial<VehicleInput> = {}) {
  return Array.from(
    { length: seconds },
    (_, i): VehicleInput => ({ t: t0 + i * 1000, lon: at[0], lat: at[1], speedKmh: 0, ...extra }),
  );
}

function run(inputs: VehicleInput[], g: Geo = geo, onError?: (r: string, e: Error) => void) {
  let vs = initialVehicleState();
  let rs = initialRulesState();
  const events: RuleEvent[] = [];
  for (const i of inputs) {
    const st = stepVehicle(vs, i, 200);
    vs = st.state;
    if (!st.accepted) continue;
    const out = stepRules(rs, st.accepted.cur, st.accepted.prev, { geo: g, params }, onError);
    rs = out.state;
    events.push(...out.events);
  }
  return { events, vs, rs };
}
const summary = (ev: RuleEvent[]) => ev.map((e) => `${e.kind}:${e.event.type}`);

describe('rules - episode machine', () => {
  it('rules - a condition shorter than the minimum never starts; a long one starts and ends once', () => {
    const p = { minDurationS: 10, endAfterS: 5 };
    let s = idleEpisode();
    const types: string[] = [];
    const feed = (t: number, active: boolean, value?: number) => {
      const o = stepEpisode(s, { t: t * 1000, active, value }, p);
      s = o.state;
      types.push(...o.events.map((e) => `${e.type}@${t}`));
      return o.events;
    };
    for (let t = 0; t < 9; t++) feed(t, true);
    feed(9, false);
    for (let t = 20; t <= 40; t++) feed(t, true, t);
    feed(41, false);
    feed(43, true); // a short dip does not split the episode
    feed(44, false);
    const end = feed(50, false);
    expect(types).toEqual(['start@30', 'end@50']);
    expect(end[0]).toMatchObject({ startedAt: 20_000, endedAt: 44_000, max: 40 });
  });
});

describe('rules - vehicle state', () => {
  it('rules - out-of-order and replayed fixes are dropped and counted', () => {
    const a = { t: T0, lat: 30.28, lon: 120.13, speedKmh: 0 };
    let s = stepVehicle(initialVehicleState(), a, 200).state;
    const r1 = stepVehicle(s, { ...a, t: T0 - 1000 }, 200);
    const r2 = stepVehicle(r1.state, a, 200);
    expect([r1.dropped, r2.dropped]).toEqual(['outOfOrder', 'outOfOrder']);
    s = r2.state;
    expect(s.dropped.outOfOrder).toBe(2);
  });

  it('rules - a GPS jump beyond physical speed is discarded and counted; three in a row re-anchor', () => {
    let s = stepVehicle(initialVehicleState(), { t: T0, lat: 30.28, lon: 120.13, speedKmh: 0 }, 200).state;
    const far = (k: number) => ({ t: T0 + k * 1000, lat: 30.38, lon: 120.13, speedKmh: 0 });
    const r = [1, 2, 3].map((k) => {
      const x = stepVehicle(s, far(k), 200);
      s = x.state;
      return x.dropped ?? 'ok';
    });
    expect(r).toEqual(['jump', 'jump', 'ok']);
    expect(s.dropped.jumps).toBe(2);
  });
});

describe('rules - handlers', () => {
  it('rules - overspeed: zone limit overrides the default; one episode with max speed and duration', () => {
    // the school zone (limit 30) from lat 30.277 to 30.273 at 45 km/h, then 40 km/h
    const seq = [
      ...drive([120.15, 30.279], [120.15, 30.2772], 40, T0),
      ...drive([120.15, 30.2768], [120.15, 30.2732], 45, T0 + 20_000),
      ...drive([120.15, 30.2728], [120.15, 30.27], 40, T0 + 60_000),
    ];
    const { events } = run(seq);
    expect(summary(events)).toEqual(['overspeed:start', 'overspeed:end']);
    const end = events[1];
    expect(end.details).toMatchObject({ limitKmh: 30, zoneId: 'school-xixi', maxSpeedKmh: 45 });
    expect(end.details.durationS).toBeGreaterThanOrEqual(25);
    expect(end.details.durationS).toBeLessThanOrEqual(40);
  });

  it('rules - overspeed: 50 km/h outside zones is under the default 60; 70 is over, with an update after 60 s', () => {
    expect(run(drive([120.13, 30.28], [120.149, 30.28], 50, T0)).events).toEqual([]);
    const { events } = run([
      ...drive([120.13, 30.28], [120.149, 30.28], 70, T0),
      ...stay([120.149, 30.28], 10, T0 + 120_000),
    ]);
    // over 60 s long: one update revision in between
    expect(summary(events)).toEqual(['overspeed:start', 'overspeed:update', 'overspeed:end']);
    expect(events[0].details.limitKmh).toBe(60);
  });

  it('rules - route deviation: one jittery fix is not a deviation; a detour is one', () => {
    const jitter = drive([120.13, 30.28], [120.149, 30.28], 40, T0).map((p, i) =>
      i === 50 ? { ...p, lat: p.lat + 0.002 } : p,
    );
    expect(run(jitter).events).toEqual([]);
    const detour = [
      ...drive([120.15, 30.27], [120.15, 30.262], 40, T0),
      ...drive([120.15, 30.262], [120.17, 30.262], 40, T0 + 80_000),
      ...drive([120.17, 30.262], [120.17, 30.27], 40, T0 + 260_000),
      ...stay([120.17, 30.27], 20, T0 + 340_000),
    ];
    const { events } = run(detour);
    const rd = events.filter((e) => e.kind === 'route_deviation');
    expect(rd.map((e) => e.event.type)).toEqual(['start', 'end']);
    expect(rd[1].details.maxOffRouteM).toBeGreaterThan(800);
    expect(rd[1].details.outsideDistanceM).toBeGreaterThan(1500);
    // the detour crossed the restricted core area at 10:00, outside its 22:00-06:00 window
    const rz = events.filter((e) => e.kind === 'restricted_zone');
    expect(rz.map((e) => e.event.type)).toEqual(['start', 'end']);
    expect(rz[0].details).toMatchObject({ zoneId: 'core-area', allowedHours: '22:00-06:00' });
  });

  it('rules - restricted zone at night (23:00 local) is allowed', () => {
    const night = Date.parse('2026-06-01T15:00:00Z');
    const { events } = run(drive([120.155, 30.262], [120.165, 30.262], 40, night));
    expect(events.filter((e) => e.kind === 'restricted_zone')).toEqual([]);
  });

  it('rules - dumping: body raised while stopped outside sites fires; inside a site or moving does not', () => {
    const inSite = stay([120.17, 30.27], 60, T0, { dumpBodyRaised: true });
    expect(run(inSite).events).toEqual([]);
    const moving = drive([120.13, 30.28], [120.149, 30.28], 20, T0, { dumpBodyRaised: true });
    expect(run(moving).events.filter((e) => e.kind === 'dumping_outside_site')).toEqual([]);
    const outside = [
      ...stay([120.14, 30.28], 40, T0, { dumpBodyRaised: true }),
      ...stay([120.14, 30.28], 10, T0 + 40_000),
    ];
    const { events } = run(outside);
    expect(summary(events)).toEqual(['dumping_outside_site:start', 'dumping_outside_site:end']);
    expect(events[1].details.durationS).toBe(40);
  });

  it('rules - cover open above 10 km/h for 20 s fires once; open while parked does not', () => {
    expect(run(stay([120.14, 30.28], 60, T0, { coverOpen: true })).events).toEqual([]);
    const seq = [
      ...drive([120.13, 30.28], [120.14, 30.28], 40, T0, { coverOpen: true }),
      ...drive([120.14, 30.28], [120.149, 30.28], 40, T0 + 90_000, { coverOpen: false }),
    ];
    const { events } = run(seq);
    expect(summary(events)).toEqual(['cover_open:start', 'cover_open:end']);
    expect(events[1].details.maxSpeedKmh).toBe(40);
  });

  it('rules - a throwing rule is logged and skipped; the others still run', () => {
    const broken: Geo = {
      ...geo,
      zones: [{ ...geo.zones[0], area: null as never, bbox: [-180, -90, 180, 90] }],
    };
    const errors: string[] = [];
    const seq = drive([120.13, 30.28], [120.14, 30.28], 40, T0, { coverOpen: true });
    const { events, rs } = run(seq, broken, (rule) => errors.push(rule));
    expect(summary(events)).toEqual(['cover_open:start']);
    expect(new Set(errors)).toEqual(new Set(['overspeed', 'restricted']));
    expect(rs.errors).toBe(errors.length);
  });
});
