/**
 * @module central/main
 * The central process:
 *   npx tsx central/main.ts --port 8080 --nats nats://127.0.0.1:4222 --data .data/central
 * Prints `central listening on http://127.0.0.1:<port>` once ready; stops cleanly on
 * SIGINT/SIGTERM. Env fallbacks: CG_HTTP_PORT, CG_HTTP_HOST, CG_NATS_URL, CG_DATA_DIR, CG_SEED_DIR,
 * CG_STORE_URL. `--store postgres://user@host:5432/db` keeps cases in PostgreSQL (migrations at
 * start; unreachable: one log line per retry and 503 meanwhile; a failing migration: exit 4).
 * Mounts the gateway-config route group and the API guard (central/gateways) as well.
 * `central/main.ts import-city …` loads a city's own grids, organisation and collectors instead.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { createCentral } from './central.js';
import { importCityCli } from './city/import.js';
import { apiGuard, gatewayRouteGroup } from './gateways/index.js';
import { scoringRouteGroup } from './scoring/index.js';
import { MigrationFailed } from './store/contract/index.js';
import { DamagedFilesError } from './store/damage.js';

// `central import-city --grids … --org … --collectors …` (central/city/import.ts)
if (process.argv[2] === 'import-city') process.exit(await importCityCli(process.argv.slice(3)));

const program = new Command()
  .name('central')
  .description('数字城管 central: ingest, cases, workflow, API')
  .option('--port <n>', 'HTTP port (0 = any free port)', process.env.CG_HTTP_PORT ?? '8080')
  .option('--host <addr>', 'address to bind', process.env.CG_HTTP_HOST ?? '127.0.0.1')
  .option(
    '--nats <urls>',
    'NATS server url, or a cluster as url,url,url',
    process.env.CG_NATS_URL ?? 'nats://127.0.0.1:4222',
  )
  .option(
    '--nats-replicas <n>',
    'copies of the streams and buckets central creates (3 on a 3-node cluster)',
    process.env.CG_NATS_REPLICAS,
  )
  .option('--data <dir>', 'data directory', process.env.CG_DATA_DIR ?? '.data/central')
  .option(
    '--store <url>',
    'case store: postgres://user@host:5432/db (default: lowdb files in --data)',
    process.env.CG_STORE_URL,
  )
  .option(
    '--instance <name>',
    "this instance's name among several on one --store (default: host name + data directory hash)",
    process.env.CG_INSTANCE,
  )
  .option('--seed <dir>', 'seed directory (catalog, grids, org, users)', process.env.CG_SEED_DIR)
  .option('--nats-user <user>', "central's NATS user", process.env.CG_NATS_USER)
  .option('--nats-pass-file <file>', "file holding central's NATS password (env CG_NATS_PASS also works)")
  .option('--nats-ca <file>', 'CA certificate (PEM) for TLS to NATS', process.env.CG_NATS_CA)
  .option('--nats-cert <file>', 'client certificate (PEM) for TLS to NATS', process.env.CG_NATS_CERT)
  .option('--nats-key <file>', 'client key (PEM) for TLS to NATS', process.env.CG_NATS_KEY)
  .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)', process.env.CG_TLS_CERT)
  .option('--tls-key <file>', 'private key (PEM) for --tls-cert', process.env.CG_TLS_KEY)
  .option('--fsync', 'fsync the journal on every commit (survive power loss)', false)
  .option(
    '--demo',
    'sign in the demo users with their fixed tokens (demo-operator, ...): never in production',
    false,
  )
  .option(
    '--repair',
    'start on damaged data files: keep every readable record, move each damaged file aside',
    false,
  )
  .parse();

const o = program.opts<{
  port: string;
  host: string;
  nats: string;
  data: string;
  store?: string;
  seed?: string;
  instance?: string;
  natsReplicas?: string;
  fsync: boolean;
  repair: boolean;
  demo: boolean;
  tlsCert?: string;
  tlsKey?: string;
  natsUser?: string;
  natsPassFile?: string;
  natsCa?: string;
  natsCert?: string;
  natsKey?: string;
}>();
const port = Number(o.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`central: --port must be 0-65535, got ${o.port}`);
  process.exit(2);
}

// Credentials never come from the command line (visible in ps): a file or the environment.
const natsAuth = {
  user: o.natsUser,
  pass: o.natsPassFile ? readFileSync(o.natsPassFile, 'utf8').trim() : process.env.CG_NATS_PASS,
  tls: o.natsCa || o.natsCert ? { caFile: o.natsCa, certFile: o.natsCert, keyFile: o.natsKey } : undefined,
};

const MAX_UPLOAD = 8 * 1024 * 1024;
const guard = apiGuard({ largeBody: { '/api/attachments': MAX_UPLOAD } });
const natsReplicas = o.natsReplicas === undefined ? undefined : Number(o.natsReplicas);
if (natsReplicas !== undefined && ![1, 3, 5].includes(natsReplicas)) {
  console.error(`central: --nats-replicas must be 1, 3 or 5, got ${o.natsReplicas}`);
  process.exit(2);
}
const gateways = gatewayRouteGroup({ natsUrl: o.nats, nats: natsAuth, guard, replicas: natsReplicas });
if (o.store !== undefined && !/^postgres(ql)?:\/\//.test(o.store)) {
  console.error(`central: --store must be a postgres:// URL, got ${o.store}`);
  process.exit(2);
}
const central = await createCentral({
  storeUrl: o.store,
  instance: o.instance,
  repair: o.repair,
  demo: o.demo,
  dataDir: o.data,
  natsUrl: o.nats,
  natsReplicas,
  natsAuth,
  seedDir: o.seed,
  fsync: o.fsync,
  maxUploadBytes: MAX_UPLOAD,
  middleware: [guard.middleware],
  extraRoutes: [gateways, scoringRouteGroup()], // scoring on central's own store (lowdb or PostgreSQL)
}).catch((e: Error) => {
  if (e instanceof MigrationFailed) {
    console.error(`central: ${e.message}; refusing to start`);
    process.exit(4);
  }
  if (!(e instanceof DamagedFilesError)) throw e;
  console.error(`central: ${e.message}`);
  process.exit(3);
});
if (!!o.tlsCert !== !!o.tlsKey) {
  console.error('central: give both --tls-cert and --tls-key');
  process.exit(2);
}
const tls = o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined;
// a migration failing once PostgreSQL came back: stop, naming it (the API would only answer 503)
central.storeReady.catch((e: Error) => {
  console.error(`central: ${e.message}; refusing to start`);
  process.exit(e instanceof MigrationFailed ? 4 : 1);
});
const { url } = await central.start({ port, host: o.host, tls }).catch((e: Error) => {
  console.error(`central: cannot listen on ${o.host}:${port}: ${e.message}`);
  process.exit(1);
});
process.stdout.write(`central listening on ${url}\n`);

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    Promise.all([central.stop(), gateways.stop()]).then(
      () => process.exit(0),
      (e) => {
        console.error(`central: stop failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  });
