/**
 * central - verdicts become a data set: AI incidents with real JPEG evidence through a real
 * nats-server into a real central process; operators confirm (also with a corrected category)
 * and reject them through the API; the admin export is a zip in YOLO layout + COCO JSON + a
 * manifest naming each sample's case, read back with adm-zip.
 */
import AdmZip from 'adm-zip';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, GatewayStatus, type IncidentInput, subjects } from '../protocol/index.js';
import { evidenceStore, putEvidence } from '../protocol/transport.js';
import {
  api,
  type CentralWithNats,
  litterIncident,
  publishIncident,
  startCentralWithNats,
  stopCentralWithNats,
  TOKENS,
} from './central-helpers.js';
import { until } from './support/until.js';

let env: CentralWithNats | undefined;
const W = 640;
const H = 360;
const cases: Record<string, string> = {};

async function frame(seed: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(W * H * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * (seed + 3) + (i >> 7)) % 251;
  return new Uint8Array(
    await sharp(raw, { raw: { width: W, height: H, channels: 3 } })
      .jpeg()
      .toBuffer(),
  );
}

async function openCase(name: string, inc: IncidentInput, seed: number): Promise<string> {
  const os = await evidenceStore(env!.nc, inc.gatewayId);
  const clean = await putEvidence(os, `${inc.id}-r0-clean.jpg`, await frame(seed), 'clean');
  await publishIncident(env!.nc, { ...inc, evidence: [clean] });
  const id = await until(async () => {
    const r = await api(env!.central.url, '/api/cases?source=ai&limit=100', TOKENS.operator);
    return (r.body.items as { id: string; refs: { incidentIds: string[] } }[]).find((c) =>
      c.refs.incidentIds.includes(inc.id),
    )?.id;
  }, `case for ${name}`);
  cases[name] = id;
  return id;
}

const act = (id: string, action: string, body: object) =>
  api(env!.central.url, `/api/cases/${id}/actions/${action}`, TOKENS.operator, { body });

beforeAll(async () => {
  env = await startCentralWithNats();
  const box = { x: 100, y: 90, w: 64, h: 48 };
  const lit = (over: Partial<IncidentInput> = {}) =>
    litterIncident({
      detections: [{ label: 'static_object', score: 0.6, box }],
      producer: { rule: 'camera.litter.persist', model: { name: 'cg-detector', version: '1.0.0' } },
      ...over,
    });
  const confirmed = await openCase('confirmed', lit(), 1);
  const recategorised = await openCase(
    'recategorised',
    lit({
      kind: 'illegal_parking',
      category: '05.05',
      deviceId: 'cam-02',
      location: { source: 'fixed', lat: 30.28, lon: 120.16, cameraId: 'cam-02', zoneId: 'np' },
    }),
    2,
  );
  const fp = await openCase(
    'false_positive',
    lit({
      deviceId: 'cam-03',
      location: { source: 'fixed', lat: 30.29, lon: 120.17, cameraId: 'cam-03', zoneId: 'z3' },
    }),
    3,
  );
  const invalid = await openCase(
    'invalid',
    lit({
      deviceId: 'cam-04',
      location: { source: 'fixed', lat: 30.26, lon: 120.14, cameraId: 'cam-04', zoneId: 'z4' },
    }),
    4,
  );
  expect((await act(confirmed, 'register', {})).status).toBe(200);
  expect((await act(recategorised, 'register', { category: '01.04' })).status).toBe(200);
  expect((await act(fp, 'reject', { reason: 'false_positive', note: '树影' })).status).toBe(200);
  expect((await act(invalid, 'reject', { reason: 'invalid' })).status).toBe(200);
}, 90_000);

afterAll(async () => {
  await stopCentralWithNats(env);
});

