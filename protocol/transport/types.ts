/**
 * @module protocol/transport/types
 * What edge and central need from the message bus, and nothing more: core publish, subscribe and
 * request/reply for commands and heartbeats; JetStream publish with a message id (server-side
 * de-duplication); durable pull consumers with ack/nak/term; KV buckets for configuration sync;
 * object buckets for evidence and models; a few read-only looks at stream and consumer state for
 * metrics and health; connection status events. Only `./nats.ts` knows the NATS client.
 */
import type { StreamDef } from '../streams.js';

/** A message as received: its subject and bytes. */
export interface Received {
  subject: string;
  data: Uint8Array;
}

/** A message on a core subscription; a request can be answered. */
export interface Inbound extends Received {
  /** the reply subject, when the sender waits for an answer */
  reply?: string;
  respond(data: Uint8Array): boolean;
}

export interface Subscription extends AsyncIterable<Inbound> {
  unsubscribe(): void;
}

export interface SubscribeOptions {
  /** stop after this many messages */
  max?: number;
  /** the iteration throws when no message came within this many ms */
  timeout?: number;
}

/** JetStream's answer to a stored publish. */
export interface PubAck {
  stream: string;
  seq: number;
  /** the message id was seen within the stream's duplicate window: not stored again */
  duplicate: boolean;
}

export interface StoredPublishOptions {
  /** de-duplication id (`<gatewayId>.<id>.<rev>` for incidents) */
  msgId?: string;
  timeout?: number;
}

/** A message from a durable consumer; exactly one of ack / nak / term settles it. */
export interface Delivery extends Received {
  /** when the stream stored it (the server's clock): the same for every consumer of the message */
  readonly time: Date;
  ack(): void;
  /** redeliver, after `delayMs` when given */
  nak(delayMs?: number): void;
  /** never redeliver */
  term(): void;
  /** still being handled: the ack wait starts again (a long handler is not redelivered meanwhile) */
  working(): void;
}

export interface Deliveries extends AsyncIterable<Delivery> {
  close(): Promise<unknown>;
}

export interface ConsumeOptions {
  /** messages the client keeps buffered (default 256) */
  maxMessages?: number;
  /**
   * how long an unacked message waits before redelivery (default 30 s); an existing durable is
   * changed to it when given
   */
  ackWaitMs?: number;
}

export type KvOperation = 'PUT' | 'DEL' | 'PURGE';

export interface KvEntry {
  key: string;
  value: Uint8Array;
  revision: number;
  operation: KvOperation;
}

export interface KvWatch extends AsyncIterable<KvEntry> {
  stop(): void;
}

export interface KvOptions {
  /** bind to an existing bucket only (a gateway may not create buckets) */
  bindOnly?: boolean;
  /** values kept per key */
  history?: number;
  description?: string;
  /**
   * copies: 1 on a single server, 3 on a 3-node cluster; an existing bucket is scaled to it.
   * Without it a new bucket has 1 and an existing one keeps its own (as `ensureStreams`).
   */
  replicas?: number;
}

export interface KvBucket {
  get(key: string): Promise<KvEntry | null>;
  put(key: string, value: Uint8Array): Promise<number>;
  /** fails when the key exists */
  create(key: string, value: Uint8Array): Promise<number>;
  /** fails unless the key is at `revision` (optimistic concurrency) */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  history(key: string): Promise<AsyncIterable<KvEntry>>;
  keys(): Promise<AsyncIterable<string>>;
  /** the key's current value (when any), then every change */
  watch(key: string): Promise<KvWatch>;
}

export interface ObjectInfo {
  name: string;
  size: number;
  /** `SHA-256=<base64url>=` */
  digest: string;
  description?: string;
  /** when it was stored (ISO time) */
  mtime: string;
  /** a deletion marker: the object is gone */
  deleted: boolean;
}

export interface ObjectBucketOptions {
  /** bind by name without asking the server about the bucket (a user who may not look it up) */
  bindOnly?: boolean;
  description?: string;
  /** copies at creation: 1 on a single server, 3 on a cluster */
  replicas?: number;
}

/** An object store bucket bound by name. */
export interface ObjectBucket {
  readonly bucket: string;
  put(name: string, bytes: Uint8Array, description?: string): Promise<void>;
  /** null when there is no such object */
  get(name: string): Promise<Uint8Array | null>;
  /** null when there is no such object; throws when its metadata does not parse */
  info(name: string): Promise<ObjectInfo | null>;
  list(): Promise<ObjectInfo[]>;
  /** overwrite an object's metadata that does not parse with a deletion marker */
  clearUnreadable(name: string): Promise<void>;
}

export interface StreamState {
  messages: number;
  firstSeq: number;
  lastSeq: number;
  replicas: number;
}

export interface ConsumerState {
  /** in the stream, not yet delivered */
  pending: number;
  /** delivered, not yet acknowledged */
  ackPending: number;
}

export interface ProvisionOptions {
  /**
   * copies of every stream and bucket: 1 on a single server, 3 on a 3-node cluster (each
   * acknowledged message is then on a quorum of nodes and survives one node's loss)
   */
  replicas?: number;
}

export type LinkEvent =
  | { type: 'disconnect' | 'reconnect'; server: string }
  | { type: 'error'; error: string };

export interface Link {
  /** true once closed or drained for good (a reconnecting link is not closed) */
  isClosed(): boolean;
  /** the server this link is connected to now */
  server(): string;
  /** follow the link's state changes; returns the unsubscribe */
  onStatus(listener: (e: LinkEvent) => void): () => void;

  /** core publish (heartbeats, tests): at most once */
  publish(subject: string, data: Uint8Array): void;
  flush(): Promise<void>;
  subscribe(subject: string, o?: SubscribeOptions): Subscription;
  /** one request, one reply; throws on timeout or when no one listens */
  request(subject: string, data: Uint8Array, o: { timeout: number }): Promise<Received>;

  /** publish into the stream that holds `subject`; resolves once stored */
  publishStored(subject: string, data: Uint8Array, o?: StoredPublishOptions): Promise<PubAck>;
  /**
   * Consume a durable pull consumer with explicit acks, creating it (from the stream's first
   * message) when it does not exist.
   */
  consume(stream: string, durable: string, o?: ConsumeOptions): Promise<Deliveries>;
  /** one stored message by sequence, or the last on a subject; null when there is none */
  storedMessage(stream: string, at: { seq: number } | { lastBySubject: string }): Promise<Received | null>;
  streamState(stream: string): Promise<StreamState>;
  consumerState(stream: string, durable: string): Promise<ConsumerState | null>;

  /**
   * Create each stream, or update it to its definition (idempotent). Without `replicas` an
   * existing stream keeps its own (a central started without the option must not scale a
   * cluster's R3 down).
   */
  ensureStreams(defs: readonly StreamDef[], o?: ProvisionOptions): Promise<void>;

  kv(bucket: string, o?: KvOptions): Promise<KvBucket>;
  /** bind an object bucket, creating it when missing (and the credentials allow it) */
  objects(bucket: string, o?: ObjectBucketOptions): Promise<ObjectBucket>;
  /**
   * Read one object with stream message gets only (what a gateway's user may do on a read-only
   * bucket); false when there is no such object.
   */
  readObject(bucket: string, name: string, onChunk: (c: Uint8Array) => unknown): Promise<boolean>;

  /** finish what is in flight, then close */
  drain(): Promise<void>;
  close(): Promise<void>;
}
