/**
 * @module central/ingest/consumer
 * One durable pull consumer on one stream: decode every message against its schema, hand valid
 * ones to a handler and ack only after the handler resolved (its effect is persisted); put
 * invalid ones on the dead-letter subject with the reason, count them, then ack. A handler that
 * throws (disk full) naks with a delay so the message comes back.
 *
 * The ack wait is short (`ACK_WAIT_MS`): what an instance was handed and never acknowledged
 * because it died (SIGKILL, power) goes to another instance after that long, not after NATS's
 * 30 s. A message still being handled (a slow store, a backlog queued behind the incident before
 * it) is told `working()` every third of it, so a live instance keeps what it holds; but not
 * for ever: a handler unsettled after `HANDLER_GIVE_UP_MS` is stuck (a promise lost with a
 * database connection), counted and logged, and left to NATS to hand out again.
 */
import type { z } from 'zod';
import { DeadLetter, decode, encode, gatewayOfSubject, subjects } from '../../protocol/index.js';
import type { Delivery, Link } from '../../protocol/transport.js';
import { PredecessorPending } from '../store/contract/errors.js';
import { RefusedMessage } from './refused.js';

export interface ConsumerSpec<S extends z.ZodType> {
  stream: string;
  durable: string;
  /** dead-letter kind: incident / telemetry / status / board */
  kind: string;
  schema: S;
  /** gateway id inside the message, checked against the subject (messages from gateways) */
  gatewayOf?(v: z.output<S>): string;
  /** `storedAt`: when the stream stored the message (the same for every instance reading it) */
  handle(v: z.output<S>, subject: string, storedAt: Date): Promise<void>;
  /**
   * Take the next message while the previous one's persistence is still running (its ack waits
   * for it). For handlers whose in-memory effect is applied synchronously before the first
   * await and whose writes coalesce (heartbeats, telemetry, incidents: the case store's journal
   * group-commits what is in flight), so effects stay in message order.
   */
  pipelined?: boolean;
  /** how long a handler may take before it counts as stuck (default HANDLER_GIVE_UP_MS) */
  giveUpMs?: number;
}

/** how long a message handed to a central that died waits before it goes to another */
export const ACK_WAIT_MS = 10_000;
/** how long a message may be in a handler before this instance stops telling NATS it is working on it */
export const HANDLER_GIVE_UP_MS = 120_000;

export interface IngestCounters {
  received: Record<string, number>;
  deadLetters: Record<string, number>;
  handlerErrors: Record<string, number>;
  /** well-formed messages refused by the handler (another gateway's incident), dead-lettered */
  refused: Record<string, number>;
}

export interface Log {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}

export async function deadLetter(
  link: Link,
  kind: string,
  subject: string,
  data: Uint8Array,
  reason: string,
) {
  const dl: DeadLetter = {
    v: 1,
    subject,
    reason: reason.slice(0, 2048),
    receivedAt: new Date().toISOString(),
    size: data.byteLength,
    payloadBase64: Buffer.from(data.subarray(0, 64 * 1024)).toString('base64'),
  };
  await link.publishStored(subjects.deadLetter(kind), encode(DeadLetter, dl));
}

/** Runs until `signal` aborts; returns when the loop has stopped. */
export async function runConsumer<S extends z.ZodType>(
  nc: Link,
  spec: ConsumerSpec<S>,
  counters: IngestCounters,
  log: Log,
  signal: AbortSignal,
  /** called once the consumer is bound and consuming */
  onConsuming?: () => void,
): Promise<void> {
  const messages = await nc.consume(spec.stream, spec.durable, { maxMessages: 256, ackWaitMs: ACK_WAIT_MS });
  onConsuming?.();
  const onAbort = () => void messages.close();
  signal.addEventListener('abort', onAbort, { once: true });
  // each message being handled, with when it was handed to the handler
  const handling = new Map<Delivery, number>();
  const progress = setInterval(() => {
    const now = Date.now();
    for (const [m, since] of handling) {
      // a handler that has not settled in HANDLER_GIVE_UP_MS is stuck (a lost connection's
      // promise): stop vouching for it, so NATS hands the message to an instance again
      if (now - since > (spec.giveUpMs ?? HANDLER_GIVE_UP_MS)) {
        handling.delete(m);
        log.error({ kind: spec.kind, subject: m.subject, alert: true }, 'handler stuck; left to redelivery');
        counters.handlerErrors[spec.kind] = (counters.handlerErrors[spec.kind] ?? 0) + 1;
      } else m.working();
    }
  }, ACK_WAIT_MS / 3);
  try {
    for await (const m of messages) {
      if (signal.aborted) break;
      handling.set(m, Date.now());
      const ack = () => {
        handling.delete(m);
        m.ack();
      };
      const nak = (delayMs: number) => {
        handling.delete(m);
        m.nak(delayMs);
      };
      counters.received[spec.kind] = (counters.received[spec.kind] ?? 0) + 1;
      const r = decode(spec.schema, m.data);
      let reason = r.ok ? undefined : r.reason;
      if (r.ok && spec.gatewayOf && gatewayOfSubject(m.subject) !== spec.gatewayOf(r.value))
        reason = `gatewayId ${spec.gatewayOf(r.value)} does not match subject ${m.subject}`;
      const toDeadLetters = async (why: string) => {
        await deadLetter(nc, spec.kind, m.subject, m.data, why);
        counters.deadLetters[spec.kind] = (counters.deadLetters[spec.kind] ?? 0) + 1;
      };
      const refused = (e: RefusedMessage) => {
        counters.refused[spec.kind] = (counters.refused[spec.kind] ?? 0) + 1;
        log.error({ kind: spec.kind, subject: m.subject, reason: e.message, alert: true }, 'message refused');
        return toDeadLetters(e.message).then(ack, failed);
      };
      const failed = (e: unknown) => {
        if (e instanceof RefusedMessage) return void refused(e);
        // the revision before it is still on its way: not an error, it comes back in a moment
        if (e instanceof PredecessorPending) return void nak(5000);
        counters.handlerErrors[spec.kind] = (counters.handlerErrors[spec.kind] ?? 0) + 1;
        log.error(
          { kind: spec.kind, subject: m.subject, err: (e as Error).message },
          'ingest failed, will retry',
        );
        nak(5000);
      };
      try {
        if (reason !== undefined) {
          await toDeadLetters(reason);
          log.warn({ kind: spec.kind, subject: m.subject, reason }, 'invalid message dead-lettered');
        } else if (r.ok) {
          const done = spec.handle(r.value, m.subject, m.time);
          if (spec.pipelined) {
            done.then(ack, failed);
            continue;
          }
          await done;
        }
        ack();
      } catch (e) {
        failed(e);
      }
    }
  } finally {
    clearInterval(progress);
    signal.removeEventListener('abort', onAbort);
  }
}
