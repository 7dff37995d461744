/**
 * @module edge/main
 * Gateway process entry: `tsx edge/main.ts --config gateway.yaml` (or `node dist/edge/main.js`).
 * A bad config file is one clear error line and exit code 2; NATS down at start is a retry, not
 * a crash.
 */
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { ConfigError, loadGatewayConfig } from './config.js';
import { startGateway } from './gateway.js';
import { createLogger } from './log.js';
import { serveGatewayMetrics } from './metrics.js';

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

try {
  const cfg = load();
  if (opts.check) {
    console.log(`config OK: gateway ${cfg.gatewayId} (${cfg.kind})`);
    process.exit(0);
  }
  const gw = await startGateway(cfg, {
    log,
    reloadConfig: load,
    configDir: dirname(resolve(opts.config)),
    repair: opts.repair,
  });
  if (cfg.metricsPort !== undefined) {
    const srv = await serveGatewayMetrics(gw, cfg.metricsPort);
    log.info({ address: srv.address() }, 'metrics on /metrics, health on /health');
  }
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, 'stopping gateway');
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
