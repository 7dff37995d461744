/**
 * models - the learning loop end to end with real processes: a real nats-server, a central
 * process and a gateway process with a camera section running the real cg-detector. AI litter
 * incidents with real JPEG evidence reach central over JetStream (as the gateway publishes them);
 * an operator confirms the ones showing litter (the committed `litter` scene frames, boxes from
 * its ground truth) and rejects as false positives the real street photos of ../shared on which
 * cg-detector sees "litter" in cars and trees. Then: `GET /api/datasets/export` → `models train`
 * (1 epoch, CPU) → `models eval` → `models publish` → rollout to the gateway → its heartbeat
 * reports the new version. Each stage prints its result.
 *
 * Whether one epoch makes the candidate better depends on the data; both outcomes are checked:
 * better → published as is; not better → publish refuses it, and `--force` publishes it with the
 * warning (the rollout is what this test is about). The incidents are published by the test on
 * the gateway's subjects rather than produced by its camera (that path is the camera tests').
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { splitOf } from '../central/datasets/index.js';
import { python } from '../models/eval/index.js';
import type { IncidentInput } from '../protocol/index.js';
import { connectNats, evidenceStore, type Link, putEvidence } from '../protocol/transport.js';
import { freePort, type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import type { ManagedProcess } from '../sim/processes.js';
import { litterIncident, publishIncident } from './central-helpers.js';
import { startCentralProcess, startGateway } from './fault-kit.js';
import { until } from './support/until.js';

const REPO = resolve(import.meta.dirname, '..');
const SCENE = join(REPO, 'models/scenes/litter');
const PHOTOS = join(REPO, '../shared/testdata/photos/paddledetection');
const BASE = join(REPO, 'models/detector/manifest.json');
const procs: ManagedProcess[] = [];
let server: NatsServerHandle | undefined;
let nc: Link | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cg-learning-loop-'));
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const stage = (name: string, what: string) => console.log(`[learning-loop] ${name}: ${what}`);

const torchOk =
  spawnSync(python(), ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0 && existsSync(PHOTOS);
if (!torchOk)
  console.warn(`models - learning loop skipped: needs ${python()} with torch + onnx and ${PHOTOS}`);

afterAll(async () => {
  for (const p of procs) await p.stop();
  await nc?.close();
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const models = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'models/cli.ts', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });

interface Sample {
  jpeg: Buffer;
  litter: { x: number; y: number; w: number; h: number }[];
}

/** Scene frames with litter (their litter boxes), and real photos as 640-wide JPEGs (no boxes). */
async function samples(): Promise<{ positives: Sample[]; negatives: Sample[] }> {
  const scene = JSON.parse(readFileSync(join(SCENE, 'scene.json'), 'utf8')) as {
    frames: { file: string; objects: { label: string; box: number[] }[] }[];
  };
  const positives = scene.frames
    .map((f) => ({
      jpeg: readFileSync(join(SCENE, f.file)),
      litter: f.objects
        .filter((o) => o.label === 'litter')
        .map(({ box: [x0, y0, x1, y1] }) => ({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 })),
    }))
    .filter((s) => s.litter.length);
  const negatives: Sample[] = [];
  for (const f of readdirSync(PHOTOS)
    .filter((n) => /\.(jpe?g|png)$/i.test(n))
    .sort())
    negatives.push({
      jpeg: await sharp(join(PHOTOS, f))
        .removeAlpha()
        .resize({ width: 640 })
        .jpeg({ quality: 90 })
        .toBuffer(),
      litter: [],
    });
  return { positives, negatives };
}

