/**
 * @module edge/main
 * Gateway process entry: `tsx edge/main.ts --config gateway.yaml` (or `node dist/edge/main.js`).
 * A bad config file is one clear error line and exit code 2; NATS down at start is a retry, not
 * a crash.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { ConfigError, type GatewayConfig, loadGatewayConfig } from './config.js';
import { checkConfigText, formatProblem } from './config-check.js';
import { defaultUnits, startGateway } from './gateway.js';
import { createLogger } from './log.js';

const program = new Command()
  .name('cg-gateway')
  .description('数字城管 edge gateway / 边缘网关: cameras or vehicle → incidents → NATS')
  .requiredOption('-c, --config <file>', 'gateway config file (YAML or JSON)')
  .option('--nats <url>', 'override nats.servers from the config')
  .option('--check', 'validate the config and exit')
  .option('--repair', 'open a damaged outbox: keep every readable entry, move the damaged log aside')
  .parse();

const opts = program.opts<{ config: string; nats?: string; check?: boolean; repair?: boolean }>();
const log = createLogger('gateway');

function load() {
  const cfg = loadGatewayConfig(opts.config);
  if (opts.nats) cfg.nats.servers = opts.nats;
  return cfg;
}

const configDir = dirname(resolve(opts.config));
/** Longest a SIGINT/SIGTERM stop may take (units stop, the outbox is written, NATS drained). */
const SHUTDOWN_BOUND_MS = 15_000;

/** Every problem of the file with its line and column (the same check before every start). */
async function checkFile(): Promise<string[]> {
  let text: string;
  try {
    text = readFileSync(opts.config, 'utf8');
  } catch (e) {
    return [`cannot read gateway config ${opts.config}: ${(e as Error).message}`];
  }
  return (await checkConfigText(text, opts.config)).map(formatProblem);
}

/** Build the units as a start would (models, GeoJSON, DBC loaded), never start them, release them. */
async function checkUnits(cfg: GatewayConfig): Promise<string[]> {
  try {
    // stdout says only the verdict; warnings and errors of the build still go to the log
    const quiet = { ...log, info() {}, debug() {}, warn: log.warn.bind(log), error: log.error.bind(log) };
    const ctx = { gatewayId: cfg.gatewayId, dataDir: join(cfg.dataDir, 'units'), configDir, log: quiet };
    const units = await defaultUnits(cfg, ctx);
    for (const u of units) await u.stop();
    return [];
  } catch (e) {
    return [`${opts.config}: ${(e as Error).message}`];
  }
}

try {
  const problems = await checkFile();
  if (problems.length) {
    console.error(`配置错误 / config error: ${problems.length} problem(s)\n${problems.join('\n')}`);
    process.exit(2);
  }
  const cfg = load();
  if (opts.check) {
    const unitProblems = await checkUnits(cfg);
    if (unitProblems.length) {
      console.error(`配置错误 / config error:\n${unitProblems.join('\n')}`);
      process.exit(2);
    }
    console.log(`config OK: gateway ${cfg.gatewayId} (${cfg.kind})`);
    process.exit(0);
  }
  const gw = await startGateway(cfg, { log, reloadConfig: load, configDir, repair: opts.repair });
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'stopping gateway');
    // whatever a device or the network does, the process ends within the bound
    setTimeout(() => {
      log.error({ sig, boundMs: SHUTDOWN_BOUND_MS }, 'gateway stop took too long; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_BOUND_MS).unref();
    await gw.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`配置错误 / config error: ${e.message}`);
    process.exit(2);
  }
  log.error({ err: (e as Error).message }, 'gateway failed to start');
  process.exit(1);
}
