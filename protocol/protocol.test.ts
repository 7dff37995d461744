import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../scripts/protocol-schemas.js';
import {
  CommandRequest,
  decode,
  encode,
  GatewayStatus,
  gatewayOfSubject,
  Incident,
  incidentMsgId,
  newId,
  subjects,
  Telemetry,
  Ulid,
} from './index.js';

const enc = new TextEncoder();
function incident(over: Record<string, unknown> = {}) {
  return {
    v: 1,
    id: newId(),
    rev: 0,
    lifecycle: 'new',
    kind: 'illegal_parking',
    category: '05.05',
    gatewayId: 'cp-01',
    deviceId: 'cam-1',
    observedAt: '2026-11-28T01:00:00.000Z',
    startedAt: '2026-11-28T00:58:00.000Z',
    confidence: 0.9,
    location: { source: 'fixed', lat: 30.1, lon: 120.2, cameraId: 'cam-1', zoneId: 'no-park-1' },
    detections: [{ label: 'vehicle', score: 0.9, box: { x: 1, y: 2, w: 30, h: 20 }, trackId: 3 }],
    producer: { rule: 'illegal_parking', model: { name: 'cg-det', version: '1' } },
    ...over,
  };
}

describe('protocol - incident', () => {
  it('round-trips a valid incident and fills defaults', () => {
    const bytes = encode(Incident, incident({ detections: undefined }) as never);
    const r = decode(Incident, bytes);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.detections).toEqual([]);
      expect(r.value.evidence).toEqual([]);
      expect(r.value.details).toEqual({});
    }
  });

  it('names the path and the rule for each invalid field', () => {
    const r = decode(
      Incident,
      enc.encode(JSON.stringify(incident({ rev: 2, confidence: 1.5, category: '5.5' }))),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain('confidence');
      expect(r.reason).toContain('category: must be a category code');
    }
    const r2 = decode(Incident, enc.encode(JSON.stringify(incident({ lifecycle: 'end', rev: 3 }))));
    expect(!r2.ok && r2.reason).toContain('endedAt: an end revision needs endedAt');
  });

  it('rejects non-JSON, bad UTF-8, oversize and subject-unsafe ids', () => {
    expect(decode(Incident, enc.encode('{nope'))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not JSON'),
    });
    expect(decode(Incident, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      reason: 'payload is not valid UTF-8',
    });
    expect(decode(Incident, new Uint8Array(2_000_000))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('exceeds'),
    });
    const r = decode(Incident, enc.encode(JSON.stringify(incident({ gatewayId: 'cp.01' }))));
    expect(!r.ok && r.reason).toContain('gatewayId');
  });

  it('encode refuses to send an invalid message', () => {
    expect(() => encode(Incident, incident({ kind: 'ufo' }) as never)).toThrow(/kind/);
  });

  it('message ids are unique per revision and ids sort by time', () => {
    expect(incidentMsgId({ gatewayId: 'cp-01', id: 'A', rev: 2 })).toBe('cp-01.A.2');
    const a = newId(1000);
    const b = newId(2000);
    const c = newId(2000);
    expect([c, b, a].sort()).toEqual([a, b, c]);
  });

  it('ids made across many pool refills are valid, distinct and use every random character', () => {
    // 3,000 ids at distinct times, each later than any id made so far (an id at or before the
    // last one increments it instead of drawing): 48,000 random characters, a dozen pool refills
    const t0 = Date.now() + 1000;
    const ids = Array.from({ length: 3000 }, (_, i) => newId(t0 + i));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(Ulid.safeParse(id).success).toBe(true);
    const seen = new Map<string, number>();
    for (const id of ids) for (const ch of id.slice(10)) seen.set(ch, (seen.get(ch) ?? 0) + 1);
    expect(seen.size).toBe(32);
    // uniform: 1,500 expected per character; a biased draw (a byte / 255) would skew one end
    for (const n of seen.values()) expect(n).toBeGreaterThan(1200);
  });
});

describe('protocol - other messages and subjects', () => {
  it('validates telemetry, status and commands', () => {
    expect(
      Telemetry.safeParse({
        v: 1,
        gatewayId: 'v-1',
        vehicleId: 'truck-1',
        sentAt: '2026-11-28T01:00:00Z',
        points: [],
      }).success,
    ).toBe(false);
    expect(
      Telemetry.safeParse({
        v: 1,
        gatewayId: 'v-1',
        vehicleId: 'truck-1',
        sentAt: '2026-11-28T01:00:00Z',
        points: [{ t: '2026-11-28T01:00:00Z', lat: 30, lon: 120, speedMps: 12 }],
      }).success,
    ).toBe(true);
    expect(
      GatewayStatus.safeParse({ v: 1, gatewayId: 'g', gatewayKind: 'checkpoint', sentAt: 'x' }).success,
    ).toBe(false);
    expect(
      CommandRequest.safeParse({ v: 1, requestId: 'r1', verb: 'where', sentAt: '2026-11-28T01:00:00Z' })
        .success,
    ).toBe(true);
    expect(
      CommandRequest.safeParse({ v: 1, requestId: 'r1', verb: 'format_disk', sentAt: '2026-11-28T01:00:00Z' })
        .success,
    ).toBe(false);
  });

  it('builds versioned subjects carrying the gateway id', () => {
    expect(subjects.incident('cp-01')).toBe('cg.v1.incident.cp-01');
    expect(subjects.command('truck-7', 'where')).toBe('cg.v1.cmd.truck-7.where');
    expect(gatewayOfSubject('cg.v1.status.cp-01')).toBe('cp-01');
    expect(gatewayOfSubject('other.v1.status.cp-01')).toBeUndefined();
  });

  it('exports a JSON Schema for every wire message', () => {
    const all = jsonSchemas();
    expect(Object.keys(all).sort()).toEqual([
      'command-reply',
      'command-request',
      'dead-letter',
      'incident',
      'status',
      'telemetry',
    ]);
    const inc = all.incident as { required: string[]; properties: Record<string, unknown> };
    expect(inc.required).toEqual(expect.arrayContaining(['id', 'rev', 'lifecycle', 'kind', 'gatewayId']));
    // the committed files vendors read are the schemas as they are now
    for (const [name, schema] of Object.entries(all))
      expect(
        readFileSync(new URL(`./json-schema/${name}.json`, import.meta.url), 'utf8'),
        `${name}: run npm run protocol:schemas`,
      ).toBe(`${JSON.stringify(schema, null, 2)}\n`);
  });
});
