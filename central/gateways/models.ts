/**
 * @module central/gateways/models
 * Model versions for rollout. `publishModel` puts a version folder (model.onnx, manifest.json,
 * MODEL_CARD.md) into the object store bucket `cg_models`, after checking the file's sha256
 * against its manifest; the manifest goes last, so a publish stopped halfway leaves a version
 * that is never listed or rolled out. `rolloutModel` writes, for each chosen gateway, the next
 * version of its synced configuration with the camera models of that name replaced by
 * `models://name/version#sha256` (edge/sync/models.ts fetches and verifies it); `rollbackModel`
 * selects, from the configuration's KV history, what that gateway ran before.
 * @example
 *   await publishModel(nc, 'models/detector-city-2026-12');
 *   await rolloutModel(hub, { gatewayIds: ['cp-01'], name: 'cg-detector', version: '1.1.0' }, 'u-admin');
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatModelRef,
  MODELS_BUCKET,
  modelObject,
  type PublishedModel,
  parseModelRef,
} from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import { ConfigRejected, type GatewayConfigHub } from './hub.js';

export interface PublishedVersion extends PublishedModel {
  task?: string;
  labels?: string[];
  publishedAt?: string;
  card?: string;
}

const openStore = (nc: Link) =>
  nc.objects(MODELS_BUCKET, { description: 'model versions for rollout to gateways' });

/** Publish a version folder; refuses a sha256 mismatch and a different file under a published version. */
export async function publishModel(nc: Link, dir: string): Promise<PublishedVersion> {
  const mFile = join(dir, 'manifest.json');
  const mBytes = readFileSync(mFile);
  const m = JSON.parse(mBytes.toString('utf8')) as {
    name?: string;
    version?: string;
    sha256?: string;
    file?: string;
    task?: string;
    labels?: string[];
  };
  if (!m.name || !m.version || !m.sha256) throw new Error(`${mFile}: needs name, version and sha256`);
  if (!parseModelRef(formatModelRef({ name: m.name, version: m.version, sha256: m.sha256 })))
    throw new Error(`${mFile}: name and version may hold only letters, digits, '.', '_' and '-'`);
  const onnx = readFileSync(join(dir, m.file ?? 'model.onnx'));
  const sha = createHash('sha256').update(onnx).digest('hex');
  if (sha !== m.sha256)
    throw new Error(`${dir}: model file sha256 ${sha} does not match the manifest (${m.sha256})`);
  const os = await openStore(nc);
  const old = await os.get(modelObject(m.name, m.version, 'manifest.json'));
  if (old) {
    const had = JSON.parse(new TextDecoder().decode(old)) as { sha256?: string };
    if (had.sha256 === m.sha256) return describe(m);
    throw new Error(
      `${m.name} ${m.version} is already published with another file (sha256 ${had.sha256}); use a new version`,
    );
  }
  await os.put(modelObject(m.name, m.version, 'model.onnx'), onnx);
  const card = join(dir, 'MODEL_CARD.md');
  if (existsSync(card)) await os.put(modelObject(m.name, m.version, 'MODEL_CARD.md'), readFileSync(card));
  await os.put(modelObject(m.name, m.version, 'manifest.json'), mBytes);
  return describe(m, new Date().toISOString());
}

function describe(
  m: { name?: string; version?: string; sha256?: string; task?: string; labels?: string[] },
  publishedAt?: string,
): PublishedVersion {
  return {
    name: m.name as string,
    version: m.version as string,
    sha256: m.sha256 as string,
    task: m.task,
    labels: m.labels,
    publishedAt,
  };
}

/** Every complete published version (those with a manifest), oldest first. */
export async function listPublished(nc: Link): Promise<PublishedVersion[]> {
  const os = await openStore(nc);
  const out: PublishedVersion[] = [];
  for (const info of await os.list()) {
    if (!info.name.endsWith('/manifest.json')) continue;
    const bytes = await os.get(info.name);
    if (!bytes) continue;
    try {
      const m = JSON.parse(new TextDecoder().decode(bytes));
      out.push(describe(m, info.mtime));
    } catch {
      // an unreadable manifest is not offered
    }
  }
  return out.sort((a, b) => (a.publishedAt ?? '').localeCompare(b.publishedAt ?? ''));
}

