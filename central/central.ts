/**
 * @module central/central
 * `createCentral(options)`: the central service as an object — the Hono app (for
 * `app.request()` in tests) plus `start()`/`stop()` for a real process: open the stores, serve
 * HTTP, connect to NATS (retrying while it is unreachable) and consume incidents, status and
 * telemetry durably.
 * @example
 *   const central = await createCentral({ dataDir: '.data/central', natsUrl: 'nats://127.0.0.1:4222' });
 *   const { url } = await central.start({ port: 0 });
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono, MiddlewareHandler } from 'hono';
import pino from 'pino';
import { buildApp, type RouteGroup } from './app.js';
import { UserDirectory } from './auth/index.js';
import { CaseService } from './cases/service.js';
import { type City, loadCity } from './city/index.js';
import { type CaseRelay, relayCaseChanges } from './console/relay.js';
import { VerdictLog } from './datasets/index.js';
import { DeviceBoard } from './devices/board.js';
import { GatewayCaller } from './devices/commands.js';
import { reportsAreHeartbeats } from './devices/handsets.js';
import { type AttachmentStore, DiskAttachments, SharedAttachments } from './evidence/attachments.js';
import type { EvidenceSource } from './evidence/routes.js';
import { type CentralCounters, newCounters } from './http/metrics.js';
import { type NatsAuth, NatsIngest } from './ingest/index.js';
import { ScoringStore } from './scoring/store.js';
import { type CentralStore, StoreUnavailable } from './store/contract/index.js';
import { LowdbAdapter } from './store/contract/lowdb-adapter.js';
import { DamagedFilesError } from './store/damage.js';
import type { CaseStore } from './store/index.js';
import { LowdbCaseStore } from './store/lowdb.js';
import { MemoryCaseStore } from './store/memory.js';
import { PgStore } from './store/postgres/index.js';

export const SEED_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), 'seed');

export interface CentralOptions {
  /** data directory; undefined keeps everything in memory (tests) */
  dataDir?: string;
  /**
   * `postgres://user@host:port/db`: cases, incidents and idempotency keys in PostgreSQL (several
   * central instances may share it); undefined: lowdb in `dataDir` (or memory)
   */
  storeUrl?: string;
  /** seconds between tries while PostgreSQL cannot be reached at start (default 2) */
  storeRetryS?: number;
  /**
   * this instance's name among several on one store (letters, digits, `-`, `_`): its own status
   * and telemetry consumers (`central-status-<instance>`). Default with `storeUrl`: the host name
   * and a hash of the data directory (stable across restarts); without a data directory, a random
   * one (a board in memory starts empty anyway). Unused on lowdb (one instance).
   */
  instance?: string;
  /** NATS url, or a cluster's urls separated by commas; undefined runs without ingest (HTTP only) */
  natsUrl?: string;
  /** copies of the streams and evidence buckets central creates (3 on a 3-node cluster) */
  natsReplicas?: number;
  /** central's NATS user/password/token and TLS files */
  natsAuth?: NatsAuth;
  /** seed directory with catalog/grids/org/collectors/calendar (default central/seed) */
  seedDir?: string;
  /** load the demo users with their fixed tokens (`<seedDir>/users.json`); never in production */
  demo?: boolean;
  /** issued-tokens file (default <dataDir>/users.json; see `npm run users`) */
  usersFile?: string;
  duplicateMetres?: number;
  maxUploadBytes?: number;
  /** journal fsync on every commit (survives power loss, not only process death) */
  fsync?: boolean;
  /** start on damaged data files: keep every readable record, move the damaged files aside */
  repair?: boolean;
  /** case store checkpoint period (default 5 s) */
  checkpointMs?: number;
  now?: () => Date;
  extraRoutes?: RouteGroup[];
  /** middleware run before every route (rate/body limits) */
  middleware?: MiddlewareHandler[];
  logLevel?: string;
}

