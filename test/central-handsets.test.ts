/**
 * Equipment from the absence of heartbeats, and collectors' 城管通 handsets as devices.
 * What broke: only online/offline changes a gateway itself reported were counted, so a gateway
 * silent for 29 days scored 0 offline hours; handsets (the plan's "城管通的管理(含3G卡)") were not
 * devices at all. Board and facts are real (DeviceBoard, deviceFacts, the seed's calendar); the
 * handset API runs through `app.request()` on the shipped seed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { DeviceBoard, type SharedChange } from '../central/devices/board.js';
import { deviceFacts } from '../central/scoring/devices.js';
import { scoringRouteGroup } from '../central/scoring/index.js';
import { monthWindow } from '../central/scoring/month.js';
import type { GatewayStatus } from '../protocol/index.js';
import { YANFENG } from '../sim/city-points.js';
import { TOKENS } from './central-helpers.js';

const NOV = monthWindow('2026-11', 480);
const status = (sentAt: string): GatewayStatus =>
  ({
    v: 1,
    gatewayId: 'cp-01',
    gatewayKind: 'checkpoint',
    softwareVersion: '1',
    startedAt: '2026-11-01T00:00:00.000Z',
    sentAt,
    intervalS: 60,
    devices: [{ id: 'cam-1', type: 'camera', online: true, lastSeenAt: sentAt }],
  }) as unknown as GatewayStatus;

describe('equipment - offline from silence', () => {
  it('counts a gateway that went silent and never came back, and each silence of one that did', () => {
    const board = new DeviceBoard(undefined);
    // heard on 1 Nov 00:00 UTC (08:00 local), then nothing: grace 3 × 60 s
    board.applyStatus(status('2026-11-01T00:00:00.000Z'), new Date('2026-11-01T00:00:00.000Z'));
    const at30 = new Date('2026-11-30T00:00:00.000Z');
    const facts = deviceFacts(board, NOV, { 'cp-01': 'zfzd' }, at30);
    // 29 days less the 3-minute grace, for its camera (its devices are what is offline)
    expect(facts).toEqual([
      {
        deviceId: 'cp-01/cam-1',
        unitId: 'zfzd',
        month: '2026-11',
        offlineHours: 695.95,
        unansweredCalls: [],
      },
    ]);
    // it comes back on 2 Nov 00:00 UTC: one silence of 24 h − 3 min, nothing open a minute later
    const back = new DeviceBoard(undefined);
    back.applyStatus(status('2026-11-01T00:00:00.000Z'), new Date('2026-11-01T00:00:00.000Z'));
    back.applyStatus(status('2026-11-02T00:00:00.000Z'), new Date('2026-11-02T00:00:00.000Z'));
    const soon = new Date('2026-11-02T00:01:00.000Z');
    expect(deviceFacts(back, NOV, { 'cp-01': 'zfzd' }, soon)[0].offlineHours).toBe(23.95);
    // and silent again from then on: that counts too
    expect(deviceFacts(back, NOV, { 'cp-01': 'zfzd' }, at30)[0].offlineHours).toBe(695.9); // 23.95 + 671.95
  });
});

describe('equipment - 城管通 handsets', () => {
  const clock = { t: Date.parse('2026-11-02T09:00:00+08:00') }; // a Monday
  let central: Central;
  const call = async (path: string, token: string, body?: unknown) => {
    const r = await central.app.request(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  beforeAll(async () => {
    central = await createCentral({
      demo: true,
      now: () => new Date(clock.t),
      logLevel: 'silent',
      extraRoutes: [scoringRouteGroup()],
    });
  });
  afterAll(async () => {
    await central?.stop();
  });

  it('lists every collector’s handset with its SIM on the devices board', async () => {
    const list = (await call('/api/handsets', TOKENS.operator)).body;
    expect(list).toHaveLength(185);
    expect(list[0]).toMatchObject({
      deviceId: 'cgt-001',
      collectorId: 'col-001',
      iccid: expect.stringMatching(/^\d{20}$/),
      msisdn: expect.stringMatching(/^1\d{10}$/),
      online: false,
    });
  });

  it('takes heartbeats, counts a report as one, and finds a changed SIM and a handset used by another collector', async () => {
    const col1 = (await call('/api/handsets', TOKENS.operator)).body[0];
    const ok = await call('/api/handsets/heartbeat', TOKENS.collector, { iccid: col1.iccid });
    expect(ok.body).toMatchObject({ deviceId: 'cgt-001', intervalMinutes: 15, offlineAfterMinutes: 45 });
    // a report is a heartbeat too
    clock.t = Date.parse('2026-11-02T10:00:00+08:00');
    const r = await central.app.request('/api/cases', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.collector}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        source: 'collector',
        category: '01.09',
        description: '乱张贴',
        location: { ...YANFENG },
      }),
    });
    expect(r.status).toBe(201);
    expect(
      central.board.gateways(new Date(clock.t)).find((g) => g.gatewayId === 'cgt-001')?.lastReceivedAt,
    ).toBe(new Date(clock.t).toISOString());
    // the SIM was swapped
    clock.t = Date.parse('2026-11-02T10:10:00+08:00');
    await call('/api/handsets/heartbeat', TOKENS.collector, { iccid: '89860000000000000999' });
    // col-002 picks up col-001's handset without any record
    clock.t = Date.parse('2026-11-02T10:20:00+08:00');
    await call('/api/handsets/heartbeat', 'demo-collector2', {
      deviceId: 'cgt-001',
      iccid: '89860000000000000999',
    });
    const h = (await call('/api/handsets', TOKENS.operator)).body[0];
    expect(h.findings.map((f: { kind: string }) => f.kind)).toEqual(['simChanged', 'reassigned']);
    expect(h).toMatchObject({
      online: true,
      currentIccid: '89860000000000000999',
      lastCollectorId: 'col-002',
    });
    expect((await call('/api/handsets/heartbeat', TOKENS.collector, { deviceId: 'cgt-999' })).status).toBe(
      422,
    );
    expect((await call('/api/handsets/heartbeat', TOKENS.operator, {})).status).toBe(403);

    // both findings are equipment deductions of col-001's unit (雁峰区 at the bureau level)
    clock.t = Date.parse('2026-11-02T11:00:00+08:00');
    const month = (await call('/api/scoring/months/2026-11', TOKENS.operator)).body;
    const dc = month.members.find((m: { unitId: string }) => m.unitId === 'dc');
    expect(
      dc.items.equipment.events.map((e: { kind: string; deviceId: string }) => [e.kind, e.deviceId]),
    ).toEqual([
      ['handsetFinding', 'cgt-001'],
      ['handsetFinding', 'cgt-001'],
    ]);
    expect(dc.items.equipment.deduction).toBe(2);
  });

  it('counts a handset offline in duty hours only', () => {
    // silent from Fri 6 Nov 17:30 (its last beat at 16:45 + 45 min) to Mon 9 Nov 10:00 local:
    // duty hours in that span are Mon 08:30–10:00 only
    const source = {
      gateways: () => [
        {
          gatewayId: 'cgt-001',
          gatewayKind: 'handset',
          lastReceivedAt: '2026-11-09T02:00:00.000Z',
          intervalS: 900,
          devices: {},
          silences: [{ from: '2026-11-06T09:30:00.000Z', to: '2026-11-09T02:00:00.000Z' }],
          handset: { assignedCollectorId: 'col-001', findings: [] },
        },
      ],
    };
    const facts = deviceFacts(source, NOV, {}, new Date('2026-11-09T02:30:00.000Z'), {
      unitOf: () => 'dc-s001-c001',
      dutyMinutes: (a, b) => central.city.calendar.workingMinutesBetween(a, b),
    });
    expect(facts).toEqual([
      {
        deviceId: 'cgt-001',
        unitId: 'dc-s001-c001',
        month: '2026-11',
        offlineHours: 1.5,
        unansweredCalls: [],
        findings: [],
      },
    ]);
  });
});

describe('devices board - what one instance tells the others', () => {
  const assigned = { collectorId: 'col-001', iccid: '89860004304000000001', msisdn: '1', gridCodes: [] };
  const beat = (at: string) => ({
    deviceId: 'cgt-001',
    collectorId: 'col-001',
    intervalS: 900,
    assigned,
    at: new Date(at),
  });

  it('tells its own beats and calls, not the ones told to it; an older beat changes nothing', () => {
    const a = new DeviceBoard(undefined);
    const b = new DeviceBoard(undefined);
    const told: SharedChange[] = [];
    a.onShared((c) => told.push(c));
    const offB = b.onShared(() => {
      throw new Error('a change applied from another instance is not told again');
    });
    a.applyHandsetBeat(beat('2026-11-02T02:00:00.000Z'));
    a.recordCall('cp-01', { at: '2026-11-02T02:01:00.000Z', verb: 'ping', answered: false });
    for (const c of told) b.applyShared(c);
    expect(b.gateways()).toEqual(a.gateways());
    expect(b.calls()).toEqual(a.calls());
    // told twice (redelivered): kept once
    b.applyShared(told[1]!);
    expect(b.calls()['cp-01']).toHaveLength(1);
    offB();
    // a beat told late, older than the one the board has, does not move its last beat back
    b.applyShared({ type: 'handsetBeat', beat: beat('2026-11-02T01:00:00.000Z') });
    expect(b.gateways()[0]?.lastReceivedAt).toBe('2026-11-02T02:00:00.000Z');
  });
});
