/** city - seed data, point-in-polygon routing and the work calendar. */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INCIDENT_KINDS } from '../../protocol/index.js';
import { OUTSIDE, ZHENGXIANG, ZHUHUI } from '../../sim/city-points.js';
import { loadUsers } from '../auth/index.js';
import { SEED_DIR } from '../central.js';
import { WorkCalendar } from './calendar.js';
import { handlesCases } from './handling.js';
import { loadCity } from './index.js';

const city = loadCity(SEED_DIR);
const cal = new WorkCalendar({
  utcOffsetMinutes: 480,
  workdays: [1, 2, 3, 4, 5],
  periods: [
    ['08:30', '12:00'],
    ['13:30', '17:30'],
  ],
  holidays: ['2026-10-01', '2026-10-02'],
  makeupWorkdays: ['2026-10-10'],
});
const local = (s: string) => new Date(`${s}+08:00`);

describe('city - seed', () => {
  it('has 185 grids with 15-digit codes under known streets and areas', () => {
    expect(city.grids.size).toBe(185);
    for (const g of city.grids.values()) {
      expect(g.code).toMatch(/^\d{15}$/);
      expect(city.units.get(g.streetId)?.kind).toBe('street');
      expect(['district', 'zone']).toContain(city.units.get(g.areaId)?.kind);
    }
  });
  it('names every category the edge produces (protocol INCIDENT_KINDS), in Chinese and English', () => {
    for (const [kind, k] of Object.entries(INCIDENT_KINDS)) {
      const c = city.categories.get(k.category);
      expect(c, `${kind} → ${k.category}`).toBeDefined();
      expect(c?.zh && c.en).toBeTruthy();
    }
  });
  it('has the plan’s assessed units', () => {
    const assessed = [...city.units.values()].filter((u) => u.assessed).map((u) => u.id);
    for (const id of [
      'zfzd',
      'gazf',
      'hwc',
      'ylc',
      'ldc',
      'bhfg',
      'wygs',
      'dc-zf',
      'dc-hw',
      'dc-yl',
      'gx-zf',
      'jk-zf',
      'lg-zf',
    ])
      expect(assessed).toContain(id);
  });
});

describe('city - the 衡阳 profile', () => {
  const byName = (name: string) => [...city.units.values()].find((u) => u.name === name);
  it('names the plan’s 考核对象 exactly, with their weights and levels', () => {
    for (const name of [
      '市城管执法支队',
      '市公安局综合执法警察支队',
      '市环卫处',
      '市园林局',
      '市路灯管理处',
      '市沿江风光带管理处',
      '西湖置业股份有限公司',
    ])
      expect(byName(name)).toMatchObject({
        kind: 'bureau_unit',
        parentId: 'bureau',
        assessed: true,
        weight: 0.1,
      });
    const districts = { 珠晖区: '430405', 雁峰区: '430406', 石鼓区: '430407', 蒸湘区: '430408' };
    for (const [name, code] of Object.entries(districts)) {
      const d = byName(name)!;
      expect(d).toMatchObject({ kind: 'district', areaCode: code, weight: 0.2, parentId: 'bureau' });
      for (const b of ['城管执法局', '环卫局', '园林局'])
        expect(byName(`${name}${b}`)).toMatchObject({
          kind: 'district_bureau',
          parentId: d.id,
          assessed: true,
        });
    }
    for (const name of ['高新技术产业开发区', '松木经济开发区', '白沙洲工业园']) {
      const z = byName(name)!;
      expect(z).toMatchObject({ kind: 'zone', weight: 0.2 });
      expect(z.areaCode).toMatch(/^43049\d$/); // documented extension codes
      expect(byName(`${name}城管大队（综合执法大队）`)).toMatchObject({
        kind: 'zone_brigade',
        parentId: z.id,
      });
    }
    // nothing else is assessed at the bureau level
    const members = [...city.units.values()].filter((u) => u.parentId === 'bureau' && u.assessed);
    expect(members).toHaveLength(14);
  });
  it('lays 185 placeholder grids over the urban area on both banks of the 湘江, without overlaps', () => {
    const lons: number[] = [];
    for (const g of city.grids.values()) {
      const area = city.units.get(g.areaId)!;
      expect(g.code.slice(0, 6)).toBe(area.areaCode);
      expect(g.placeholder).toBe(true);
      expect(g.name).toContain('占位');
      const [x0, y0, x1, y1] = g.bbox;
      expect(y0).toBeGreaterThanOrEqual(26.83);
      expect(y1).toBeLessThanOrEqual(26.96);
      expect(x0).toBeGreaterThanOrEqual(112.53);
      expect(x1).toBeLessThanOrEqual(112.67);
      lons.push((x0 + x1) / 2);
      const centre = city.gridAt((y0 + y1) / 2, (x0 + x1) / 2);
      expect(centre?.code).toBe(g.code); // its own centre lies in it and in no other grid first
    }
    // the river (about lon 112.615–112.62 through the city) has grids on both sides
    expect(lons.filter((x) => x < 112.615).length).toBeGreaterThan(100);
    expect(lons.filter((x) => x > 112.62).length).toBeGreaterThan(40);
    expect(city.units.get(city.gridAt(ZHUHUI.lat, ZHUHUI.lon)!.areaId)?.name).toBe('珠晖区');
  });
  it('gives every collector a 城管通 handset with a SIM', () => {
    const ids = new Set<string>();
    for (const c of city.collectors.values()) {
      expect(c.handset).toMatchObject({
        iccid: expect.stringMatching(/^\d{20}$/),
        msisdn: expect.stringMatching(/^1\d{10}$/),
      });
      ids.add(c.handset!.deviceId);
    }
    expect(ids.size).toBe(city.collectors.size);
  });
  it('routes every category only to units that handle cases, each with a handler account', () => {
    const users = loadUsers(join(SEED_DIR, 'users.json'));
    const handlers = { has: (unit: string) => users.byToken(`demo-handler-${unit}`)?.unitId === unit };
    for (const g of city.grids.values())
      for (const code of city.categories.keys()) {
        const unit = city.route(code, g.code)!;
        expect(handlesCases(city.units.get(unit)), `${code} in ${g.code} → ${unit}`).toBe(true);
        expect(handlers.has(unit), `handler for ${unit}`).toBe(true);
      }
    expect(handlers.has('hwc')).toBe(true);
  });
});