export interface Central {
  app: Hono;
  svc: CaseService;
  city: City;
  users: UserDirectory;
  /** the storage contract everything reads and writes through (lowdb adapter or PostgreSQL) */
  store: CentralStore;
  /** the embedded case store under the lowdb adapter; undefined on PostgreSQL */
  embedded: CaseStore | undefined;
  /** resolves once the store is open (PostgreSQL: reached and migrated) */
  storeReady: Promise<void>;
  board: DeviceBoard;
  counters: CentralCounters;
  ingest: NatsIngest | undefined;
  /** operator verdicts on AI cases, the training data set (central/datasets) */
  verdicts: VerdictLog;
  /** listen; with `tls` (PEM files) it serves HTTPS */
  start(listen?: {
    port?: number;
    host?: string;
    tls?: { certFile: string; keyFile: string };
  }): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
}

export async function createCentral(o: CentralOptions = {}): Promise<Central> {
  const log = pino({ name: 'central', level: o.logLevel ?? process.env.LOG_LEVEL ?? 'info' });
  const seedDir = o.seedDir ?? SEED_DIR;
  const city = loadCity(seedDir);
  const users = new UserDirectory({
    demoFile: o.demo ? join(seedDir, 'users.json') : undefined,
    issuedFile: o.usersFile ?? (o.dataDir ? join(o.dataDir, 'users.json') : undefined),
  });
  if (o.demo)
    log.warn('demo users with their fixed tokens are signed in (--demo); never use this in production');
  const lowdb = o.storeUrl
    ? undefined
    : o.dataDir
      ? new LowdbCaseStore({
          dir: join(o.dataDir, 'cases'),
          fsync: o.fsync,
          repair: o.repair,
          checkpointMs: o.checkpointMs,
          log,
        })
      : undefined;
  const embedded: CaseStore | undefined = o.storeUrl ? undefined : (lowdb ?? new MemoryCaseStore());
  const tmpScoring = o.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'cg-scoring-'));
  const store: CentralStore = o.storeUrl
    ? new PgStore({ url: o.storeUrl })
    : new LowdbAdapter(embedded!, new ScoringStore(tmpScoring ?? o.dataDir!));
  const board = new DeviceBoard(o.dataDir ? join(o.dataDir, 'devices') : undefined);
  const storeReady =
    store.kind === 'postgres' ? (await openPg(store as PgStore, log, o.storeRetryS ?? 2)).ready : undefined;
  // every damaged file is named at once, not only the first one met
  const damages = (
    await Promise.all(
      [storeReady ? Promise.resolve() : store.open(), board.open({ repair: o.repair, log })].map((p) =>
        p.then(
          () => [],
          (e) => {
            if (e instanceof DamagedFilesError) return e.damages;
            throw e;
          },
        ),
      ),
    )
  ).flat();
  if (damages.length) throw new DamagedFilesError(damages);
  // on PostgreSQL uploads are shared by every instance; on lowdb they sit in the data directory,
  // and without one (tests) in a temporary folder removed by stop()
  const tmpAttachments =
    o.dataDir || store.kind === 'postgres' ? undefined : mkdtempSync(join(tmpdir(), 'cg-attachments-'));
  const attachments: AttachmentStore =
    store.kind === 'postgres'
      ? new SharedAttachments(store.attachments, o.now)
      : new DiskAttachments(tmpAttachments ?? join(o.dataDir!, 'attachments'));
  const svc = new CaseService({ store, city, attachments, duplicateMetres: o.duplicateMetres, now: o.now });
  const counters = newCounters();
  const tmpDatasets = o.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'cg-datasets-'));
  const verdicts = new VerdictLog(tmpDatasets ?? join(o.dataDir!, 'datasets'));
  const objects: EvidenceSource = {
    get: (bucket, name) => (ingest ? ingest.getEvidence(bucket, name) : Promise.resolve(undefined)),
  };
  verdicts.watch(store, objects);
  reportsAreHeartbeats(store, board, city); // a collector's report is a heartbeat of their handset
  let relay: CaseRelay | undefined;
  const ingest = o.natsUrl
    ? new NatsIngest({
        url: o.natsUrl,
        auth: o.natsAuth,
        svc,
        board,
        counters,
        log,
        instance: o.storeUrl ? instanceName(o) : undefined,
        replicas: o.natsReplicas,
        // live updates reach the console clients of every instance on the same NATS
        onLink: (nc) => {
          relay = relayCaseChanges(nc, store, log);
        },
      })
    : undefined;
  const app = buildApp(
    {
      svc,
      users,
      city,
      attachments,
      board,
      counters,
      objects,
      verdicts,
      embedded,
      natsConnected: () => !!ingest?.connected,
      components: () => ({
        ...(lowdb ? { cases: lowdb.health() } : {}),
        ...(ingest ? ingest.health() : {}),
      }),
      maxUploadBytes: o.maxUploadBytes ?? 8 * 1024 * 1024,
      caller: ingest ? new GatewayCaller(() => ingest.nc, board) : undefined,
      consumers: ingest ? () => ingest.consumers : undefined,
    },
    o.extraRoutes,
    // until PostgreSQL is reached and migrated the API answers 503, not 500
    [...(storeReady ? [untilReady(storeReady, (store as PgStore).target)] : []), ...(o.middleware ?? [])],
  );
  let server: ServerType | undefined;

  return {
    app,
    svc,
    city,
    users,
    store,
    embedded,
    storeReady: storeReady ?? Promise.resolve(),
    board,
    counters,
    ingest,
    verdicts,
    async start(listen = {}) {
      const host = listen.host ?? '127.0.0.1';
      const port = await new Promise<number>((res, rej) => {
        const base = { fetch: app.fetch, port: listen.port ?? 8080, hostname: host };
        const opts = listen.tls
          ? {
              ...base,
              createServer: createHttpsServer,
              serverOptions: {
                cert: readFileSync(listen.tls.certFile),
                key: readFileSync(listen.tls.keyFile),
              },
            }
          : base;
        server = serve(opts, (info: AddressInfo) => res(info.port));
        server.once('error', rej);
      });
      // consume only once the store can take what is consumed
      if (ingest)
        void (storeReady ?? Promise.resolve()).then(
          () => ingest.start(),
          () => {},
        );
      return { url: `${listen.tls ? 'https' : 'http'}://${host}:${port}`, port };
    },
    async stop() {
      relay?.stop();
      await ingest?.stop();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await board.save();
      await store.close();
      if (tmpScoring) rmSync(tmpScoring, { recursive: true, force: true });
      if (tmpAttachments) rmSync(tmpAttachments, { recursive: true, force: true });
      if (tmpDatasets) rmSync(tmpDatasets, { recursive: true, force: true });
    },
  };
}

