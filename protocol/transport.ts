/**
 * @module protocol/transport
 * The only module that imports the NATS client. Edge and central talk to NATS through these
 * helpers: connect with endless reconnect and one log line per state change, idempotent stream
 * provisioning, publish with a JetStream message id, evidence in the object store.
 *
 * Client choice: `nats` (v2.29, the package the design card names). It bundles core, JetStream,
 * KV and object store in one package that supports Node 20 without engine warnings; the v3
 * `@nats-io/*` split can replace it here without touching edge or central.
 */
import { createHash } from 'node:crypto';
import {
  type ConnectionOptions,
  connect,
  DiscardPolicy,
  headers,
  type JetStreamClient,
  type NatsConnection,
  type ObjectStore,
  StorageType,
} from 'nats';
import type { EvidenceRef } from './schemas/incident.js';
import { evidenceBucket, STREAMS, type StreamDef } from './streams.js';

export type { JetStreamClient, JetStreamManager, NatsConnection, ObjectStore } from 'nats';
export * as nats from 'nats';

export interface LinkLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface LinkOptions {
  servers: string | string[];
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  tls?: ConnectionOptions['tls'];
  /** reply subjects start with this instead of `_INBOX` (per-gateway inboxes, see deploy/) */
  inboxPrefix?: string;
  log: LinkLogger;
}

/**
 * Connect and keep reconnecting forever; while the server is unreachable at start, retry with a
 * single log line per attempt instead of crashing.
 */
export async function connectNats(opts: LinkOptions, signal?: AbortSignal): Promise<NatsConnection> {
  let attempt = 0;
  for (;;) {
    try {
      const nc = await connect({
        servers: opts.servers,
        name: opts.name,
        user: opts.user,
        pass: opts.pass,
        token: opts.token,
        tls: opts.tls,
        inboxPrefix: opts.inboxPrefix,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        pingInterval: 10_000,
      });
      opts.log.info({ server: nc.getServer() }, 'NATS connected');
      void watchStatus(nc, opts.log);
      return nc;
    } catch (e) {
      attempt++;
      const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
      opts.log.warn(
        { servers: opts.servers, attempt, retryInMs: delay, err: (e as Error).message },
        'NATS not reachable, retrying',
      );
      if (signal?.aborted) throw e;
      await new Promise((r) => setTimeout(r, delay));
      if (signal?.aborted) throw e;
    }
  }
}

async function watchStatus(nc: NatsConnection, log: LinkLogger): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect') log.warn({ server: s.data }, 'NATS disconnected, will reconnect');
    else if (s.type === 'reconnect') log.info({ server: s.data }, 'NATS reconnected');
    else if (s.type === 'error') log.warn({ err: String(s.data) }, 'NATS error');
  }
}

export interface ProvisionOptions {
  /**
   * copies of every stream and bucket: 1 on a single server, 3 on a 3-node cluster (each
   * acknowledged message is then on a quorum of nodes and survives one node's loss)
   */
  replicas?: number;
}

export function streamConfig(d: StreamDef, o: ProvisionOptions = {}) {
  return {
    name: d.name,
    num_replicas: o.replicas ?? 1,
    subjects: d.subjects,
    description: d.description,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: d.maxAgeNs,
    max_bytes: d.maxBytes,
    duplicate_window: d.duplicateWindowNs,
  };
}

/**
 * Create every stream (and the evidence buckets of `gatewayIds`), or update them to the
 * definitions. Idempotent. Central provisions a gateway's bucket when it first hears from it.
 */
export async function provisionStreams(
  nc: NatsConnection,
  gatewayIds: string[] = [],
  o: ProvisionOptions = {},
): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for (const d of Object.values(STREAMS)) {
    const cfg = streamConfig(d, o);
    try {
      const info = await jsm.streams.info(d.name);
      // no replicas asked for: keep what the stream has (a central started without the option must not scale a cluster's R3 down)
      if (o.replicas === undefined) cfg.num_replicas = info.config.num_replicas;
      await jsm.streams.update(d.name, cfg);
    } catch (e) {
      if (!/not found/i.test((e as Error).message)) throw e;
      await jsm.streams.add(cfg);
    }
  }
  for (const g of gatewayIds) await evidenceStore(nc.jetstream(), g, o);
}

/**
 * An object store bound to its bucket, which names itself in the evidence references, and can
 * overwrite an object's metadata that does not parse (the client's own put reads it first).
 */
export type EvidenceBucket = ObjectStore & {
  readonly bucket: string;
  clearUnreadable(name: string): Promise<void>;
};

/** A gateway's evidence bucket (created when missing and the credentials allow it). */
export function evidenceStore(
  js: JetStreamClient,
  gatewayId: string,
  o: ProvisionOptions = {},
): Promise<EvidenceBucket> {
  return bucketStore(js, evidenceBucket(gatewayId), o);
}

/** A bucket (created at `replicas` when it does not exist yet). */
export async function bucketStore(
  js: JetStreamClient,
  bucket: string,
  o: ProvisionOptions = {},
): Promise<EvidenceBucket> {
  const os = await js.views.os(bucket, {
    storage: StorageType.File,
    description: 'incident evidence images',
    replicas: o.replicas ?? 1,
  });
  // the object store's metadata subject: padded base64url of the name
  const metaSubject = (name: string) =>
    `$O.${bucket}.M.${Buffer.from(name).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;
  const clearUnreadable = async (name: string) => {
    const h = headers();
    h.set('Nats-Rollup', 'sub');
    const tombstone = {
      name,
      bucket,
      nuid: '',
      size: 0,
      chunks: 0,
      digest: '',
      deleted: true,
      mtime: new Date().toISOString(),
    };
    await js.publish(metaSubject(name), new TextEncoder().encode(JSON.stringify(tombstone)), { headers: h });
  };
  return Object.assign(os, { bucket, clearUnreadable });
}

/** Store an evidence image (chunked by the object store) and return the reference for the message. */
export async function putEvidence(
  os: EvidenceBucket,
  name: string,
  bytes: Uint8Array,
  role: EvidenceRef['role'],
  contentType: EvidenceRef['contentType'] = 'image/jpeg',
  /** told what was under the name when it is replaced (the caller logs and counts it) */
  onReplace?: (what: string) => void,
): Promise<EvidenceRef> {
  const hash = createHash('sha256').update(bytes).digest();
  const sha256 = hash.toString('hex');
  const digest = `SHA-256=${hash.toString('base64url')}=`;
  // Re-sending after a crash: same name, same bytes → nothing to do (resumable upload). Anything
  // else under the name (other bytes, metadata that does not parse) is replaced, never a reason
  // to stop: the put rolls the metadata up.
  const existing = await os.info(name).catch(async (e: Error) => {
    onReplace?.(`unreadable metadata (${e.message})`);
    await os.clearUnreadable(name);
    return null;
  });
  if (existing && !(existing.size === bytes.byteLength && existing.digest === digest))
    onReplace?.(`other content (${existing.size} bytes, ${existing.digest})`);
  if (!existing || existing.size !== bytes.byteLength || existing.digest !== digest)
    await os.putBlob({ name, description: role, headers: undefined }, bytes);
  return { role, bucket: os.bucket, name, contentType, size: bytes.byteLength, sha256 };
}

export async function getEvidence(os: ObjectStore, name: string): Promise<Uint8Array | null> {
  return os.getBlob(name);
}
