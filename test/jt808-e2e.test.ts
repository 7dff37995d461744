/**
 * A muck truck's own JT/T 808 terminal, end to end, every part real and in its own process:
 *   terminal simulator ─TCP─▶ gateway (edge/jt808) → JetStream → central → case over HTTP,
 * and central calling the truck back through the gateway: where, message, snapshot (a JPEG), and
 * an unanswered call once the terminal is gone (设备未应答).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../sim/stack.js';
import { until } from './support/until.js';

const OPERATOR = { authorization: 'Bearer demo-operator' };
const GW = 'veh-hy-jt808';
const TRUCK = 'truck-hy-d8808';
const dir = mkdtempSync(join(tmpdir(), 'cg-jt808-e2e-'));
let stack: Stack;

async function api<T>(path: string): Promise<T> {
  const r = await fetch(`${stack.central.url}${path}`, { headers: OPERATOR });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

async function call(verb: string, body: object) {
  const r = await fetch(`${stack.central.url}/api/devices/${GW}/commands/${verb}`, {
    method: 'POST',
    headers: { ...OPERATOR, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: r.status,
    body: (await r.json()) as { reply?: { ok: boolean; data?: Record<string, unknown> }; detail?: string },
  };
}

beforeAll(async () => {
  stack = await startStack({
    dir,
    jt808Scenario: 'speeding',
    jt808IntervalMs: 30,
    jt808Loop: true,
    heartbeatS: 1,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('e2e - JT/T 808 terminal to case', () => {
  it('the speeding truck becomes a reported overspeed case from its terminal', async () => {
    const c = await until(
      async () => {
        const r = await api<{
          items: {
            id: string;
            category: string;
            state: string;
            refs: { gatewayId?: string; deviceId?: string };
          }[];
        }>('/api/cases?source=vehicle');
        return r.items.find((i) => i.category === '92.01' && i.refs.deviceId === TRUCK);
      },
      'an overspeed case from the JT/T 808 truck',
      90_000,
    );
    expect(c.state).toBe('reported');
    expect(c.refs.gatewayId).toBe(GW);
    const detail = await api<{ incidents: { latest: { kind: string; details: Record<string, unknown> } }[] }>(
      `/api/cases/${c.id}`,
    );
    expect(detail.incidents[0]!.latest.kind).toBe('overspeed');
    expect(detail.incidents[0]!.latest.details).toMatchObject({ plate: '湘D·A8808', limitKmh: 30 });
  });

  it('the terminal is online on the devices board with its track', async () => {
    const gw = await until(
      async () => {
        const b = await api<{
          gateways: { gatewayId: string; online: boolean; devices: Record<string, { online: boolean }> }[];
        }>('/api/devices');
        const g = b.gateways.find((x) => x.gatewayId === GW);
        return g?.online && g.devices[`${TRUCK}-jt808`]?.online ? g : undefined;
      },
      'the JT/T 808 terminal online',
      60_000,
    );
    expect(gw.devices['jt808-endpoint']?.online).toBe(true);
    const track = await until(
      () => api<{ points: unknown[] }>(`/api/devices/vehicles/${TRUCK}/track`),
      'its track',
      60_000,
    );
    expect(track.points.length).toBeGreaterThan(0);
  });

  it('central calls the truck: where, a text to the driver, a snapshot JPEG', async () => {
    const where = await call('where', { deviceId: TRUCK });
    expect(where.status).toBe(200);
    expect((where.body.reply!.data!.position as { lat: number }).lat).toBeCloseTo(30.27, 1);
    const msg = await call('message', { deviceId: TRUCK, text: '请立即减速' });
    expect(msg.body.reply).toMatchObject({ ok: true, data: { delivered: true } });
    expect(stack.jt808Terminal!.texts).toContain('请立即减速');
    const snap = await call('snapshot', { deviceId: TRUCK });
    expect(snap.status).toBe(200);
    const img = Buffer.from((snap.body.reply!.data!.image as { base64: string }).base64, 'base64');
    expect((await sharp(img).metadata()).format).toBe('jpeg');
    expect((await call('message', { deviceId: TRUCK })).status).toBe(422);
  });

  it('a terminal that is gone: 504, recorded as an unanswered call for the truck', async () => {
    await stack.jt808Terminal!.stop();
    const r = await until(
      async () => {
        // a call racing the disconnect is answered "disconnected before answering"; wait for the
        // steady state, where the endpoint knows the terminal is gone
        const x = await call('where', { deviceId: TRUCK });
        return x.status === 504 && /terminal not connected/.test(x.body.detail ?? '') ? x : undefined;
      },
      'a 504 "terminal not connected" for the gone terminal',
      30_000,
    );
    expect(r.body.detail).toMatch(/terminal not connected/);
    const calls = await api<Record<string, { answered: boolean; verb: string; deviceId?: string }[]>>(
      `/api/devices/calls?gatewayId=${GW}`,
    );
    expect(calls[GW]).toContainEqual(
      expect.objectContaining({ answered: false, verb: 'where', deviceId: TRUCK }),
    );
  });
});