/** This instance's name among those sharing the store (see `CentralOptions.instance`). */
export function instanceName(o: Pick<CentralOptions, 'instance' | 'dataDir'>): string {
  const name =
    o.instance ??
    (o.dataDir
      ? `${hostname().slice(0, 40)}-${createHash('sha256').update(resolve(o.dataDir)).digest('hex').slice(0, 8)}`
      : randomUUID()
    ).replace(/[^A-Za-z0-9_-]/g, '_');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
    throw new Error(`instance name must be 1-64 letters, digits, - or _: ${JSON.stringify(name)}`);
  return name;
}

/**
 * Open PostgreSQL: the first try is awaited (a failing migration throws `MigrationFailed` and
 * central refuses to start, naming it); while the server cannot be reached, the returned promise
 * keeps trying with one log line per try, and the HTTP API answers 503 meanwhile.
 */
async function openPg(store: PgStore, log: pino.Logger, retryS: number): Promise<{ ready: Promise<void> }> {
  const once = async () => {
    await store.open();
    if (store.applied.length) log.info({ migrations: store.applied }, 'store migrations applied');
    log.info({ store: store.target }, 'store open');
  };
  const unreachable = (e: unknown) => {
    if (!(e instanceof StoreUnavailable)) throw e;
    log.warn(`PostgreSQL ${store.target} unreachable (${e.reason}); retrying in ${retryS} s`);
  };
  try {
    await once();
    return { ready: Promise.resolve() };
  } catch (e) {
    unreachable(e);
  }
  const retrying = (async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, retryS * 1000));
      try {
        return await once();
      } catch (e) {
        unreachable(e);
      }
    }
  })();
  return { ready: retrying };
}

/** Middleware: 503 with Retry-After until the store is open. */
function untilReady(ready: Promise<void>, target: string): MiddlewareHandler {
  let open = false;
  let failed: Error | undefined;
  ready.then(
    () => {
      open = true;
    },
    (e: Error) => {
      failed = e;
    },
  );
  return async (c, next) => {
    if (open || c.req.path === '/api/health' || !c.req.path.startsWith('/api')) return next();
    throw new StoreUnavailable(target, failed?.message ?? 'not reached yet (starting)');
  };
}
