/**
 * @module central/ingest
 * Central's NATS side: connect (retrying with one log line per attempt while NATS is
 * unreachable), provision streams, and run three durable consumers — incidents into cases,
 * status heartbeats and telemetry into the devices board (and, where instances share a store,
 * a fourth: the other instances' board changes, devices/share.ts). Also reads evidence objects.
 */
import {
  CONSUMERS,
  evidenceBucket,
  GatewayStatus,
  Incident,
  STREAMS,
  Telemetry,
} from '../../protocol/index.js';
import {
  bucketStore,
  connectNats,
  evidenceStore,
  getEvidence,
  type Link,
  type LinkOptions,
  type ObjectBucket,
  provisionStreams,
} from '../../protocol/transport.js';
export type NatsAuth = Pick<LinkOptions, 'user' | 'pass' | 'token' | 'tls'>;

import type { CaseService } from '../cases/service.js';
import type { DeviceBoard } from '../devices/board.js';
import {
  BOARD_CONSUMER,
  BOARD_STREAM,
  BoardChange,
  sharedChange,
  tellBoardChanges,
} from '../devices/share.js';
import type { CentralCounters } from '../http/metrics.js';
import type { StoreHealth } from '../store/damage.js';
import { type Log, runConsumer } from './consumer.js';
import { verifyEvidence } from './evidence-check.js';

export interface IngestOptions {
  url: string;
  /** central's own NATS credentials and TLS, when the server requires them */
  auth?: NatsAuth;
  svc: CaseService;
  board: DeviceBoard;
  counters: CentralCounters;
  log: Log;
  /** how long an incident's evidence object may be missing before it is refused (default 3 s) */
  evidenceWaitMs?: number;
  /**
   * Set where several instances share one store: the status and telemetry consumers become this
   * instance's own (`central-status-<instance>`), so every instance applies every heartbeat and
   * track point, in stream order and at the stream's stored time, and the devices boards of all
   * instances are the same; what a board learns first-hand (handset beats, gateway calls) is
   * told to the others on CG_CENTRAL_BOARD. Unset: the shared `central-status` /
   * `central-telemetry` (one instance).
   */
  instance?: string;
  /** copies of every stream and evidence bucket central creates: 3 on a 3-node cluster (default: 1, or what a stream has) */
  replicas?: number;
  /** called once with the link when it is first connected (the live-console relay uses it) */
  onLink?: (nc: Link) => void;
}

const bump = (r: Record<string, number>, k: string) => {
  r[k] = (r[k] ?? 0) + 1;
};

