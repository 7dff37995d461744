/**
 * Scenario tests through real serial ptys: the truck simulator writes NMEA and SLCAN to socat
 * pty pairs, the vehicle unit reads the other ends. Incidents are captured by a fake EdgeSinks
 * (the lead's end-to-end test covers NATS and central). Each rule fires exactly once per episode
 * with the right details, and none on a clean run, even with corrupt input mixed in.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncidentDraft } from '../edge/unit.js';
import { createVehicleUnit } from '../edge/vehicle/index.js';
import { Incident, Telemetry, type TrackPoint, validate } from '../protocol/index.js';
import {
  EXPECTED,
  nextLap,
  type ScenarioName,
  scenario,
  startPtyPair,
  startTruckSimulator,
  timeline,
} from '../sim/serial/index.js';
import { until } from './support/until.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CANDUMP = path.resolve(ROOT, '../shared/testdata/can/pretty_j1939/candump.log');
const DEMO = path.join(ROOT, 'edge/vehicle/demo');
const dir = mkdtempSync(path.join(tmpdir(), 'vehicle-scn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// 10:00 Beijing time, in the past so the sanity check accepts it
const T0 = Date.parse('2026-06-01T02:00:00Z');

const errors: object[] = [];
const log = { info() {}, warn() {}, error: (o: object) => errors.push(o), debug() {} };

const truck = (gpsPort: string, canPort: string) => ({
  id: 'truck-zj-1',
  plate: '浙A·D1234',
  gnss: { port: gpsPort },
  can: {
    port: canPort,
    dbc: path.join(ROOT, 'edge/vehicle/can/muck-truck.dbc'),
    signals: { dumpBodyRaised: { signal: 'DumpBodyRaised' }, coverOpen: { signal: 'CoverOpen' } },
  },
  geo: { route: `${DEMO}/route.geojson`, sites: `${DEMO}/sites.geojson`, zones: `${DEMO}/zones.geojson` },
});

async function runScenario(name: ScenarioName, o: { corruptEvery?: number; canReplay?: string } = {}) {
  const gps = await startPtyPair(dir, `${name}-gps`);
  const can = await startPtyPair(dir, `${name}-can`);
  const drafts: IncidentDraft[] = [];
  const batches: TrackPoint[][] = [];
  const invalid: string[] = [];
  const unit = await createVehicleUnit(truck(gps.b, can.b), {
    gatewayId: 'gw-v1',
    dataDir: mkdtempSync(path.join(dir, `${name}-state-`)),
    log,
  });
  // the simulator first: it drives once the unit has opened the SLCAN channel
  const sim = await startTruckSimulator({
    gnssPort: gps.a,
    canPort: can.a,
    scenario: name,
    t0: T0,
    intervalMs: 4,
    ...o,
  });
  try {
    await unit.start({
      async incident(d) {
        // what the gateway core does with a draft: it must be a valid wire incident
        const checked = validate(Incident, { ...d, v: 1, gatewayId: 'gw-v1', evidence: [] });
        if (!checked.ok) invalid.push(`incident: ${checked.reason}`);
        drafts.push(d);
      },
      telemetry(vehicleId, pts) {
        const msg = { v: 1, gatewayId: 'gw-v1', vehicleId, sentAt: new Date().toISOString(), points: pts };
        const checked = validate(Telemetry, msg);
        if (!checked.ok) invalid.push(`telemetry: ${checked.reason}`);
        batches.push(pts);
      },
    });
    await sim.done;
    await until(
      () => {
        const read = unit.devices()[0].counters?.sentences ?? 0;
        return read >= 2 * sim.samples.length;
      },
      'all sentences read',
      10_000,
    );
    const reply = await unit.command!(
      { v: 1, requestId: 'r1', verb: 'where', sentAt: new Date().toISOString() },
      undefined as never,
    );
    await unit.stop();
    expect(invalid).toEqual([]);
    expect(errors).toEqual([]);
    return { drafts, batches, reply, devices: unit.devices(), sim };
  } finally {
    await sim.stop();
    await unit.stop();
    await gps.stop();
    await can.stop();
  }
}

const opened = (drafts: IncidentDraft[]) =>
  drafts
    .filter((d) => d.lifecycle === 'new')
    .map((d) => d.kind)
    .sort();
const endOf = (drafts: IncidentDraft[], kind: string) =>
  drafts.find((d) => d.kind === kind && d.lifecycle === 'end');

describe('vehicle scenarios - through socat ptys', () => {
  it('scenario - clean run with corrupt input mixed in: no incidents, corrupt input counted', async () => {
    const r = await runScenario('clean', { corruptEvery: 20 });
    expect(opened(r.drafts)).toEqual([]);
    const gpsDev = r.devices.find((d) => d.type === 'gps')!;
    expect(r.sim.corrupt()).toBeGreaterThan(10);
    expect(gpsDev.counters!.badChecksum).toBeGreaterThan(0);
    expect(gpsDev.counters!.garbageBytes).toBeGreaterThan(0);
    expect(gpsDev.counters!.cut).toBeGreaterThan(0);
    // receiver health from the last fix
    expect(gpsDev.counters).toMatchObject({ satellitesUsed: 12, hdop: 0.8, fixMode: 3 });
    // telemetry at a bounded rate, in order, batched
    const pts = r.batches.flat();
    const spanS = (r.sim.samples.at(-1)!.t - r.sim.samples[0].t) / 1000;
    expect(pts.length).toBeGreaterThanOrEqual(spanS / 30);
    expect(pts.length).toBeLessThanOrEqual(spanS / 5 + 1);
    expect(r.batches.every((b) => b.length <= 10)).toBe(true);
    for (let i = 1; i < pts.length; i++) expect(pts[i].t > pts[i - 1].t).toBe(true);
    // where: the truck is at the disposal site with cover closed, body down
    expect(r.reply).toMatchObject({
      vehicleId: 'truck-zj-1',
      speedKmh: 0,
      signals: { coverOpen: false, dumpBodyRaised: false },
    });
    const pos = r.reply!.position as { lat: number; lon: number };
    expect(pos.lat).toBeCloseTo(30.27, 3);
    expect(pos.lon).toBeCloseTo(120.17, 3);
    expect((r.reply!.signals as Record<string, number>).EngineSpeed).toBe(700);
  });

  it('scenario - speeding through the school zone: one overspeed episode, limit 30, max 45', async () => {
    const r = await runScenario('speeding');
    expect(opened(r.drafts)).toEqual(EXPECTED.speeding);
    const end = endOf(r.drafts, 'overspeed')!;
    expect(end.details).toMatchObject({ limitKmh: 30, zoneId: 'school-xixi', plate: '浙A·D1234' });
    expect(end.details!.maxSpeedKmh).toBeCloseTo(45, 0);
    expect(end.details!.durationS).toBeGreaterThanOrEqual(28);
    expect(end.details!.durationS).toBeLessThanOrEqual(38);
    expect(r.drafts.map((d) => [d.lifecycle, d.rev])).toEqual([
      ['new', 0],
      ['end', 1],
    ]);
  });

  it('scenario - detour: one route deviation, and one restricted-zone entry at 10:00', async () => {
    const r = await runScenario('detour');
    expect(opened(r.drafts)).toEqual([...EXPECTED.detour].sort());
    const rd = endOf(r.drafts, 'route_deviation')!;
    expect(rd.details!.maxOffRouteM).toBeGreaterThan(800);
    expect(endOf(r.drafts, 'restricted_zone')!.details).toMatchObject({
      zoneId: 'core-area',
      allowedHours: '22:00-06:00',
    });
  });

  it('scenario - dumping outside a site: one incident of about 40 s; unloading at the site is fine', async () => {
    const r = await runScenario('dumping');
    expect(opened(r.drafts)).toEqual(EXPECTED.dumping);
    const end = endOf(r.drafts, 'dumping_outside_site')!;
    expect(Math.abs((end.details!.durationS as number) - 40)).toBeLessThanOrEqual(2);
    expect(end.location.lon).toBeCloseTo(120.14, 3);
  });

  it('scenario - cover open while driving: one incident at 40 km/h', async () => {
    const r = await runScenario('cover');
    expect(opened(r.drafts)).toEqual(EXPECTED.cover);
    const end = endOf(r.drafts, 'cover_open')!;
    expect(end.details!.maxSpeedKmh).toBeCloseTo(40, 0);
    expect(end.details!.durationS).toBeGreaterThan(50);
  });

  // Regression: open episodes lived only in memory and stop() ended them, so a gateway restart in
  // the middle of an episode gave an `end`, then a second `new` for the same speeding.
  it('scenario - speeding across a gateway restart: one overspeed incident, one id, new → end', async () => {
    const gps = await startPtyPair(dir, 'restart-gps');
    const can = await startPtyPair(dir, 'restart-can');
    const stateDir = mkdtempSync(path.join(dir, 'restart-state-'));
    const drafts: IncidentDraft[] = [];
    const sinks = {
      async incident(d: IncidentDraft) {
        drafts.push(d);
      },
      telemetry() {},
    };
    const ctx = { gatewayId: 'gw-v1', dataDir: stateDir, log };
    let unit = await createVehicleUnit(truck(gps.b, can.b), ctx);
    const sim = await startTruckSimulator({
      gnssPort: gps.a,
      canPort: can.a,
      scenario: 'speeding',
      t0: T0,
      intervalMs: 4,
    });
    try {
      await unit.start(sinks);
      await until(() => drafts.some((d) => d.kind === 'overspeed'), 'overspeed new', 10_000);
      await unit.stop();
      // the gateway comes back: a new unit from the same config and data dir
      unit = await createVehicleUnit(truck(gps.b, can.b), ctx);
      await unit.start(sinks);
      await sim.done;
      await until(() => drafts.some((d) => d.lifecycle === 'end'), 'overspeed end', 10_000);
      const over = drafts.filter((d) => d.kind === 'overspeed');
      expect(over.map((d) => [d.lifecycle, d.rev])).toEqual([
        ['new', 0],
        ['end', 1],
      ]);
      expect(over[1].id).toBe(over[0].id);
      expect(over[1].details!.maxSpeedKmh).toBeCloseTo(45, 0);
    } finally {
      await sim.stop();
      await unit.stop();
      await gps.stop();
      await can.stop();
    }
  });

  it.skipIf(!existsSync(CANDUMP))(
    'scenario - a real truck candump replayed over SLCAN decodes by PGN',
    async () => {
      const r = await runScenario('clean', { canReplay: CANDUMP });
      expect(opened(r.drafts)).toEqual([]);
      expect(r.reply!.signals).toMatchObject({
        EngineSpeed: 649,
        ActualEnginePercentTorque: 10,
        TotalVehicleDistance: 854934,
      });
      const can = r.devices.find((d) => d.type === 'can')!;
      // 10FDA300 has a PGN the example DBC does not describe
      expect(can.counters!.unknownPgn).toBeGreaterThan(0);
      expect(can.counters!.malformed).toBe(0);
    },
  );
});

// Regression: the demo truck (looping at 5x) carried its fix times ever further ahead of the clock
// and then paused for the clock to catch up; after ~3.5 min its GPS and CAN went offline (93.01)
// and "last online" showed a time in the future. The pacing runs here on the test's own clock.
describe('truck simulator - hours of laps on a simulated clock', () => {
  it('truck - looping fast-forward for 6 h: no fix in the future, no gap a device would go offline in', () => {
    const samples = timeline(scenario('speeding'), 0);
    const span = samples.at(-1)!.t;
    const interval = 200; // the demo's 5x
    let wall = Date.parse('2026-12-01T00:00:00Z');
    let offset = wall - span - 1000; // the first lap ends "now", as startTruckSimulator places it
    let pace = interval;
    let lastFix = Number.NEGATIVE_INFINITY;
    let longestGap = 0;
    let laps = 0;
    let aheadMs = Number.NEGATIVE_INFINITY;
    let outOfOrder = 0;
    const end = wall + 6 * 3600_000;
    for (let i = 0; wall < end; i++) {
      if (i >= samples.length) {
        ({ offset, paceMs: pace } = nextLap(samples.at(-1)!.t + offset, samples[0].t, wall, interval));
        i = 0;
        laps++;
      }
      const t = samples[i].t + offset;
      aheadMs = Math.max(aheadMs, t - wall);
      if (t <= lastFix) outOfOrder++; // across laps too
      lastFix = t;
      wall += pace;
      longestGap = Math.max(longestGap, pace);
    }
    expect(laps).toBeGreaterThan(10);
    expect(aheadMs).toBeLessThanOrEqual(0);
    expect(outOfOrder).toBe(0);
    // the unit's staleAfterS default is 5 s: a write at least every second keeps it online
    expect(longestGap).toBeLessThanOrEqual(1000);
  });
});
