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
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono, MiddlewareHandler } from 'hono';
import pino from 'pino';
import { buildApp, type RouteGroup } from './app.js';
import { loadUsers, type UserDirectory } from './auth/index.js';
import { CaseService } from './cases/service.js';
import { type City, loadCity } from './city/index.js';
import { DeviceBoard } from './devices/board.js';
import { GatewayCaller } from './devices/commands.js';
import { reportsAreHeartbeats } from './devices/handsets.js';
import { AttachmentStore } from './evidence/attachments.js';
import { type CentralCounters, newCounters } from './http/metrics.js';
import { type NatsAuth, NatsIngest } from './ingest/index.js';
import type { CaseStore } from './store/index.js';
import { LowdbCaseStore } from './store/lowdb.js';
import { MemoryCaseStore } from './store/memory.js';

export const SEED_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), 'seed');

export interface CentralOptions {
  /** data directory; undefined keeps everything in memory (tests) */
  dataDir?: string;
  /** NATS url; undefined runs without ingest (HTTP only) */
  natsUrl?: string;
  /** central's NATS user/password/token and TLS files */
  natsAuth?: NatsAuth;
  /** seed directory with catalog/grids/org/collectors/calendar (default central/seed) */
  seedDir?: string;
  /** users file (default <seedDir>/users.json) */
  usersFile?: string;
  duplicateMetres?: number;
  maxUploadBytes?: number;
  /** journal fsync on every commit (survives power loss, not only process death) */
  fsync?: boolean;
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
  store: CaseStore;
  board: DeviceBoard;
  counters: CentralCounters;
  ingest: NatsIngest | undefined;
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
  const users = loadUsers(o.usersFile ?? join(seedDir, 'users.json'));
  const store: CaseStore = o.dataDir
    ? new LowdbCaseStore({ dir: join(o.dataDir, 'cases'), fsync: o.fsync })
    : new MemoryCaseStore();
  await store.open();
  const board = new DeviceBoard(o.dataDir ? join(o.dataDir, 'devices') : undefined);
  await board.open();
  // without a data directory (tests) uploads go to a temporary folder removed by stop()
  const tmpAttachments = o.dataDir ? undefined : mkdtempSync(join(tmpdir(), 'cg-attachments-'));
  const attachments = new AttachmentStore(tmpAttachments ?? join(o.dataDir!, 'attachments'));
  const svc = new CaseService({ store, city, attachments, duplicateMetres: o.duplicateMetres, now: o.now });
  const counters = newCounters();
  reportsAreHeartbeats(store, board, city); // a collector's report is a heartbeat of their handset
  const ingest = o.natsUrl
    ? new NatsIngest({ url: o.natsUrl, auth: o.natsAuth, svc, board, counters, log })
    : undefined;
  const app = buildApp(
    {
      svc,
      users,
      city,
      attachments,
      board,
      counters,
      objects: { get: (name) => (ingest ? ingest.getEvidence(name) : Promise.resolve(undefined)) },
      natsConnected: () => !!ingest?.connected,
      maxUploadBytes: o.maxUploadBytes ?? 8 * 1024 * 1024,
      caller: ingest ? new GatewayCaller(() => ingest.nc, board) : undefined,
    },
    o.extraRoutes,
    o.middleware,
  );
  let server: ServerType | undefined;

  return {
    app,
    svc,
    city,
    users,
    store,
    board,
    counters,
    ingest,
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
      ingest?.start();
      return { url: `${listen.tls ? 'https' : 'http'}://${host}:${port}`, port };
    },
    async stop() {
      await ingest?.stop();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await board.save();
      await store.close();
      if (tmpAttachments) rmSync(tmpAttachments, { recursive: true, force: true });
    },
  };
}
