/** The `jt808:` section and its place in the gateway config: strict, and every error names what is wrong. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';
import { loadJt808Section } from './config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DEMO = path.join(ROOT, 'edge/vehicle/demo');
const dir = mkdtempSync(path.join(tmpdir(), 'jt808-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const geo = {
  route: `${DEMO}/route.geojson`,
  sites: `${DEMO}/sites.geojson`,
  zones: `${DEMO}/zones.geojson`,
};
const truck = { id: 'hy-1', plate: '湘D·A0001', phone: '13900000001', vendor: 'generic-io' };
const load = (s: Record<string, unknown>) => loadJt808Section({ geo, vehicles: [truck], ...s }, dir);

describe('jt808 config', () => {
  it('defaults: loopback, the shipped vendor file, the vehicle rules', () => {
    const { cfg, vendors } = load({});
    expect(cfg.listen).toEqual({ host: '127.0.0.1', port: 7808 });
    expect(cfg.rules.overspeed.defaultLimitKmh).toBe(60);
    expect(vendors['generic-io']?.coverOpen).toEqual({ io: 1, activeLow: false });
  });

  it('refuses unknown keys, bad phones, duplicates, a missing vendor and a vendor without the signal a rule needs', () => {
    expect(() => load({ lisen: {} })).toThrow(/lisen/);
    expect(() => load({ vehicles: [{ ...truck, phone: '139-0000' }] })).toThrow(
      /vehicles\.0\.phone.*digits only/,
    );
    expect(() =>
      load({ vehicles: [truck, { ...truck, id: 'hy-2', plate: '湘D·A0002', phone: '0013900000001' }] }),
    ).toThrow(/vehicle hy-2: phone 13900000001 is listed twice/);
    expect(() => load({ vehicles: [{ ...truck, vendor: 'acme' }] })).toThrow(
      /vehicle hy-1: vendor "acme" is not in/,
    );
    expect(() => load({ vehicles: [{ ...truck, vendor: 'door-switch' }] })).toThrow(
      /vehicle hy-1: rule dumping needs dumpBodyRaised/,
    );
    expect(() =>
      load({ vehicles: [{ ...truck, vendor: 'door-switch' }], rules: { dumping: { enabled: false } } }),
    ).not.toThrow();
    expect(() => load({ geo: {} })).toThrow(/routeDeviation needs geo.route/);
  });

  it('a vendor file is checked too', () => {
    const f = path.join(dir, 'vendors.yaml');
    writeFileSync(f, 'acme:\n  coverOpen: { item: 0x20, byte: 0, bit: 1 }\n');
    expect(() => load({ vendorsFile: f, vehicles: [{ ...truck, vendor: 'acme' }] })).toThrow(
      /acme\.coverOpen/,
    );
  });

  it('in the gateway config: a vehicle gateway may have only a jt808 section; a checkpoint may not have one', () => {
    const base = 'gatewayId: gw-1\nnats: {}\n';
    expect(parseGatewayConfig(`${base}kind: vehicle\njt808: { vehicles: [] }\n`, dir).jt808).toBeDefined();
    expect(() => parseGatewayConfig(`${base}kind: vehicle\n`, dir)).toThrow(
      /needs a vehicle section or a jt808 section/,
    );
    expect(() => parseGatewayConfig(`${base}kind: checkpoint\ncameras: {}\njt808: {}\n`, dir)).toThrow(
      /the jt808 section belongs to a vehicle gateway/,
    );
  });
});
