/**
 * The walking skeleton, end to end, every part real and in its own process:
 *   ONVIF simulator → checkpoint gateway (node-onvif, sharp, onnxruntime) → JetStream → central → case over HTTP
 *   socat pty → vehicle gateway (serialport, NMEA, SLCAN) → JetStream → central → case over HTTP
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECTOR, type Stack, startStack } from '../sim/stack.js';
import { until } from './support/until.js';

const OPERATOR = { authorization: 'Bearer demo-operator' };
const dir = mkdtempSync(join(tmpdir(), 'cg-e2e-'));
const sceneFile = join(__dirname, '..', 'models/scenes/litter/scene.json');
let stack: Stack;

interface CaseItem {
  id: string;
  source: string;
  category: string;
  state: string;
  refs: { gatewayId?: string; deviceId?: string; incidentIds: string[] };
}

async function api<T>(path: string): Promise<T> {
  const r = await fetch(`${stack.central.url}${path}`, { headers: OPERATOR });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

function litterZones(): unknown[] {
  const scene = JSON.parse(readFileSync(sceneFile, 'utf8')) as { zones: Record<string, [number, number][]> };
  const polygon = scene.zones.litter ?? Object.values(scene.zones)[0];
  return [{ id: 'sidewalk', name: '人行道', type: 'litter', polygon, persistS: 2, cooldownS: 5 }];
}

const cameraReady = existsSync(DETECTOR) && existsSync(sceneFile);

beforeAll(async () => {
  stack = await startStack({
    dir,
    cameras: !cameraReady
      ? []
      : [
          {
            id: 'cam-east',
            name: '东门',
            scene: 'litter',
            lat: 26.8935,
            lon: 112.5985,
            zones: litterZones(),
            snapshotIntervalS: 0.5,
          },
        ],
    truckScenario: 'speeding',
    truckIntervalMs: 40,
    truckCamera: cameraReady,
    heartbeatS: 1,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!cameraReady)('e2e - camera frame to case', () => {
  it('an ONVIF frame with litter becomes a reported AI case with its annotated evidence', async () => {
    const c = await until(
      async () => {
        const r = await api<{ items: CaseItem[] }>('/api/cases?source=ai');
        return r.items.find((i) => i.refs.deviceId === 'cam-east');
      },
      'an AI case from cam-east',
      90_000,
    );
    expect(c.state).toBe('reported');
    expect(c.refs.gatewayId).toBe('cp-xihu-01');
    expect(c.category).toBe('01.04');
    const detail = await api<{
      evidence: { name: string; role: string }[];
      incidents: { latest: { detections: { label: string }[]; producer: { model?: { name: string } } } }[];
    }>(`/api/cases/${c.id}`);
    expect(detail.incidents[0].latest.detections.some((d) => d.label === 'litter')).toBe(true);
    expect(detail.incidents[0].latest.producer.model?.name).toBeTruthy();
    const annotated = detail.evidence.find((e) => e.role === 'annotated');
    expect(annotated).toBeDefined();
    const img = await fetch(`${stack.central.url}/api/evidence/${annotated!.name}`, { headers: OPERATOR });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await img.arrayBuffer())).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeGreaterThan(100);
    // evidence is not public
    expect((await fetch(`${stack.central.url}/api/evidence/${annotated!.name}`)).status).toBe(401);
  });
});

async function call(gatewayId: string, verb: string, body?: object): Promise<Response> {
  return fetch(`${stack.central.url}/api/devices/${gatewayId}/commands/${verb}`, {
    method: 'POST',
    headers: { ...OPERATOR, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
}

describe('e2e - central calls a gateway', () => {
  it('asks the truck where it is over NATS request/reply and gets its position', async () => {
    const reply = await until(
      async () => {
        const r = await call('veh-zj-a12345', 'where');
        const j = (await r.json()) as {
          reply?: { ok: boolean; data?: { position?: { lat: number; lon: number } | null } };
        };
        return r.status === 200 && j.reply?.ok && j.reply.data?.position ? j.reply : undefined;
      },
      'a where reply with a position',
      60_000,
    );
    expect(reply.data?.position?.lat).toBeCloseTo(30.27, 1);
    expect(reply.data?.position?.lon).toBeCloseTo(120.15, 1);
    if (cameraReady) {
      // the truck's camera answers "what do you see now" with a fresh annotated frame
      const snap = (reply.data as { snapshot?: { cameraId: string; image: { base64: string } } }).snapshot;
      expect(snap?.cameraId).toBe('truck-cam');
      const meta = await sharp(Buffer.from(snap!.image.base64, 'base64')).metadata();
      expect(meta.format).toBe('jpeg');
    }
  });

  it('a gateway that does not answer is a 504 and recorded as an unanswered call', async () => {
    const r = await call('cp-nobody', 'ping');
    expect(r.status).toBe(504);
    expect(((await r.json()) as { type: string }).type).toMatch(/gateway-no-answer/);
    const calls = await api<Record<string, { answered: boolean; verb: string }[]>>(
      '/api/devices/calls?gatewayId=cp-nobody',
    );
    expect(calls['cp-nobody']).toEqual([expect.objectContaining({ answered: false, verb: 'ping' })]);
    expect((await call('cp-xihu-01', 'format_disk')).status).toBe(422);
  });
});

describe('e2e - serial NMEA to case', () => {
  it('a speeding truck on a real pty becomes one reported overspeed case', async () => {
    const c = await until(
      async () => {
        const r = await api<{ items: CaseItem[] }>('/api/cases?source=vehicle');
        return r.items.find((i) => i.category === '92.01');
      },
      'an overspeed case',
      90_000,
    );
    expect(c.state).toBe('reported');
    expect(c.refs.gatewayId).toBe('veh-zj-a12345');
    const detail = await api<{ incidents: { latest: { kind: string; details: Record<string, number> } }[] }>(
      `/api/cases/${c.id}`,
    );
    expect(detail.incidents[0].latest.kind).toBe('overspeed');
    expect(detail.incidents[0].latest.details.maxSpeedKmh).toBeGreaterThan(30);
  });

  it('both gateways are online on the devices board, with the vehicle track', async () => {
    const board = await until(
      async () => {
        const b = await api<{ gateways: { gatewayId: string; online: boolean }[] }>('/api/devices');
        const ids = b.gateways.filter((g) => g.online).map((g) => g.gatewayId);
        const want = cameraReady ? ['cp-xihu-01', 'veh-zj-a12345'] : ['veh-zj-a12345'];
        return want.every((w) => ids.includes(w)) ? b : undefined;
      },
      'both gateways online',
      60_000,
    );
    expect(board.gateways.length).toBeGreaterThanOrEqual(cameraReady ? 2 : 1);
  });
});