describe('city - routing', () => {
  it('finds the grid of a point and nothing outside the city', () => {
    const g = city.gridAt(ZHENGXIANG.lat, ZHENGXIANG.lon)!;
    expect(g.areaId).toBe('bs');
    expect(city.units.get(g.areaId)?.name).toBe('蒸湘区');
    expect(city.gridAt(OUTSIDE.lat, OUTSIDE.lon)).toBeUndefined();
  });
  it('routes by category rule: area bureau, fixed unit, street office, zone brigade', () => {
    const g = city.gridAt(ZHENGXIANG.lat, ZHENGXIANG.lon)!;
    expect(city.route('01.04', g.code)).toBe('bs-hw');
    expect(city.route('05.05', g.code)).toBe('gazf');
    expect(city.route('05.06', g.code)).toBe(g.streetId);
    const zoneGrid = [...city.grids.values()].find((x) => x.areaId === 'gx')!;
    expect(city.route('01.04', zoneGrid.code)).toBe('gx-zf');
  });
});

describe('city - work calendar', () => {
  it('adds working hours across lunch, nights and weekends', () => {
    expect(cal.addWorkingTime(local('2026-11-30T11:00:00'), { value: 2, unit: 'workHours' })).toEqual(
      local('2026-11-30T14:30:00'),
    );
    expect(cal.addWorkingTime(local('2026-12-04T17:00:00'), { value: 1, unit: 'workHours' })).toEqual(
      local('2026-12-07T09:00:00'),
    );
    expect(cal.addWorkingTime(local('2026-12-05T10:00:00'), { value: 1, unit: 'workDays' })).toEqual(
      local('2026-12-07T17:30:00'),
    );
  });
  it('skips holidays and works make-up days', () => {
    expect(cal.addWorkingTime(local('2026-09-30T17:00:00'), { value: 1, unit: 'workHours' })).toEqual(
      local('2026-10-05T09:00:00'),
    );
    expect(cal.isWorkingTime(local('2026-10-10T09:00:00'))).toBe(true); // a Saturday make-up day
    expect(cal.isWorkingTime(local('2026-10-01T09:00:00'))).toBe(false);
  });
  it('measures working minutes between instants', () => {
    expect(cal.workingMinutesBetween(local('2026-11-30T11:30:00'), local('2026-11-30T17:00:00'))).toBe(240);
    expect(cal.workingMinutesBetween(local('2026-12-05T00:00:00'), local('2026-12-06T23:00:00'))).toBe(0);
  });
});