export class NatsIngest {
  readonly #o: IngestOptions;
  readonly #abort = new AbortController();
  #nc: Link | undefined;
  /** bound evidence buckets by name (a gateway's is created when central first hears from it) */
  readonly #buckets = new Map<string, Promise<ObjectBucket>>();
  #provisioned = false;
  /**
   * the revision before this one has passed its evidence check (and been handed to the store):
   * one chain for every incident on the embedded store (applied in message order), one per
   * incident on a shared store (`instance` set), whose locks already order what two instances
   * apply at once: distinct incidents commit concurrently there
   */
  readonly #previous = new Map<string, Promise<void>>();
  #running: Promise<void> | undefined;
  /** each part's real state for /api/health: the link, stream provisioning, every consumer */
  readonly #parts = new Map<string, StoreHealth>([
    ['nats', { ok: false, failures: 0, lastError: 'not connected yet' }],
    ['streams', { ok: false, failures: 0, lastError: 'not provisioned yet' }],
  ]);
  connected = false;

  constructor(o: IngestOptions) {
    this.#o = o;
  }

  start(): void {
    this.#running = this.#run().catch((e) => {
      this.#set('ingest', false, e);
      if (!this.#abort.signal.aborted) this.#o.log.error({ err: (e as Error).message }, 'ingest stopped');
    });
  }

  async #run(): Promise<void> {
    const { log, svc, board, counters } = this.#o;
    const signal = this.#abort.signal;
    const nc = await connectNats({ servers: this.#o.url, name: 'central', log, ...this.#o.auth }, signal);
    this.#nc = nc;
    if (signal.aborted) return;
    this.connected = true;
    this.#set('nats', true);
    this.#o.onLink?.(nc);
    nc.onStatus((s) => {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.#set('nats', false, new Error('disconnected, reconnecting'));
      }
      if (s.type === 'reconnect') {
        this.connected = true;
        this.#set('nats', true);
      }
    });
    // provisioning can fail (JetStream not ready, limits): retry until it works, never give up
    while (!signal.aborted) {
      try {
        await provisionStreams(nc, [], { replicas: this.#o.replicas });
        if (this.#o.instance) await nc.ensureStreams([BOARD_STREAM], { replicas: this.#o.replicas });
        this.#set('streams', true);
        break;
      } catch (e) {
        this.#set('streams', false, e);
        log.error({ err: (e as Error).message }, 'cannot provision streams, retrying in 2 s');
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    this.#provisioned = true;
    const instance = this.#o.instance;
    if (instance)
      signal.addEventListener('abort', tellBoardChanges(nc, board, instance, log), { once: true });
    const loop = async (name: string, run: () => Promise<void>) => {
      // consume() recovers from reconnects itself; restart the loop if it ends anyway
      this.#set(`consumer ${name}`, false, new Error('starting'));
      while (!signal.aborted) {
        try {
          await run();
        } catch (e) {
          if (signal.aborted) return;
          this.#set(`consumer ${name}`, false, e);
          log.warn({ consumer: name, err: (e as Error).message }, 'consumer ended, restarting in 2 s');
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    };
    const consuming = (name: string) => () => this.#set(`consumer ${name}`, true);
    await Promise.all([
      loop('incidents', () =>
        runConsumer(
          nc,
          {
            stream: STREAMS.incidents.name,
            durable: CONSUMERS.centralIngest,
            kind: 'incident',
            schema: Incident,
            // ingestIncident queues the revision on its incident before its first await (so
            // revisions apply in the order handed in) and journal appends of messages in flight
            // share one write; each message is still acked only after its own commit is durable
            pipelined: true,
            gatewayOf: (v) => v.gatewayId,
            handle: (v, _subject, storedAt) => {
              // evidence lookups run concurrently; revisions are applied in message order
              const verified = verifyEvidence(v, (b) => this.#bucket(b), {
                waitMs: this.#o.evidenceWaitMs ?? 3000,
              });
              const chain = this.#o.instance ? v.id : '';
              const turn = (this.#previous.get(chain) ?? Promise.resolve()).then(() => verified);
              const applied = turn.then(async () => {
                const r = await svc.ingestIncident(v, storedAt);
                bump(r === 'duplicate' ? counters.duplicates : counters.ingested, 'incident');
                if (r !== 'duplicate')
                  log.info(
                    { incident: v.id, rev: v.rev, lifecycle: v.lifecycle, outcome: r },
                    'incident ingested',
                  );
              });
              // registered after `applied`, so this incident reaches the store before the next
              const next = turn.then(
                () => undefined,
                () => undefined,
              );
              this.#previous.set(chain, next);
              void next.then(() => {
                if (this.#previous.get(chain) === next) this.#previous.delete(chain);
              });
              return applied;
            },
          },
          counters,
          log,
          signal,
          consuming('incidents'),
        ),
      ),
      loop('status', () =>
        runConsumer(
          nc,
          {
            stream: STREAMS.status.name,
            durable: this.#own(CONSUMERS.centralStatus),
            kind: 'status',
            schema: GatewayStatus,
            pipelined: true,
            gatewayOf: (v) => v.gatewayId,
            handle: (v, _subject, storedAt) => {
              this.#gatewayBucket(v.gatewayId);
              // the stream's time, not this instance's: every instance computes the same silences
              board.applyStatus(v, storedAt);
              bump(counters.ingested, 'status');
              return board.save();
            },
          },
          counters,
          log,
          signal,
          consuming('status'),
        ),
      ),
      loop('telemetry', () =>
        runConsumer(
          nc,
          {
            stream: STREAMS.telemetry.name,
            durable: this.#own(CONSUMERS.centralTelemetry),
            kind: 'telemetry',
            schema: Telemetry,
            pipelined: true,
            gatewayOf: (v) => v.gatewayId,
            handle: (v) => {
              board.applyTelemetry(v);
              bump(counters.ingested, 'telemetry');
              return board.save();
            },
          },
          counters,
          log,
          signal,
          consuming('telemetry'),
        ),
      ),
      ...(instance
        ? [
            loop('board', () =>
              runConsumer(
                nc,
                {
                  stream: BOARD_STREAM.name,
                  durable: this.#own(BOARD_CONSUMER),
                  kind: 'board',
                  schema: BoardChange,
                  pipelined: true,
                  handle: (v) => {
                    if (v.origin === instance) return Promise.resolve(); // on this board already
                    board.applyShared(sharedChange(v));
                    return board.save();
                  },
                },
                counters,
                log,
                signal,
                consuming('board'),
              ),
            ),
          ]
        : []),
    ]);
  }

  /** The durable consumers this instance reads, by stream (for the ingest lag gauges). */
  get consumers(): { stream: string; durable: string }[] {
    return [
      { stream: STREAMS.incidents.name, durable: CONSUMERS.centralIngest },
      { stream: STREAMS.status.name, durable: this.#own(CONSUMERS.centralStatus) },
      { stream: STREAMS.telemetry.name, durable: this.#own(CONSUMERS.centralTelemetry) },
      ...(this.#o.instance ? [{ stream: BOARD_STREAM.name, durable: this.#own(BOARD_CONSUMER) }] : []),
    ];
  }

  /** a board consumer's durable name: this instance's own where instances share a store */
  #own(durable: string): string {
    return this.#o.instance ? `${durable}-${this.#o.instance}` : durable;
  }

  #set(part: string, ok: boolean, e?: unknown): void {
    const prev = this.#parts.get(part) ?? { ok: true, failures: 0 };
    if (ok) this.#parts.set(part, { ok: true, failures: prev.failures });
    else
      this.#parts.set(part, {
        ok: false,
        failures: prev.failures + 1,
        lastError: (e as Error | undefined)?.message,
        since: prev.ok || !prev.since ? new Date().toISOString() : prev.since,
      });
  }

  /** The link, stream provisioning and every consumer, as /api/health shows them. */
  health(): Record<string, StoreHealth> {
    return Object.fromEntries(this.#parts);
  }

  /** Create (once) the evidence bucket of a gateway central hears from; its uploads need it. */
  #gatewayBucket(gatewayId: string): void {
    const nc = this.#nc;
    const bucket = evidenceBucket(gatewayId);
    if (!nc || this.#buckets.has(bucket)) return;
    const p = evidenceStore(nc, gatewayId, { replicas: this.#o.replicas });
    this.#buckets.set(bucket, p);
    p.catch((e: Error) => {
      this.#buckets.delete(bucket);
      this.#o.log.warn({ gatewayId, bucket, err: e.message }, 'cannot create evidence bucket, will retry');
    });
  }

  /** Evidence bytes; null when the object does not exist; undefined while NATS is not up. */
  async getEvidence(bucket: string, name: string): Promise<Uint8Array | null | undefined> {
    if (!this.#nc || !this.#provisioned || !this.connected) return undefined;
    return getEvidence(await this.#bucket(bucket), name);
  }

  /** A bucket bound once (and created when missing); a failed binding is retried next time. */
  #bucket(bucket: string): Promise<ObjectBucket> {
    const nc = this.#nc;
    if (!nc) return Promise.reject(new Error('NATS is not connected'));
    let os = this.#buckets.get(bucket);
    if (!os) {
      os = bucketStore(nc, bucket);
      this.#buckets.set(bucket, os);
      os.catch(() => this.#buckets.delete(bucket));
    }
    return os;
  }

  get nc(): Link | undefined {
    return this.#nc;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#nc && !this.#nc.isClosed()) await this.#nc.close();
    // connectNats sleeps between attempts without watching the signal: do not wait for that sleep
    await Promise.race([this.#running, new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}
