/**
 * Equipment facts from central's devices board: offline hours within a month from each device's
 * online/offline changes, attributed to the unit that operates the gateway.
 */
import { describe, expect, it } from 'vitest';
import { type DeviceHistorySource, deviceFacts, offlineMs } from './devices.js';
import { monthWindow } from './month.js';

const NOV = monthWindow('2026-11', 480); // 2026-10-31T16:00Z .. 2026-11-30T16:00Z
const H = 3_600_000;

describe('scoring devices - offline hours from heartbeats', () => {
  it('counts only the offline time inside the window, a state carried in from before it included', () => {
    const changes = [
      { at: '2026-10-31T10:00:00.000Z', online: false }, // offline before the month: 16:00Z..18:00Z counts (2 h)
      { at: '2026-10-31T18:00:00.000Z', online: true },
      { at: '2026-11-10T00:00:00.000Z', online: false }, // 30 h
      { at: '2026-11-11T06:00:00.000Z', online: true },
      { at: '2026-11-30T14:00:00.000Z', online: false }, // to month end: 2 h
    ];
    expect(offlineMs(changes, NOV.start, NOV.end) / H).toBe(34);
    // before the first report a device counts as online
    expect(offlineMs([], NOV.start, NOV.end)).toBe(0);
  });

  it('gives facts only for gateways with a known operating unit, up to now', () => {
    const down = (gatewayId: string, id: string) => ({
      gatewayId,
      devices: { [id]: { id, changes: [{ at: '2026-11-01T00:00:00.000Z', online: false }] } },
    });
    const board: DeviceHistorySource = { gateways: () => [down('gw-1', 'cam1'), down('gw-x', 'cam9')] };
    const facts = deviceFacts(board, NOV, { 'gw-1': 'dc-zf' }, new Date('2026-11-03T00:00:00.000Z'));
    expect(facts).toEqual([
      { deviceId: 'gw-1/cam1', unitId: 'dc-zf', month: '2026-11', offlineHours: 48, unansweredCalls: [] },
    ]);
  });

  it('counts calls the gateway did not answer inside the month, per gateway', () => {
    const board: DeviceHistorySource = {
      gateways: () => [{ gatewayId: 'gw-1', devices: {} }],
      calls: () => ({
        'gw-1': [
          { at: '2026-10-20T00:00:00.000Z', answered: false }, // October: not this month
          { at: '2026-11-02T01:00:00.000Z', answered: true }, // answered: nothing
          { at: '2026-11-02T02:00:00.000Z', answered: false },
        ],
      }),
    };
    const facts = deviceFacts(board, NOV, { 'gw-1': 'dc-zf' }, new Date('2026-11-03T00:00:00.000Z'));
    expect(facts).toEqual([
      {
        deviceId: 'gw-1',
        unitId: 'dc-zf',
        month: '2026-11',
        offlineHours: 0,
        unansweredCalls: [{ id: 'gw-1@2026-11-02T02:00:00.000Z', at: '2026-11-02T02:00:00.000Z' }],
      },
    ]);
  });
});
