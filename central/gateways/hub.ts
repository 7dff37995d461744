/**
 * @module central/gateways/hub
 * Central's side of configuration sync. Each gateway's configuration is a `GatewayConfigDoc` in
 * the KV bucket `cg_gateway_config` (key = gateway id, file storage, a short history): the bucket
 * is the store, so a gateway that was offline when its configuration changed reads the last value
 * when it reconnects. A put bumps the version with compare-and-set on the KV revision, so two
 * operators saving at once cannot both win silently. The version each gateway runs (and the last
 * one it refused) comes from its heartbeats on `cg.v1.status.*`.
 *
 * Central checks the envelope (no local keys like NATS credentials; a known gateway kind); the
 * gateway validates the sections with its own schemas before applying and reports a refusal,
 * which this hub shows next to the desired version.
 * @example
 *   const hub = new GatewayConfigHub({ log });
 *   await hub.attach(nc);
 *   await hub.put('cp-01', { kind: 'checkpoint', cameras: [...] }, 'u-admin');
 */
import {
  CONFIG_BUCKET,
  decode,
  GatewayConfigDoc,
  GatewayStatus,
  LOCAL_ONLY_CONFIG_KEYS,
  subjects,
  syncedConfigVersion,
  Token,
} from '../../protocol/index.js';
import type { KvBucket as KV, Link } from '../../protocol/transport.js';

export interface ReportedConfig {
  /** what the gateway's last heartbeat said it runs */
  configVersion?: string;
  configRefused?: { version: string; reason: string; at: string };
  /** the models it runs (name, version, sha256, cameras): a rollout shows up here */
  models?: GatewayStatus['models'];
  sentAt: string;
}

export interface GatewayConfigView {
  gatewayId: string;
  desired?: GatewayConfigDoc;
  reported?: ReportedConfig;
  /** true when the gateway's heartbeat says it runs the desired version */
  inSync: boolean;
}

export class ConfigRejected extends Error {
  override name = 'ConfigRejected';
}

export interface HubLog {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

export class GatewayConfigHub {
  #kv: KV | undefined;
  readonly #reported = new Map<string, ReportedConfig>();
  readonly counters = { puts: 0, rejected: 0, conflicts: 0, badStatus: 0 };
  #sub: { unsubscribe(): void } | undefined;

  constructor(
    private readonly o: {
      log: HubLog;
      history?: number;
      /** copies of the bucket: 3 on a 3-node cluster (`--nats-replicas`; default 1, or what it has) */
      replicas?: number;
    },
  ) {}

  get ready(): boolean {
    return !!this.#kv;
  }

  /** Create (or bind) the bucket and follow heartbeats. Idempotent per connection. */
  async attach(nc: Link): Promise<void> {
    this.#kv = await nc.kv(CONFIG_BUCKET, {
      history: this.o.history ?? 10,
      description: 'gateway configurations',
      replicas: this.o.replicas,
    });
    const sub = nc.subscribe(subjects.all.status);
    this.#sub = sub;
    void (async () => {
      for await (const m of sub) {
        const r = decode(GatewayStatus, m.data);
        if (!r.ok) {
          this.counters.badStatus++;
          continue;
        }
        const s = r.value;
        this.#reported.set(s.gatewayId, {
          configVersion: s.configVersion,
          configRefused: s.configRefused,
          models: s.models,
          sentAt: s.sentAt,
        });
      }
    })();
    this.o.log.info({ bucket: CONFIG_BUCKET }, 'gateway config hub ready');
  }

  detach(): void {
    this.#sub?.unsubscribe();
    this.#kv = undefined;
  }

  #bucket(): KV {
    if (!this.#kv) throw new Error('NATS is not connected; gateway configuration is unavailable');
    return this.#kv;
  }

  async get(gatewayId: string): Promise<GatewayConfigView> {
    const e = await this.#bucket().get(gatewayId);
    const d = e && e.operation === 'PUT' ? decode(GatewayConfigDoc, e.value) : undefined;
    const desired = d?.ok ? d.value : undefined;
    return this.#view(gatewayId, desired);
  }

  /** The stored versions of a gateway's configuration, newest first (as many as the bucket keeps). */
  async history(gatewayId: string): Promise<GatewayConfigDoc[]> {
    const docs: GatewayConfigDoc[] = [];
    for await (const e of await this.#bucket().history(gatewayId)) {
      if (e.operation !== 'PUT') continue;
      const d = decode(GatewayConfigDoc, e.value);
      if (d.ok) docs.push(d.value);
    }
    return docs.sort((a, b) => b.version - a.version);
  }

  async list(): Promise<GatewayConfigView[]> {
    const ids = new Set<string>(this.#reported.keys());
    for await (const k of await this.#bucket().keys()) ids.add(k);
    return Promise.all([...ids].sort().map((id) => this.get(id)));
  }

  /** Store the next version of a gateway's configuration; returns the document written. */
  async put(gatewayId: string, config: unknown, by: string): Promise<GatewayConfigDoc> {
    if (!Token.safeParse(gatewayId).success) throw new ConfigRejected(`bad gateway id ${gatewayId}`);
    const problem = checkEnvelope(config);
    if (problem) {
      this.counters.rejected++;
      throw new ConfigRejected(problem);
    }
    const kv = this.#bucket();
    const cur = await kv.get(gatewayId);
    const prev = cur && cur.operation === 'PUT' ? decode(GatewayConfigDoc, cur.value) : undefined;
    const doc: GatewayConfigDoc = {
      v: 1,
      gatewayId,
      version: (prev?.ok ? prev.value.version : 0) + 1,
      updatedAt: new Date().toISOString(),
      updatedBy: by,
      config: config as Record<string, unknown>,
    };
    const checked = GatewayConfigDoc.safeParse(doc);
    if (!checked.success) throw new ConfigRejected(checked.error.issues.map((i) => i.message).join('; '));
    const bytes = new TextEncoder().encode(JSON.stringify(doc));
    try {
      // compare-and-set: fails if someone else wrote since we read
      if (cur) await kv.update(gatewayId, bytes, cur.revision);
      else await kv.create(gatewayId, bytes);
    } catch (e) {
      this.counters.conflicts++;
      throw new ConfigRejected(`changed concurrently, reload and retry (${(e as Error).message})`);
    }
    this.counters.puts++;
    this.o.log.info({ gatewayId, version: doc.version, by }, 'gateway configuration stored');
    return doc;
  }

  #view(gatewayId: string, desired?: GatewayConfigDoc): GatewayConfigView {
    const reported = this.#reported.get(gatewayId);
    return {
      gatewayId,
      desired,
      reported,
      inSync: !!desired && reported?.configVersion === syncedConfigVersion(desired.version),
    };
  }
}

/** Central's own checks; the gateway validates the sections in full. */
export function checkEnvelope(config: unknown): string | undefined {
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    return 'config must be a JSON object';
  const c = config as Record<string, unknown>;
  const local = LOCAL_ONLY_CONFIG_KEYS.filter((k) => k in c);
  if (local.length) return `config may not set ${local.join(', ')}: they are local to the gateway`;
  if (c.kind !== 'checkpoint' && c.kind !== 'vehicle') return 'config.kind must be checkpoint or vehicle';
  if (JSON.stringify(c).length > 256 * 1024) return 'config is larger than 256 KiB';
  return undefined;
}
