/**
 * @module bench/lib/central
 * Central-side helpers shared by the ingest, API and end-to-end benchmarks: a quiet logger,
 * incidents spread over the demo city, a JetStream backlog, and a central whose store holds
 * `n` generated cases.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, createCentral, SEED_DIR } from '../../central/central.js';
import { type City, loadCity } from '../../central/city/index.js';
import { encode, Incident, type IncidentInput, STREAMS, subjects } from '../../protocol/index.js';
import { connectNats, type Link } from '../../protocol/transport.js';
import { REPO_ROOT } from '../../sim/processes.js';
import { litterIncident } from '../../test/central-helpers.js';
import { generateCases, prng, writePartitions } from './cases.js';

/**
 * Central as a process: the field build (`npm run build`, plain node) where it exists, as it is
 * deployed; else the TypeScript entry through tsx (slower: tsx's per-closure helper, see
 * BENCHMARKS.md). Benchmarks say which in their notes.
 */
const BUILT = join(REPO_ROOT, 'dist/central/main.js');
export const CENTRAL_ENTRY = existsSync(BUILT) ? BUILT : 'central/main.ts';
export const centralEntryNote = () =>
  `central's process: ${CENTRAL_ENTRY === BUILT ? 'the field build (dist/, npm run build)' : 'tsx (no dist/: run npm run build for field figures)'}`;

export const quiet = { info() {}, warn() {}, error() {} };
export const connect = (url: string) => connectNats({ servers: url, name: 'bench', log: quiet });

let city: City | undefined;
export const demoCity = () => (city ??= loadCity(SEED_DIR));

/** `n` new litter incidents from 8 gateways, each at a different point of the city. */
export function incidents(n: number, seed = 7): IncidentInput[] {
  const rnd = prng(seed);
  const grids = [...demoCity().grids.values()];
  return Array.from({ length: n }, (_, i) => {
    const g = grids[i % grids.length];
    const [lon0, lat0, lon1, lat1] = g.bbox;
    const gw = `cp-0${(i % 8) + 1}`;
    return litterIncident({
      gatewayId: gw,
      deviceId: `cam-${i % 64}`,
      location: {
        source: 'fixed',
        lat: lat0 + (lat1 - lat0) * rnd(),
        lon: lon0 + (lon1 - lon0) * rnd(),
        cameraId: `cam-${i % 64}`,
        zoneId: `z${i}`,
      },
    });
  });
}

/** Publish and wait for every JetStream ack: the backlog central will consume. */
export async function publishBacklog(nc: Link, list: IncidentInput[]): Promise<void> {
  for (let i = 0; i < list.length; i += 500)
    await Promise.all(
      list
        .slice(i, i + 500)
        .map((inc) => nc.publishStored(subjects.incident(inc.gatewayId), encode(Incident, inc))),
    );
}

/**
 * The baseline of every ingest figure: a bare pull consume + ack of the first `n` messages of
 * the incident stream on a new durable (created on first consume, as central's is: explicit
 * ack, from the start, the same batch size); messages/s. With `from`, only messages `from`..`n`
 * are timed (the steady rate, without the consumer's creation and first pull).
 */
export async function bareConsume(url: string, n: number, durable: string, from = 0): Promise<number> {
  const c = await connect(url);
  try {
    let t0 = process.hrtime.bigint();
    const msgs = await c.consume(STREAMS.incidents.name, durable, { maxMessages: 256 });
    let k = 0;
    for await (const m of msgs) {
      m.ack();
      if (++k === from) t0 = process.hrtime.bigint();
      if (k === n) break;
    }
    return (n - from) / (Number(process.hrtime.bigint() - t0) / 1e9);
  } finally {
    await c.close();
  }
}

export interface LoadedCentral {
  central: Central;
  dataDir: string;
  /** seconds `createCentral` took, mostly reading the store */
  openS: number;
  dispose(): Promise<void>;
}

/** A central (not started) over a data dir pre-filled with `n` cases spanning `days`. */
export async function centralWithCases(
  n: number,
  o: { natsUrl?: string; days?: number; reported?: number; openDays?: number; end?: Date } = {},
): Promise<LoadedCentral> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cg-bench-central-'));
  if (n > 0)
    writePartitions(
      join(dataDir, 'cases'),
      generateCases(demoCity(), {
        n,
        days: o.days ?? 365,
        end: o.end ?? new Date(),
        reported: o.reported ?? Math.min(n, 500),
        openDays: o.openDays,
      }),
    );
  const t0 = Date.now();
  const central = await createCentral({ demo: true, dataDir, natsUrl: o.natsUrl, logLevel: 'silent' });
  const openS = (Date.now() - t0) / 1000;
  return {
    central,
    dataDir,
    openS,
    async dispose() {
      await central.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
