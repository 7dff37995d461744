/** city - seed data, point-in-polygon routing and the work calendar. */
import { describe, expect, it } from 'vitest';
import { SEED_DIR } from '../central.js';
import { WorkCalendar } from './calendar.js';
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

describe('city - routing', () => {
  it('finds the grid of a point and nothing outside the city', () => {
    const g = city.gridAt(30.27, 120.15)!;
    expect(g.areaId).toBe('bs');
    expect(city.gridAt(31.5, 121.5)).toBeUndefined();
  });
  it('routes by category rule: area bureau, fixed unit, street office, zone brigade', () => {
    const g = city.gridAt(30.27, 120.15)!;
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
