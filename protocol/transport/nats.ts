/**
 * @module protocol/transport/nats
 * The transport (`./types.ts`) on the v3 NATS client (`@nats-io/transport-node`, `/jetstream`,
 * `/kv`, `/obj`): the only module that imports it.
 * Connect with endless reconnect and one log line per state change; the client's own message,
 * consumer and KV entry objects already have the shapes of the interface and are handed out as
 * they are.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type ObjectInfo as NatsObjectInfo, Objm } from '@nats-io/obj';
import { connect, headers, type NatsConnection, nanos } from '@nats-io/transport-node';
import type { StreamDef } from '../streams.js';
import type {
  KvBucket,
  Link,
  LinkEvent,
  ObjectBucket,
  ObjectBucketOptions,
  ObjectInfo,
  ProvisionOptions,
  Received,
} from './types.js';

export interface LinkLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface LinkOptions {
  servers: string | string[];
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  tls?: TlsFiles;
  /** reply subjects start with this instead of `_INBOX` (per-gateway inboxes, see deploy/) */
  inboxPrefix?: string;
  /** give up after this many failed attempts at start (default: never) */
  attempts?: number;
  log: LinkLogger;
}

/**
 * Connect and keep reconnecting forever; while the server is unreachable at start, retry with a
 * single log line per attempt instead of crashing (until `signal` aborts).
 */