export interface RolloutRequest {
  gatewayIds: string[];
  name: string;
  version: string;
  /** also replace camera models given by this local manifest path (the first rollout of a name) */
  replace?: string;
}

export interface RolloutResult {
  gatewayId: string;
  /** the configuration version written */
  configVersion: number;
  /** slot → what it names now */
  models: Record<string, string>;
}

type Models = Record<string, unknown>;
const modelsOf = (config: unknown): Models | undefined =>
  (config as { cameras?: { models?: Models } }).cameras?.models;

/** The camera section's model strings by slot: `detector`, `classifier`, `detectors.<i>`. */
function slots(config: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const m = modelsOf(config);
  if (!m) return out;
  for (const k of ['detector', 'classifier']) if (typeof m[k] === 'string') out.set(k, m[k] as string);
  if (Array.isArray(m.detectors))
    (m.detectors as { manifest?: unknown }[]).forEach((d, i) => {
      if (typeof d?.manifest === 'string') out.set(`detectors.${i}`, d.manifest);
    });
  return out;
}

function setSlot(config: unknown, slot: string, value: string): void {
  const m = modelsOf(config) as Models;
  const [k, i] = slot.split('.');
  if (i === undefined) m[k] = value;
  else (m.detectors as { manifest: string }[])[Number(i)].manifest = value;
}

/** Write the next configuration version of a gateway with `values` in those slots. */
async function writeSlots(
  hub: GatewayConfigHub,
  gatewayId: string,
  values: (current: Map<string, string>) => Map<string, string>,
  by: string,
): Promise<RolloutResult> {
  const view = await hub.get(gatewayId);
  if (!view.desired)
    throw new ConfigRejected(`gateway ${gatewayId} has no synced configuration; PUT its config first`);
  const config = structuredClone(view.desired.config);
  const next = values(slots(config));
  for (const [slot, v] of next) setSlot(config, slot, v);
  const doc = await hub.put(gatewayId, config, by);
  return { gatewayId, configVersion: doc.version, models: Object.fromEntries(next) };
}

export async function rolloutModel(
  nc: Link,
  hub: GatewayConfigHub,
  req: RolloutRequest,
  by: string,
): Promise<RolloutResult[]> {
  const v = (await listPublished(nc)).find((p) => p.name === req.name && p.version === req.version);
  if (!v) throw new ConfigRejected(`model ${req.name} ${req.version} is not published`);
  const ref = formatModelRef(v);
  const out: RolloutResult[] = [];
  for (const id of req.gatewayIds)
    out.push(
      await writeSlots(
        hub,
        id,
        (cur) => {
          const hit = [...cur].filter(([, s]) => parseModelRef(s)?.name === req.name || s === req.replace);
          if (!hit.length)
            throw new ConfigRejected(
              `gateway ${id}: no camera model is ${req.name}${req.replace ? ` or ${req.replace}` : ''} (give "replace": the manifest path it uses now)`,
            );
          return new Map(hit.map(([slot]) => [slot, ref]));
        },
        by,
      ),
    );
  return out;
}

/**
 * Select again what each gateway ran before its current version of `name`: the slots that hold
 * it now get the values of the newest earlier configuration in which they differed.
 */
export async function rollbackModel(
  hub: GatewayConfigHub,
  req: { gatewayIds: string[]; name: string },
  by: string,
): Promise<RolloutResult[]> {
  const out: RolloutResult[] = [];
  for (const id of req.gatewayIds) {
    const docs = await hub.history(id);
    const now = [...slots(docs[0]?.config)].filter(([, s]) => parseModelRef(s)?.name === req.name);
    if (!now.length) throw new ConfigRejected(`gateway ${id} does not run a rolled-out ${req.name}`);
    const earlier = docs
      .slice(1)
      .map((d) => slots(d.config))
      .find((s) => now.some(([slot, v]) => s.has(slot) && s.get(slot) !== v));
    if (!earlier)
      throw new ConfigRejected(`gateway ${id}: no earlier ${req.name} in its configuration history`);
    const back = new Map(
      now.flatMap(([slot]) => (earlier.has(slot) ? [[slot, earlier.get(slot) as string]] : [])),
    );
    out.push(await writeSlots(hub, id, () => back, by));
  }
  return out;
}
