/**
 * @module edge/sync/models
 * Models rolled out by central. A synced camera section may name a model as
 * `models://<name>/<version>#<sha256>` instead of a local manifest path; before the configuration
 * is applied each such reference is fetched from the read-only object store bucket `cg_models`
 * into `<dataDir>/models/<name>/<version>/`, and the reference is replaced by that manifest's path.
 *
 * Nothing half-written is loaded: the files go to a temporary folder, model.onnx is hashed while
 * it streams and must match both the reference and the manifest, and only then is the folder
 * renamed into place. A copy already on disk is re-hashed before it is reused (a restart without
 * NATS comes back with it). Any failure throws, naming the model and the reason; the config sync
 * then refuses the version and the old models keep running.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import {
  formatModelRef as formatRef,
  MODELS_BUCKET,
  type PublishedModel as ModelRef,
  modelObject,
  parseModelRef,
} from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';

/** Every string value in a camera section's `models` that is a model reference. */
function modelSlots(config: unknown): { get(): string; set(v: string): void }[] {
  const slots: { get(): string; set(v: string): void }[] = [];
  const cams = (config as { cameras?: { models?: Record<string, unknown> } } | undefined)?.cameras;
  const m = cams?.models;
  if (!m) return slots;
  const field = (o: Record<string, unknown>, k: string) => {
    if (typeof o[k] === 'string') slots.push({ get: () => o[k] as string, set: (v) => (o[k] = v) });
  };
  field(m, 'detector');
  field(m, 'classifier');
  if (Array.isArray(m.detectors))
    for (const d of m.detectors) if (d && typeof d === 'object') field(d, 'manifest');
  return slots;
}

/** The published models a configuration names. */
export function modelRefsIn(config: unknown): ModelRef[] {
  return modelSlots(config).flatMap((s) => parseModelRef(s.get()) ?? []);
}

/** Replace every model reference in `config` (in place) with the path `pathOf` gives. */
export function replaceModelRefs(config: unknown, pathOf: (r: ModelRef) => string): void {
  for (const s of modelSlots(config)) {
    const r = parseModelRef(s.get());
    if (r) s.set(pathOf(r));
  }
}

const sha256File = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export function modelDir(dataDir: string, r: ModelRef): string {
  return join(dataDir, 'models', r.name, r.version);
}

/** The manifest path of a verified copy on disk, or undefined. */
function cached(dataDir: string, r: ModelRef): string | undefined {
  const dir = modelDir(dataDir, r);
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  try {
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { sha256?: string; file?: string };
    if (m.sha256 === r.sha256 && sha256File(join(dir, m.file ?? 'model.onnx')) === r.sha256) return manifest;
  } catch {
    // unreadable copy: fetched again below
  }
  return undefined;
}

/** Fetch (or reuse) one published model; returns its manifest path. */
export async function fetchModel(nc: Link | undefined, dataDir: string, r: ModelRef): Promise<string> {
  const have = cached(dataDir, r);
  if (have) return have;
  const what = `model ${r.name} ${r.version}`;
  if (!nc) throw new Error(`${what} is not on this gateway and NATS is not connected`);
  const root = join(dataDir, 'models');
  const tmp = join(root, `.incoming-${r.name}-${r.version}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const blob = async (file: string) => {
      const parts: Uint8Array[] = [];
      return (await nc.readObject(MODELS_BUCKET, modelObject(r.name, r.version, file), (c) => parts.push(c)))
        ? Buffer.concat(parts)
        : undefined;
    };
    const mBytes = await blob('manifest.json');
    if (!mBytes) throw new Error(`${what} is not published (no manifest.json in ${MODELS_BUCKET})`);
    const manifest = JSON.parse(mBytes.toString('utf8')) as { sha256?: string; file?: string };
    if (manifest.sha256 !== r.sha256)
      throw new Error(
        `${what}: the published manifest's sha256 ${manifest.sha256} is not the one rolled out (${r.sha256})`,
      );
    const file = manifest.file ?? 'model.onnx';
    const hash = createHash('sha256');
    const out = createWriteStream(join(tmp, file));
    const found = await nc.readObject(
      MODELS_BUCKET,
      modelObject(r.name, r.version, 'model.onnx'),
      async (chunk) => {
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((ok) => out.once('drain', () => ok()));
      },
    );
    out.end();
    await finished(out);
    if (!found) throw new Error(`${what}: model.onnx is missing from ${MODELS_BUCKET}`);
    const got = hash.digest('hex');
    if (got !== r.sha256)
      throw new Error(`${what}: downloaded model.onnx has sha256 ${got}, expected ${r.sha256}`);
    const card = await blob('MODEL_CARD.md');
    if (card) writeFileSync(join(tmp, 'MODEL_CARD.md'), card);
    writeFileSync(join(tmp, 'manifest.json'), mBytes);
    const dir = modelDir(dataDir, r);
    rmSync(dir, { recursive: true, force: true }); // an unverifiable copy from before
    mkdirSync(join(dir, '..'), { recursive: true });
    renameSync(tmp, dir);
    return join(dir, 'manifest.json');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Fetch every model `config` names and return a copy with local manifest paths. */
export async function localiseModels<T>(
  config: T,
  nc: Link | undefined,
  dataDir: string,
): Promise<{ config: T; paths: Map<string, string> }> {
  const paths = new Map<string, string>();
  for (const r of modelRefsIn(config)) {
    const key = `${r.name}/${r.version}#${r.sha256}`;
    if (!paths.has(key)) paths.set(key, await fetchModel(nc, dataDir, r));
  }
  return { config: withPaths(config, paths), paths };
}

/** A copy of `config` with each model reference replaced by its fetched manifest path. */
export function withPaths<T>(config: T, paths: Map<string, string>): T {
  const copy = structuredClone(config);
  replaceModelRefs(copy, (r) => paths.get(`${r.name}/${r.version}#${r.sha256}`) ?? formatRef(r));
  return copy;
}
