/**
 * central's durable consumers acknowledge within a short ack wait (`ACK_WAIT_MS`, 10 s) so that
 * what a dead instance held goes to another soon (test/fault-central-redelivery.test.ts); a live
 * instance whose handler takes longer than that tells the server it is still working, so the
 * message is not handed out again meanwhile. A real nats-server and `runConsumer` on a stream of
 * the test's own; a durable made by an earlier release (30 s) is changed to the short wait. A
 * handler that never settles (a promise lost with a database connection) is vouched for only so
 * long: then the message is handed out again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newCounters } from '../central/http/metrics.js';
import { ACK_WAIT_MS, runConsumer } from '../central/ingest/consumer.js';
import { encode } from '../protocol/index.js';
import { connectNats, type Link } from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { AckPolicy, connect, jetstreamManager, nanos } from './support/nats-raw.js';
import { until } from './support/until.js';

const quiet = { info() {}, warn() {}, error() {} };
const STREAM = {
  name: 'T_ACKWAIT',
  subjects: ['t.ackwait'],
  maxAgeNs: 0,
  duplicateWindowNs: 60e9,
  maxBytes: -1,
  description: 'test',
};
const Msg = z.object({ n: z.number() });

let server: NatsServerHandle;
let nc: Link;
beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: server.url, name: 'test', log: quiet });
  await nc.ensureStreams([STREAM]);
});
afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

describe('central consumer - short ack wait, working() while handling', () => {
  it('a handler slower than the ack wait gets its message once; an old 30 s durable is changed', async () => {
    const raw = await connect({ servers: server.url });
    const jsm = await jetstreamManager(raw);
    // what an earlier release made
    await jsm.consumers.add(STREAM.name, {
      durable_name: 'slow',
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
    });
    const handled: number[] = [];
    const abort = new AbortController();
    const counters = newCounters();
    const running = runConsumer(
      nc,
      {
        stream: STREAM.name,
        durable: 'slow',
        kind: 'test',
        schema: Msg,
        pipelined: true,
        handle: async (v) => {
          handled.push(v.n);
          await new Promise((r) => setTimeout(r, ACK_WAIT_MS * 1.5));
        },
      },
      counters,
      quiet,
      abort.signal,
    );
    try {
      await until(async () => {
        const info = await jsm.consumers.info(STREAM.name, 'slow');
        return info.config.ack_wait === nanos(ACK_WAIT_MS) || undefined;
      }, `the durable's ack wait ${ACK_WAIT_MS} ms`);
      await nc.publishStored('t.ackwait', encode(Msg, { n: 1 }));
      await until(
        async () => {
          const s = await nc.consumerState(STREAM.name, 'slow');
          return s && s.ackPending === 0 && handled.length > 0 ? true : undefined;
        },
        'the message acknowledged',
        ACK_WAIT_MS * 3,
      );
      // delivered once: no redelivery while the handler was still at it
      expect(handled).toEqual([1]);
      expect(counters.received.test).toBe(1);
    } finally {
      abort.abort();
      await running;
      await raw.close();
    }
  }, 60_000);

  it('a handler that never settles is given up: the message is delivered again, the stall counted', async () => {
    const seen: number[] = [];
    const abort = new AbortController();
    const counters = newCounters();
    const errors: string[] = [];
    const running = runConsumer(
      nc,
      {
        stream: STREAM.name,
        durable: 'stuck',
        kind: 'test',
        schema: Msg,
        pipelined: true,
        giveUpMs: ACK_WAIT_MS / 2,
        // the first delivery hangs for good; the second is handled
        handle: (v) => {
          seen.push(v.n);
          return seen.length === 1 ? new Promise<void>(() => {}) : Promise.resolve();
        },
      },
      counters,
      { ...quiet, error: (o: object, m?: string) => void errors.push(m ?? JSON.stringify(o)) },
      abort.signal,
    );
    try {
      await nc.publishStored('t.ackwait', encode(Msg, { n: 2 }));
      await until(
        async () => {
          const s = await nc.consumerState(STREAM.name, 'stuck');
          return s && s.ackPending === 0 && seen.filter((n) => n === seen[0]).length === 2 ? true : undefined;
        },
        'the stuck message delivered again and acknowledged',
        ACK_WAIT_MS * 4,
      );
      // the stream holds the first test's message too: the first delivered is the stuck one
      expect(seen.filter((n) => n === seen[0])).toHaveLength(2);
      expect(new Set(seen)).toEqual(new Set([1, 2]));
      expect(counters.handlerErrors.test).toBe(1);
      expect(errors).toContain('handler stuck; left to redelivery');
    } finally {
      abort.abort();
      await running;
    }
  }, 60_000);
});
