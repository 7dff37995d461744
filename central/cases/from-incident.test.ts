/**
 * from-incident - edge intake: the wire message mapped to central's record at the boundary (the
 * one place that decides a case's source), a `new` revision opening a case, a replay changing
 * nothing, another gateway's revision refused, an operator acting between the read and the
 * write of a revision keeping both changes, and two incidents of one zone handed in together
 * (one consumer batch) the second proposed as a duplicate of the first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { evidenceBucket, Incident, newId } from '../../protocol/index.js';
import { ZHENGXIANG } from '../../sim/city-points.js';
import { litterIncident } from '../../test/central-helpers.js';
import { caseService, USERS } from '../../test/support/case-service.js';
import { RefusedMessage } from '../ingest/refused.js';
import { snapshotOf } from './incident-record.js';

// central-helpers' litter incident, at fixed times, with one evidence ref
const wire = (over: Record<string, unknown> = {}) =>
  Incident.parse({
    ...litterIncident(),
    observedAt: '2026-11-02T01:00:00.000Z',
    startedAt: '2026-11-02T00:59:00.000Z',
    confidence: 0.9,
    detections: [{ label: 'litter', score: 0.9, box: { x: 1, y: 2, w: 3, h: 4 } }],
    evidence: [
      {
        role: 'annotated',
        bucket: evidenceBucket('cp-01'),
        name: `ev-${newId()}.jpg`,
        contentType: 'image/jpeg',
        size: 10,
        sha256: 'a'.repeat(64),
      },
    ],
    producer: { rule: 'litter_persist', model: { name: 'yolo', version: '1' } },
    ...over,
  });

let t: ReturnType<typeof caseService>;
afterEach(() => t?.done());

describe('from-incident', () => {
  it('maps the wire message to central record: origin decided once, the envelope left behind', () => {
    const cam = snapshotOf(wire());
    expect(cam).toMatchObject({
      rev: 0,
      kind: 'litter',
      origin: 'camera',
      producer: { model: { name: 'yolo' } },
    });
    expect(Object.keys(cam)).not.toContain('v');
    expect(Object.keys(cam)).not.toContain('evidence');
    const truck = snapshotOf(
      wire({ kind: 'overspeed', category: '92.01', location: { source: 'gps', ...ZHENGXIANG } }),
    );
    expect(truck.origin).toBe('vehicle');
  });

  it('opens a case on `new`, a replay changes nothing, another gateway is refused', async () => {
    t = caseService();
    const inc = wire();
    expect(await t.svc.ingestIncident(inc)).toBe('created');
    expect(await t.svc.ingestIncident(inc)).toBe('duplicate');
    const rec = (await t.store.cases.getIncident(inc.id))!;
    const k = (await t.store.cases.get(rec.caseId))!.case;
    expect(k).toMatchObject({ source: 'ai', state: 'reported', refs: { gatewayId: 'cp-01', zoneId: 'z1' } });
    expect(k.evidence.map((e) => e.origin)).toEqual(['incident']);
    expect(rec.latest.origin).toBe('camera');
    const forged = { ...inc, rev: 1, lifecycle: 'update' as const, gatewayId: 'cp-02', evidence: [] };
    await expect(t.svc.ingestIncident(forged)).rejects.toBeInstanceOf(RefusedMessage);
    expect((await t.store.cases.getIncident(inc.id))!.revs).toEqual([0]);
  });

  it('a revision racing an operator action keeps both', async () => {
    t = caseService();
    const inc = wire();
    await t.svc.ingestIncident(inc);
    const caseId = (await t.store.cases.getIncident(inc.id))!.caseId;
    const update = { ...inc, rev: 1, lifecycle: 'update' as const, evidence: [] };
    await Promise.all([t.svc.act(caseId, 'register', {}, USERS.operator), t.svc.ingestIncident(update)]);
    const k = (await t.store.cases.get(caseId))!.case;
    expect(k.history.map((h) => h.action).sort()).toEqual(['incident_update', 'register', 'report']);
    expect(k.state).toBe('registered');
    expect(k.version).toBe(3);
  });

  it('two incidents of one zone handed in together: the second proposes the first as a duplicate', async () => {
    t = caseService();
    const at = { source: 'fixed', lat: 30.31, lon: 120.2, cameraId: 'cam-09', zoneId: 'z3' };
    const a = wire({ id: newId(), deviceId: 'cam-09', location: at, evidence: [] });
    const b = wire({ id: newId(), deviceId: 'cam-09', location: { ...at, lat: 30.3101 }, evidence: [] });
    // as the consumer hands in a batch: the second before the first has been applied
    expect(await Promise.all([t.svc.ingestIncident(a), t.svc.ingestIncident(b)])).toEqual([
      'created',
      'created',
    ]);
    const caseOf = async (id: string) =>
      (await t.store.cases.get((await t.store.cases.getIncident(id))!.caseId))!.case;
    expect((await caseOf(b.id)).duplicateCandidates).toEqual([(await caseOf(a.id)).id]);
  });
});