export async function connectNats(opts: LinkOptions, signal?: AbortSignal): Promise<Link> {
  let attempt = 0;
  for (;;) {
    try {
      const nc = await connect({
        // `a,b,c` on a command line is the server list of a cluster
        servers:
          typeof opts.servers === 'string' ? opts.servers.split(',').map((u) => u.trim()) : opts.servers,
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
      return natsLink(nc, opts.log);
    } catch (e) {
      attempt++;
      if (opts.attempts !== undefined && attempt >= opts.attempts) throw e;
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

function streamConfig(d: StreamDef, o: ProvisionOptions) {
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

/** the object store's metadata subject: padded base64url of the name */
const metaSubject = (bucket: string, name: string) =>
  `$O.${bucket}.M.${Buffer.from(name).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')}`;

const objectInfo = (i: NatsObjectInfo): ObjectInfo => ({
  name: i.name,
  size: i.size,
  digest: i.digest,
  description: i.description,
  mtime: i.mtime,
  deleted: i.deleted,
});

const notFound = (e: unknown) => /not found|no message found/i.test((e as Error).message);

function natsLink(nc: NatsConnection, log: LinkLogger): Link {
  const listeners = new Set<(e: LinkEvent) => void>();
  void (async () => {
    for await (const s of nc.status()) {
      let e: LinkEvent | undefined;
      if (s.type === 'disconnect') {
        log.warn({ server: s.server }, 'NATS disconnected, will reconnect');
        e = { type: 'disconnect', server: s.server };
      } else if (s.type === 'reconnect') {
        log.info({ server: s.server }, 'NATS reconnected');
        e = { type: 'reconnect', server: s.server };
      } else if (s.type === 'error') {
        log.warn({ err: String(s.error) }, 'NATS error');
        e = { type: 'error', error: String(s.error) };
      }
      if (e) for (const l of listeners) l(e);
    }
  })();
  const js = jetstream(nc);
  const kvm = new Kvm(js);
  const objm = new Objm(js);
  // bound once, without asking the server for the account's JetStream first
  let jsmP: Promise<JetStreamManager> | undefined;
  const jsm = () => {
    jsmP ??= jetstreamManager(nc, { checkAPI: false });
    return jsmP;
  };

  const objects = async (bucket: string, o: ObjectBucketOptions = {}): Promise<ObjectBucket> => {
    const os = o.bindOnly
      ? await objm.open(bucket, false)
      : await objm.create(bucket, {
          storage: StorageType.File,
          description: o.description,
          replicas: o.replicas ?? 1,
        });
    return {
      bucket,
      put: async (name, bytes, description) => {
        await os.putBlob({ name, description }, bytes);
      },
      get: (name) => os.getBlob(name),
      info: async (name) => {
        const i = await os.info(name);
        return i && objectInfo(i);
      },
      list: async () => (await os.list()).map(objectInfo),
      clearUnreadable: async (name) => {
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
        await js.publish(metaSubject(bucket, name), new TextEncoder().encode(JSON.stringify(tombstone)), {
          headers: h,
        });
      },
    };
  };

  return {
    isClosed: () => nc.isClosed(),
    server: () => nc.getServer(),
    onStatus(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    publish: (subject, data) => nc.publish(subject, data),
    flush: () => nc.flush(),
    subscribe: (subject, o = {}) => nc.subscribe(subject, { max: o.max, timeout: o.timeout }),
    request: (subject, data, o) => nc.request(subject, data, { timeout: o.timeout }),

    async publishStored(subject, data, o = {}) {
      const a = await js.publish(subject, data, { msgID: o.msgId, timeout: o.timeout });
      return { stream: a.stream, seq: a.seq, duplicate: a.duplicate };
    },
    async consume(stream, durable, o = {}) {
      const m = await jsm();
      const ackWait = nanos(o.ackWaitMs ?? 30_000);
      const info = await m.consumers.info(stream, durable).catch(() => undefined);
      if (!info)
        await m.consumers.add(stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: ackWait,
          max_ack_pending: 1000,
        });
      // one made by an earlier release keeps its ack wait unless told otherwise
      else if (o.ackWaitMs !== undefined && info.config.ack_wait !== ackWait)
        await m.consumers.update(stream, durable, { ack_wait: ackWait });
      const consumer = await js.consumers.get(stream, durable);
      return consumer.consume({ max_messages: o.maxMessages ?? 256 });
    },
    async storedMessage(stream, at) {
      try {
        const m = await (await jsm()).streams.getMessage(
          stream,
          'seq' in at ? { seq: at.seq } : { last_by_subj: at.lastBySubject },
        );
        return m && ({ subject: m.subject, data: m.data } satisfies Received);
      } catch (e) {
        if (notFound(e)) return null;
        throw e;
      }
    },
    async streamState(stream) {
      const i = await (await jsm()).streams.info(stream);
      return {
        messages: i.state.messages,
        firstSeq: i.state.first_seq,
        lastSeq: i.state.last_seq,
        replicas: i.config.num_replicas,
      };
    },
    async consumerState(stream, durable) {
      const ci = await (await jsm()).consumers.info(stream, durable).catch((e) => {
        if (notFound(e)) return null;
        throw e;
      });
      return ci && { pending: ci.num_pending, ackPending: ci.num_ack_pending };
    },
    async ensureStreams(defs, o = {}) {
      const m = await jetstreamManager(nc);
      for (const d of defs) {
        const cfg = streamConfig(d, o);
        try {
          const info = await m.streams.info(d.name);
          if (o.replicas === undefined) cfg.num_replicas = info.config.num_replicas;
          await m.streams.update(d.name, cfg);
        } catch (e) {
          if (!notFound(e)) throw e;
          await m.streams.add(cfg);
        }
      }
    },

    async kv(bucket, o = {}): Promise<KvBucket> {
      // open: bind only (a gateway may not create buckets); create: create or bind
      const kv = o.bindOnly
        ? await kvm.open(bucket)
        : await kvm.create(bucket, { history: o.history, description: o.description, replicas: o.replicas });
      // create binds an existing bucket as it is: one made at 1 before a cluster's R3 is scaled up
      if (!o.bindOnly && o.replicas !== undefined) {
        const m = await jsm();
        const info = await m.streams.info(`KV_${bucket}`);
        if (info.config.num_replicas !== o.replicas)
          await m.streams.update(info.config.name, { ...info.config, num_replicas: o.replicas });
      }
      return {
        get: (key) => kv.get(key),
        put: (key, value) => kv.put(key, value),
        create: (key, value) => kv.create(key, value),
        update: (key, value, revision) => kv.update(key, value, revision),
        history: (key) => kv.history({ key }),
        keys: () => kv.keys(),
        watch: (key) => kv.watch({ key }),
      };
    },
    objects,
    async readObject(bucket, name, onChunk) {
      // The object store client's own get opens a consumer after looking the stream up by
      // subject (STREAM.NAMES), which would list every gateway's bucket; a message get on this
      // one stream is all a gateway's user may do.
      const m = await jsm();
      const stream = `OBJ_${bucket}`;
      const found = await m.streams.getMessage(stream, { last_by_subj: metaSubject(bucket, name) });
      if (!found) return false;
      const meta = found.json<{ nuid: string; chunks: number; size: number; deleted?: boolean }>();
      if (meta.deleted) return false;
      let seq = 0;
      let size = 0;
      for (let i = 0; i < meta.chunks; i++) {
        // the next message on the chunk subject from a sequence (nats-server 2.9 NextFor; the
        // client types it for direct gets only, the request is passed through as JSON)
        const next = { seq: seq + 1, next_by_subj: `$O.${bucket}.C.${meta.nuid}` };
        const c = await m.streams.getMessage(stream, next as { seq: number });
        if (!c) throw new Error(`${name}: chunk ${i + 1} of ${meta.chunks} is missing`);
        seq = c.seq;
        size += c.data.length;
        await onChunk(c.data);
      }
      if (size !== meta.size)
        throw new Error(`${name}: got ${size} bytes, the object store says ${meta.size}`);
      return true;
    },

    drain: () => nc.drain(),
    close: () => nc.close(),
  };
}
