/**
 * @module edge/sync
 * The gateway side of configuration sync. Central writes a `GatewayConfigDoc` to the KV bucket
 * `cg_gateway_config` under this gateway's id; the gateway watches that one key, validates a new
 * version first (the core schema, then the pipelines build their units from it), applies it live
 * and reports `sync-<version>` in its heartbeat. A version that fails validation is refused: the
 * old configuration keeps running, a log line and a counter say why, and the heartbeat carries
 * `configRefused`. KV keeps the last value, so a gateway that was offline when its configuration
 * changed gets it when it reconnects; the applied document is also kept on disk so a restart
 * without NATS comes back with it.
 * @example
 *   const sync = new ConfigSync({ gatewayId, dataDir, apply, log });
 *   sync.start(nc);   // after the NATS link is up
 *   await sync.stop();
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONFIG_BUCKET,
  decode,
  formatIssues,
  GatewayConfigDoc,
  syncedConfigVersion,
} from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import { ConfigError, GatewayConfig } from '../config.js';
import { localiseModels, withPaths } from './models.js';

export interface SyncLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RefusedConfig {
  version: string;
  reason: string;
  at: string;
}

export interface SyncStats {
  applied: number;
  refused: number;
  /** synced version running now; undefined while the local file's configuration runs */
  version?: number;
  lastRefused?: RefusedConfig;
  watching: boolean;
}

export interface ConfigSyncOptions {
  gatewayId: string;
  /** where the applied document is kept (the gateway's dataDir) */
  dataDir: string;
  /** the configuration from the local file: the base a synced document is merged onto */
  local(): GatewayConfig;
  /** build and start units for `next`; throw (and keep the old ones) if they cannot be built */
  apply(next: GatewayConfig, version: number): Promise<void>;
  log: SyncLog;
  /** how long to wait before binding the KV bucket again when it does not exist yet */
  retryMs?: number;
}

const STATE_FILE = 'synced-config.json';

/**
 * Merge a synced document onto the local configuration and validate the result with the
 * gateway's own schema. Local keys (id, NATS credentials, data dir) always come from the box.
 */
export function mergeSyncedConfig(local: GatewayConfig, doc: GatewayConfigDoc): GatewayConfig {
  if (doc.gatewayId !== local.gatewayId)
    throw new ConfigError(`document is for gateway ${doc.gatewayId}, this is ${local.gatewayId}`);
  const raw = { ...doc.config, gatewayId: local.gatewayId, nats: local.nats, dataDir: local.dataDir };
  const r = GatewayConfig.safeParse(raw);
  if (!r.success) throw new ConfigError(`synced config v${doc.version}: ${formatIssues(r.error)}`);
  return r.data;
}

/** The last applied document from disk, merged and validated, or undefined. */
export function loadPersistedConfig(
  local: GatewayConfig,
  log?: SyncLog,
): { config: GatewayConfig; version: number } | undefined {
  let text: string;
  try {
    text = readFileSync(join(local.dataDir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const d = decode(GatewayConfigDoc, new TextEncoder().encode(text));
  try {
    if (!d.ok) throw new ConfigError(d.reason);
    return { config: mergeSyncedConfig(local, d.value), version: d.value.version };
  } catch (e) {
    log?.warn({ err: (e as Error).message }, 'kept synced config no longer valid; using the local file');
    return undefined;
  }
}

export class ConfigSync {
  readonly stats: SyncStats = { applied: 0, refused: 0, watching: false };
  private stopped = false;
  private iter?: { stop(): void };
  private loop?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private nc?: Link;

  constructor(private readonly o: ConfigSyncOptions) {}

  /** Mark the synced version running (restored from disk), or none after a reload from the file. */
  restored(version: number | undefined): void {
    this.stats.version = version;
  }

  /** The heartbeat's configVersion when a synced version runs. */
  reportedVersion(): string | undefined {
    return this.stats.version === undefined ? undefined : syncedConfigVersion(this.stats.version);
  }

  start(nc: Link): void {
    this.nc = nc;
    this.loop = this.watch(nc);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    this.iter?.stop();
    await this.loop?.catch(() => undefined);
  }

  private async watch(nc: Link): Promise<void> {
    while (!this.stopped && !nc.isClosed()) {
      try {
        // bindOnly: a gateway may not create buckets (its NATS user has no STREAM.CREATE)
        const kv = await nc.kv(CONFIG_BUCKET, { bindOnly: true });
        const iter = await kv.watch(this.o.gatewayId);
        this.iter = iter;
        if (this.stopped) iter.stop(); // stop() ran while we were binding
        this.stats.watching = true;
        this.o.log.info({ bucket: CONFIG_BUCKET, key: this.o.gatewayId }, 'watching for synced config');
        for await (const e of iter) {
          if (this.stopped) break;
          if (e.operation !== 'PUT') continue;
          await this.onValue(e.value);
        }
      } catch (e) {
        if (this.stopped) break;
        this.o.log.warn(
          { bucket: CONFIG_BUCKET, err: (e as Error).message },
          'config sync not available yet, retrying',
        );
      }
      this.stats.watching = false;
      if (this.stopped) break;
      await new Promise<void>((r) => {
        this.wake = r;
        this.timer = setTimeout(r, this.o.retryMs ?? 5000);
      });
    }
  }

  /** Validate, apply and keep one document from the KV key. Never throws. */
  async onValue(bytes: Uint8Array): Promise<void> {
    const d = decode(GatewayConfigDoc, bytes, 512 * 1024);
    if (!d.ok) return this.refuse('?', `not a config document: ${d.reason}`);
    const doc = d.value;
    if (this.stats.version !== undefined && doc.version <= this.stats.version) return;
    let next: GatewayConfig;
    try {
      next = mergeSyncedConfig(this.o.local(), doc);
    } catch (e) {
      return this.refuse(String(doc.version), (e as Error).message);
    }
    // models rolled out by central (models://…): fetched and verified before anything is built
    let paths: Map<string, string>;
    try {
      ({ config: next, paths } = await localiseModels(next, this.nc, this.o.dataDir));
    } catch (e) {
      return this.refuse(String(doc.version), `model not available: ${(e as Error).message}`);
    }
    try {
      await this.o.apply(next, doc.version);
    } catch (e) {
      return this.refuse(String(doc.version), `units could not be built: ${(e as Error).message}`);
    }
    this.stats.version = doc.version;
    this.stats.applied++;
    // kept with the fetched paths, so a restart without NATS loads the same verified files
    this.persist({ ...doc, config: withPaths(doc.config, paths) });
    this.o.log.info({ version: doc.version, by: doc.updatedBy }, 'synced config applied');
  }

  private refuse(version: string, reason: string): void {
    this.stats.refused++;
    this.stats.lastRefused = { version, reason: reason.slice(0, 1024), at: new Date().toISOString() };
    this.o.log.error(
      { version, reason, running: this.reportedVersion() ?? 'local file' },
      'synced config refused; the old one keeps running',
    );
  }

  private persist(doc: GatewayConfigDoc): void {
    const file = join(this.o.dataDir, STATE_FILE);
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(doc));
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, 'could not keep the synced config on disk');
    }
  }
}