async function download(path: string) {
  const r = await fetch(env!.central.url + path, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('application/zip');
  return new AdmZip(Buffer.from(await r.arrayBuffer()));
}

describe('central - verdicts → data set export', () => {
  it('every decision on an AI case is a verdict with its detections, model and frame', async () => {
    const r = await api(env!.central.url, '/api/datasets/verdicts', TOKENS.admin);
    expect(r.status).toBe(200);
    const byCase = Object.fromEntries(
      (r.body.verdicts as { caseId: string; detections: unknown }[]).map((v) => [v.caseId, v]),
    );
    expect(byCase[cases.confirmed]).toMatchObject({
      verdict: 'confirmed',
      category: '01.04',
      kind: 'litter',
      frameKept: true,
      model: { name: 'cg-detector', version: '1.0.0' },
    });
    expect(byCase[cases.recategorised]).toMatchObject({
      verdict: 'wrong_category',
      category: '01.04',
      aiCategory: '05.05',
    });
    expect(byCase[cases.false_positive]).toMatchObject({ verdict: 'rejected', reason: 'false_positive' });
    expect(byCase[cases.confirmed].detections).toEqual([
      { label: 'static_object', score: 0.6, box: { x: 100, y: 90, w: 64, h: 48 } },
    ]);
  });

  it('the zip is YOLO + COCO + a manifest; a false positive is a negative; invalid is left out with why', async () => {
    const zip = await download('/api/datasets/export');
    const names = zip.getEntries().map((e) => e.entryName);
    expect(names).toEqual(expect.arrayContaining(['data.yaml', 'annotations.coco.json', 'manifest.json']));
    const manifest = JSON.parse(zip.readAsText('manifest.json'));
    expect(manifest.counts).toMatchObject({ samples: 3, negatives: 1, skipped: 1 });
    expect(manifest.skipped).toEqual([{ caseId: cases.invalid, why: expect.stringContaining('invalid') }]);
    const s = Object.fromEntries(
      (manifest.samples as { caseId: string; split: string }[]).map((x) => [x.caseId, x]),
    );
    const label = (id: string) => zip.readAsText(`labels/${s[id].split}/${id}.txt`);
    // class 2 = litter; box 100,90 64x48 in 640x360 → centre 132/640, 114/360
    expect(label(cases.confirmed).trim()).toBe('2 0.206250 0.316667 0.100000 0.133333');
    expect(label(cases.recategorised).trim()).toBe('2 0.206250 0.316667 0.100000 0.133333');
    expect(label(cases.false_positive)).toBe('');
    const img = zip.getEntry(`images/${s[cases.confirmed].split}/${cases.confirmed}.jpg`);
    expect((await sharp(img!.getData()).metadata()).width).toBe(W);
    expect(zip.readAsText('data.yaml')).toContain('2: litter');
    const coco = JSON.parse(zip.readAsText('annotations.coco.json'));
    expect(coco.images).toHaveLength(3);
    expect(coco.annotations).toHaveLength(2);
    expect(coco.annotations[0].bbox).toEqual([100, 90, 64, 48]);
  });

  it('filters by type and time; bad filters are 422; operators may not export', async () => {
    const zip = await download('/api/datasets/export?types=illegal_parking');
    expect(
      JSON.parse(zip.readAsText('manifest.json')).samples.map((x: { caseId: string }) => x.caseId),
    ).toEqual([cases.recategorised]);
    const later = await download('/api/datasets/export?from=2999-01-01');
    expect(JSON.parse(later.readAsText('manifest.json')).counts.samples).toBe(0);
    expect((await api(env!.central.url, '/api/datasets/export?types=bogus', TOKENS.admin)).status).toBe(422);
    expect((await api(env!.central.url, '/api/datasets/export?from=yesterday', TOKENS.admin)).status).toBe(
      422,
    );
    expect((await api(env!.central.url, '/api/datasets/export', TOKENS.operator)).status).toBe(403);
  });

  it('an export job reports progress and offers the zip only once complete', async () => {
    const r = await api(env!.central.url, '/api/datasets/exports', TOKENS.admin, {
      body: { types: 'litter' },
    });
    expect(r.status).toBe(202);
    const job = await until(async () => {
      const j = await api(env!.central.url, r.body.url, TOKENS.admin);
      return j.body.state === 'done' ? j.body : undefined;
    }, 'export done');
    expect(job).toMatchObject({ done: 3, total: 3, samples: 2 });
    const zip = await download(job.zip);
    expect(JSON.parse(zip.readAsText('manifest.json')).counts.samples).toBe(2);
    expect((await api(env!.central.url, '/api/datasets/exports/nope', TOKENS.admin)).status).toBe(404);
  });

  it('GET /api/models: where each model runs (heartbeat) and its evaluation by verdicts; each AI case names its model', async () => {
    const sha = 'a'.repeat(64);
    const now = new Date().toISOString();
    const hb = {
      v: 1 as const,
      gatewayId: 'cp-01',
      gatewayKind: 'checkpoint' as const,
      sentAt: now,
      startedAt: now,
      softwareVersion: 't',
      intervalS: 10,
      devices: [],
      models: [
        {
          name: 'cg-detector',
          version: '1.0.0',
          sha256: sha,
          task: 'detect' as const,
          cameraIds: ['cam-01', 'cam-02'],
        },
      ],
    };
    await env!.nc.publishStored(subjects.status('cp-01'), encode(GatewayStatus, hb));
    const rows = await until(async () => {
      const r = await api(env!.central.url, '/api/models', TOKENS.operator);
      const m = (r.body.models as { sha256?: string; runningOn: unknown[] }[]).find((x) => x.sha256 === sha);
      return m?.runningOn.length ? r.body.models : undefined;
    }, 'heartbeat models');
    expect(rows.find((x: { sha256?: string }) => x.sha256 === sha)).toMatchObject({
      name: 'cg-detector',
      task: 'detect',
      runningOn: [{ gatewayId: 'cp-01', cameraIds: ['cam-01', 'cam-02'], online: true }],
    });
    // the incidents named cg-detector 1.0.0 without a sha256: a row of its own, evaluated by the verdicts
    expect(
      rows.find((x: { sha256?: string; version?: string }) => !x.sha256 && x.version === '1.0.0'),
    ).toMatchObject({
      aiCases: 4,
      verdicts: { confirmed: 1, wrongCategory: 1, rejected: { false_positive: 1, invalid: 1 } },
      precision: 0.667,
    });
    const detail = await api(env!.central.url, `/api/cases/${cases.confirmed}`, TOKENS.operator);
    expect(detail.body.model).toEqual({ name: 'cg-detector', version: '1.0.0' });
    expect((await api(env!.central.url, '/api/models', TOKENS.collector)).status).toBe(403);
  });
});