describe.skipIf(!torchOk)(
  'models - learning loop: verdicts → export → train → eval → publish → rollout',
  () => {
    it('the gateway heartbeat reports the version trained on the operators verdicts', {
      timeout: 600_000,
    }, async () => {
      server = await startNatsServer();
      const central = await startCentralProcess(server.url, join(dir, 'central'));
      procs.push(central.proc);
      const deadPort = await freePort();
      const cameras = {
        models: { detector: BASE },
        list: [
          {
            id: 'cam-1',
            name: '蒸湘区解放西路口',
            xaddr: `http://127.0.0.1:${deadPort}/onvif/device_service`,
            snapshotIntervalS: 5,
            backoff: { initialS: 5, maxS: 30 },
            location: { lat: 26.895, lon: 112.555, gridCode: '430408001001001' },
          },
        ],
      };
      const cfgPath = join(dir, 'cp-l.yaml');
      writeFileSync(
        cfgPath,
        `${[
          'gatewayId: cp-l',
          'kind: checkpoint',
          'heartbeatS: 1',
          `dataDir: ${join(dir, 'cp-l')}`,
          `nats: { servers: "${server.url}" }`,
          `cameras: ${JSON.stringify(cameras)}`,
        ].join('\n')}\n`,
      );
      procs.push(await startGateway(cfgPath, 'cp-l'));
      const headers = {
        authorization: 'Bearer demo-admin',
        'content-type': 'application/json',
        connection: 'close',
      };
      const call = (path: string, method = 'GET', body?: object, token = 'demo-admin') =>
        fetch(`${central.url}${path}`, {
          method,
          headers: { ...headers, authorization: `Bearer ${token}` },
          body: body && JSON.stringify(body),
        });
      const running = async () => {
        const v = await (await call('/api/gateways/cp-l/config')).json();
        return (v.reported?.models ?? []).find((m: { name: string }) => m.name === 'cg-detector');
      };
      await until(
        async () =>
          (await call('/api/gateways/cp-l/config', 'PUT', { kind: 'checkpoint', heartbeatS: 1, cameras }))
            .status === 200
            ? true
            : undefined,
        'config version 1 stored',
      );
      expect(await until(async () => running(), 'heartbeat reports cg-detector')).toMatchObject({
        version: '1.0.0',
      });

      // 1. AI cases, decided by an operator through the API
      nc = await connectNats({ servers: server.url, name: 'learning-loop', log: quiet });
      const evidence = await evidenceStore(nc, 'cp-l');
      const { positives, negatives } = await samples();
      const decided = { confirmed: 0, rejected: 0, val: { confirmed: 0, rejected: 0 } };
      let n = 0;
      const decide = async (s: Sample, verdict: 'confirmed' | 'rejected') => {
        const i = n++;
        const inc: IncidentInput = litterIncident({
          gatewayId: 'cp-l',
          deviceId: `cam-${i}`,
          detections: s.litter.length
            ? s.litter.map((box) => ({ label: 'litter', score: 0.7, box }))
            : [{ label: 'litter', score: 0.5, box: { x: 100, y: 100, w: 80, h: 60 } }],
          producer: { rule: 'camera.litter.persist', model: { name: 'cg-detector', version: '1.0.0' } },
        });
        const ref = await putEvidence(evidence, `${inc.id}-r0-clean.jpg`, new Uint8Array(s.jpeg), 'clean');
        await publishIncident(nc!, { ...inc, evidence: [ref] });
        const caseId = await until(async () => {
          const r = await (
            await call('/api/cases?source=ai&limit=200', 'GET', undefined, 'demo-operator')
          ).json();
          return (r.items as { id: string; refs: { incidentIds: string[] } }[]).find((c) =>
            c.refs.incidentIds.includes(inc.id),
          )?.id;
        }, `case for incident ${i}`);
        const act = verdict === 'confirmed' ? 'register' : 'reject';
        const body = verdict === 'confirmed' ? {} : { reason: 'false_positive', note: '车和树被当成垃圾' };
        const r = await call(`/api/cases/${caseId}/actions/${act}`, 'POST', body, 'demo-operator');
        expect(r.status, await r.text()).toBe(200);
        decided[verdict]++;
        if (splitOf(caseId) === 'val') decided.val[verdict]++;
      };
      for (const s of positives) await decide(s, 'confirmed');
      for (const s of negatives) await decide(s, 'rejected');
      // the held-out split is fixed by a hash of the case id: decide more frames again (new cases)
      // until both kinds are held out, so the comparison has positives and negatives
      for (let k = 0; k < 40 && !(decided.val.confirmed && decided.val.rejected); k++)
        if (!decided.val.confirmed) await decide(positives[k % positives.length], 'confirmed');
        else await decide(negatives[k % negatives.length], 'rejected');
      stage('verdicts', JSON.stringify(decided));
      expect(decided.val.confirmed * decided.val.rejected).toBeGreaterThan(0);

      // 2. the export
      const ex = await call('/api/datasets/export?types=litter');
      expect(ex.status).toBe(200);
      const zip = join(dir, 'verdicts.zip');
      writeFileSync(zip, Buffer.from(await ex.arrayBuffer()));
      stage('export', `${readFileSync(zip).length} bytes`);

      // 3. train: one epoch on the CPU
      const out = join(dir, 'cg-detector-city-loop');
      const tr = models(['train', '--dataset', zip, '--out', out, '--version', 'city-loop', '--epochs', '1']);
      expect(tr.status, tr.stderr + tr.stdout).toBe(0);
      expect(tr.stdout).toMatch(/step 1\/\d+ epoch .* eta \d+s/);
      const report = JSON.parse(tr.stdout.trim().split('\n').at(-1)!);
      expect(report.model).toMatchObject({ name: 'cg-detector', version: 'city-loop' });
      expect(report.dataset.negatives).toBe(decided.rejected);
      expect(readFileSync(join(out, 'MODEL_CARD.md'), 'utf8')).toContain(report.dataset.sha256);
      const lastStep = tr.stdout.match(/step \d+\/\d+ .*$/gm)?.at(-1);
      stage(
        'train',
        `${report.dataset.train} train / ${report.dataset.val} held out, ${lastStep} → ${report.model.sha256.slice(0, 12)}`,
      );

      // 4. eval against the running model
      const ev = models([
        'eval',
        '--baseline',
        BASE,
        '--candidate',
        join(out, 'manifest.json'),
        '--dataset',
        zip,
      ]);
      expect([0, 3], ev.stderr).toContain(ev.status);
      const evaluation = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8'));
      expect(evaluation.better).toBe(ev.status === 0);
      expect(evaluation.candidate.sha256).toBe(report.model.sha256);
      stage(
        'eval',
        `mAP ${evaluation.mAP.baseline.toFixed(3)} → ${evaluation.mAP.candidate.toFixed(3)}, recall at threshold ${evaluation.recallAtThreshold.baseline.toFixed(3)} → ${evaluation.recallAtThreshold.candidate.toFixed(3)}, false positives per negative frame ${evaluation.falsePositivesPerNegativeFrame.baseline.toFixed(2)} → ${evaluation.falsePositivesPerNegativeFrame.candidate.toFixed(2)}: ${evaluation.better ? 'better' : 'not better'}`,
      );

      // 5. publish (refused unless better) and roll out
      let pub = models(['publish', out, '--nats', server.url]);
      if (!evaluation.better) {
        expect(pub.status).toBe(1);
        expect(pub.stderr).toContain('not offered for rollout: evaluated not better');
        pub = models(['publish', out, '--nats', server.url, '--force']);
        expect(pub.stderr).toContain('with --force although evaluated not better');
      }
      expect(pub.status, pub.stderr).toBe(0);
      stage('publish', `${pub.stdout.trim()}${evaluation.better ? '' : ' (forced)'}`);
      const roll = await call('/api/gateways/models/rollout', 'POST', {
        gatewayIds: ['cp-l'],
        name: 'cg-detector',
        version: 'city-loop',
        replace: BASE,
      });
      expect(roll.status, await roll.clone().text()).toBe(200);
      const now = await until(async () => {
        const m = await running();
        return m?.version === 'city-loop' ? m : undefined;
      }, 'heartbeat reports city-loop');
      expect(now).toMatchObject({ version: 'city-loop', cameraIds: ['cam-1'] });
      stage('rollout', `heartbeat of cp-l reports ${JSON.stringify(now)}`);
    });
  },
);
