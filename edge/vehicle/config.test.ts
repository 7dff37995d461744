/** The vehicle section: strict schema, named cross-field checks, docs generated from it, example config. */
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { formatIssues } from '../../protocol/index.js';
import { CONFIG_DOCS, normaliseTables, renderReadme } from '../../scripts/config-doc.js';
import { until } from '../../test/support/until.js';
import type { IncidentDraft } from '../unit.js';
import { createVehicleUnit, VehicleSection } from './index.js';
import { inCorridor, loadGeo, siteAt } from './rules/geo.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DEMO = path.join(ROOT, 'edge/vehicle/demo');
const log = { info() {}, warn() {}, error() {}, debug() {} };
const dir = mkdtempSync(path.join(tmpdir(), 'vehicle-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const minimal = { id: 'truck-3', plate: '浙A·00003', gnss: { port: '/dev/ttyUSB9' } };
const gnssOnly = {
  dumping: { enabled: false },
  coverOpen: { enabled: false },
  routeDeviation: { enabled: false },
};

function issues(raw: unknown): string {
  const r = VehicleSection.safeParse(raw);
  return r.success ? '' : formatIssues(r.error);
}

describe('vehicle config', () => {
  // what config sync carries (central → gateway): the route corridor and sites as values, not files
  it('config - geo takes inline GeoJSON, checked as the files are, errors naming the key', async () => {
    const read = (f: string) => JSON.parse(readFileSync(path.join(DEMO, f), 'utf8'));
    const inline = VehicleSection.parse({
      ...minimal,
      rules: { dumping: { enabled: false }, coverOpen: { enabled: false } },
      geo: { route: read('route.geojson'), sites: read('sites.geojson') },
    }).geo;
    const fromFiles = loadGeo({ route: 'route.geojson', sites: 'sites.geojson' }, 100, DEMO);
    const fromInline = loadGeo(inline, 100, '/nonexistent');
    expect(fromInline.corridor).toEqual(fromFiles.corridor);
    expect(fromInline.sites.map((x) => x.id)).toEqual(fromFiles.sites.map((x) => x.id));
    const site = fromFiles.sites[0]!;
    const [lon, lat] = (
      site.area.geometry.type === 'Polygon'
        ? site.area.geometry.coordinates[0]!
        : site.area.geometry.coordinates[0]![0]!
    )[0]!;
    const c = { lon: (site.bbox[0] + site.bbox[2]) / 2, lat: (site.bbox[1] + site.bbox[3]) / 2 };
    expect(siteAt(fromInline, c.lat, c.lon)?.id).toBe(siteAt(fromFiles, c.lat, c.lon)?.id);
    expect(inCorridor(fromInline, lat!, lon!)).toBe(inCorridor(fromFiles, lat!, lon!));

    // not GeoJSON at all: the schema names the key
    expect(
      issues({ ...minimal, rules: gnssOnly, geo: { sites: { type: 'Point', coordinates: [0, 0] } } }),
    ).toMatch(/geo\.sites/);
    // GeoJSON of the wrong shape: the same check as a file's, naming the inline key and the feature
    const line = { type: 'FeatureCollection', features: [read('route.geojson').features[0]] };
    await expect(
      createVehicleUnit(
        { ...minimal, rules: { ...gnssOnly, dumping: { enabled: false } }, geo: { sites: line } },
        { gatewayId: 'gw-1', dataDir: dir, log },
      ),
    ).rejects.toThrow(/geo\.sites \(inline GeoJSON\): feature 0 is LineString, expected a Polygon/);
  });

  it('config - unknown keys are rejected with their path', () => {
    expect(issues({ ...minimal, rules: gnssOnly, gnss: { port: 'x', baudrate: 9600 } })).toMatch(
      /gnss.*baudrate/,
    );
  });

  it('config - a rule without what it needs is an error naming the vehicle', () => {
    const msg = issues(minimal);
    expect(msg).toContain(
      'vehicle truck-3: rule dumping needs can.signals.dumpBodyRaised or di.dumpBodyRaised',
    );
    expect(msg).toContain('vehicle truck-3: rule routeDeviation needs geo.route');
    expect(issues({ ...minimal, rules: gnssOnly })).toBe('');
  });

  it('config - bounds and enumerations are enforced', () => {
    expect(issues({ ...minimal, rules: { ...gnssOnly, overspeed: { defaultLimitKmh: 500 } } })).toMatch(
      /defaultLimitKmh/,
    );
    expect(issues({ ...minimal, rules: gnssOnly, gnss: { port: 'x', baud: 12345 } })).toMatch(/gnss.baud/);
    expect(
      issues({ ...minimal, rules: gnssOnly, telemetry: { minIntervalS: 60, maxIntervalS: 30 } }),
    ).toContain('vehicle truck-3: telemetry.minIntervalS must not exceed maxIntervalS');
  });

  it('config - the README table is generated from the schema and up to date', () => {
    const { readme, schema } = CONFIG_DOCS.vehicle;
    const text = readFileSync(readme, 'utf8');
    expect(normaliseTables(renderReadme(text, schema)), 'run: npx tsx scripts/config-doc.ts').toBe(
      normaliseTables(text),
    );
  });

  it('config - the example section loads with its GeoJSON and DBC', async () => {
    const raw = parseYaml(readFileSync(path.join(DEMO, 'vehicle.example.yaml'), 'utf8')).vehicle;
    const ctx = { gatewayId: 'gw-1', dataDir: dir, log, configDir: DEMO };
    const unit = await createVehicleUnit(raw, ctx);
    expect(unit.name).toBe('vehicle:truck-zj-a12345');
  });

  it('config - a mapped CAN signal missing from the DBC names the vehicle and the signal', async () => {
    const raw = parseYaml(readFileSync(path.join(DEMO, 'vehicle.example.yaml'), 'utf8')).vehicle;
    raw.can.signals.coverOpen.signal = 'Tarp';
    await expect(
      createVehicleUnit(raw, { gatewayId: 'gw-1', dataDir: dir, log, configDir: DEMO } as never),
    ).rejects.toThrow(
      'vehicle truck-zj-a12345: can.signals.coverOpen.signal "Tarp" is not in ../can/muck-truck.dbc',
    );
  });

  it('config - digital input lines give the body and cover state', async () => {
    const body = path.join(dir, 'gpio17');
    const cover = path.join(dir, 'gpio18');
    writeFileSync(body, '1\n');
    writeFileSync(cover, '1\n');
    const unit = await createVehicleUnit(
      {
        ...minimal,
        gnss: { port: path.join(dir, 'no-such-tty') },
        di: { dumpBodyRaised: { path: body }, coverOpen: { path: cover, activeLow: true }, pollMs: 50 },
        geo: { sites: path.join(DEMO, 'sites.geojson') },
        rules: { routeDeviation: { enabled: false } },
      },
      { gatewayId: 'gw-1', dataDir: dir, log },
    );
    await unit.start({ async incident() {}, telemetry() {} });
    try {
      const where = async () =>
        (await unit.command!(
          { v: 1, requestId: 'q', verb: 'where', sentAt: new Date().toISOString() },
          undefined as never,
        ))!;
      await until(
        async () => 'dumpBodyRaised' in ((await where()).signals as object),
        'the DI signals',
        5000,
      );
      expect((await where()).signals).toEqual({ dumpBodyRaised: true, coverOpen: false });
      expect((await where()).position).toBeNull();
      expect(unit.devices().find((d) => d.type === 'di')).toMatchObject({ online: true });
      expect(unit.devices().find((d) => d.type === 'gps')).toMatchObject({ online: false });
    } finally {
      await unit.stop();
    }
  });

  // Regression: a digital-input device going offline showed in the device list but raised no incident.
  it('config - an unreadable digital input raises the same 93.01 device_offline as gps/can, ended when back', async () => {
    const body = path.join(dir, 'gpio27');
    writeFileSync(body, '0\n');
    const drafts: IncidentDraft[] = [];
    const unit = await createVehicleUnit(
      {
        ...minimal,
        gnss: { port: path.join(dir, 'no-such-tty-2') },
        di: { dumpBodyRaised: { path: body }, pollMs: 50 },
        geo: { sites: path.join(DEMO, 'sites.geojson') },
        rules: { routeDeviation: { enabled: false }, coverOpen: { enabled: false } },
        deviceOfflineAfterS: 1,
      },
      { gatewayId: 'gw-1', dataDir: mkdtempSync(path.join(dir, 'di-')), log },
    );
    const di = () => drafts.filter((d) => d.details?.device === 'di');
    await unit.start({
      async incident(d) {
        drafts.push(d);
      },
      telemetry() {},
    });
    try {
      await until(() => unit.devices().some((d) => d.type === 'di' && d.online), 'di online');
      unlinkSync(body);
      await until(() => di().length > 0, 'di offline incident');
      expect(di()[0]).toMatchObject({
        kind: 'device_offline',
        category: '93.01',
        lifecycle: 'new',
        details: { deviceId: 'truck-3-di' },
      });
      expect(String(di()[0].details?.error)).toContain('gpio27');
      writeFileSync(body, '1\n');
      await until(() => di().some((d) => d.lifecycle === 'end'), 'di back');
      expect(di().map((d) => [d.lifecycle, d.id])).toEqual([
        ['new', di()[0].id],
        ['end', di()[0].id],
      ]);
    } finally {
      await unit.stop();
    }
  });
});
