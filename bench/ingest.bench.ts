/**
 * @module bench/ingest
 * Central ingest from a JetStream backlog: incidents/s persisted as cases (decode + validate +
 * case creation + duplicate search + journal append, ack after commit) by central's real
 * `NatsIngest`, against a bare pull consume-and-ack of the same messages (same stream, same
 * batch size, new durable each round). Then the same with 10k / 100k (/ 1M) cases already in
 * the store, plus transition latency (`register`, in-process `CaseService.act`) at each size:
 * storage must not make either O(all cases).
 * BENCH_STORE_SIZES changes the sweep (default 10k, 100k, and 1M where the machine has > 12 GB;
 * 1M peaks at ~6 GB RSS and takes ~2 minutes, most of it generating and loading the store).
 */
import { totalmem } from 'node:os';
import { scanDuplicates } from '../central/store/contract/fixtures.js';
import { CONSUMERS, Incident, STREAMS } from '../protocol/index.js';
import { provisionStreams } from '../protocol/transport.js';
import { startNatsServer } from '../sim/nats-server.js';
import { jetstreamManager, connect as rawConnect } from '../test/support/nats-raw.js';
import { until } from '../test/support/until.js';
import { bareConsume, centralWithCases, connect, incidents, publishBacklog } from './lib/central.js';
import { latency, ms, summarize } from './lib/stats.js';
import type { Benchmark, Ratio } from './lib/types.js';

const BACKLOG = 2000;
const ROUNDS = 3;
/** 1M stored cases need ~6 GB of memory (measured peak 6.1 GB): only where the machine has it */
const DEFAULT_SIZES = totalmem() > 12 * 2 ** 30 ? '10000,100000,1000000' : '10000,100000';
const SIZES = (process.env.BENCH_STORE_SIZES ?? DEFAULT_SIZES).split(',').filter(Boolean).map(Number);
/** at large sizes time only the first incidents of the backlog (each may cost O(n)) */
const measuredAt = (size: number) => (size >= 100_000 ? 200 : size >= 10_000 ? 1000 : BACKLOG);

const bench: Benchmark = {
  name: 'ingest',
  title: 'central ingest incidents/s vs bare JetStream consume+ack; store size sweep',
  async run() {
    const server = await startNatsServer();
    const nc = await connect(server.url);
    // to start central's durable over (the transport never deletes one)
    const admin = await rawConnect({ servers: server.url });
    try {
      await provisionStreams(nc);
      await publishBacklog(nc, incidents(BACKLOG));
      const jsm = await jetstreamManager(admin);

      const bare = (round: number) => bareConsume(server.url, BACKLOG, `bench-bare-${round}`);

      const central = async (size: number) => {
        // central's durable starts over: the whole backlog is new to a fresh store
        await jsm.consumers.delete(STREAMS.incidents.name, CONSUMERS.centralIngest).catch(() => undefined);
        const lc = await centralWithCases(size, { natsUrl: server.url });
        try {
          // transitions at this size first, while nothing else runs: register unconfirmed cases
          const op = lc.central.users.byToken('demo-operator');
          if (!op) throw new Error('demo operator missing from the users seed');
          const reported = lc.central
            .embedded!.allCases()
            .filter((c) => c.state === 'reported')
            .slice(0, 200);
          const lat: number[] = [];
          for (const c of reported) {
            const t1 = process.hrtime.bigint();
            await lc.central.svc.act(c.id, 'register', {}, op);
            lat.push(ms(t1));
          }
          // where an incident's time goes at this size, in-process (no NATS): the whole handler,
          // its duplicate search as the handler does it (the store's index, then the check), and
          // for comparison the full scan over every case that the handler used before a11ddb6
          const parts = { handler: [] as number[], dupIndexed: [] as number[], dupScan: [] as number[] };
          if (size > 0)
            for (const inc of incidents(20, size)) {
              const t1 = process.hrtime.bigint();
              await lc.central.svc.ingestIncident(Incident.parse(inc));
              parts.handler.push(ms(t1));
              const store = lc.central.embedded!;
              const c = store.allCases()[0];
              const t2 = process.hrtime.bigint();
              scanDuplicates(store.duplicateCandidates(c, 50), c, 50);
              parts.dupIndexed.push(ms(t2));
              const t3 = process.hrtime.bigint();
              scanDuplicates(store.allCases(), c, 50);
              parts.dupScan.push(ms(t3));
            }
          const want = measuredAt(size);
          const done = () => (lc.central.counters.ingested.incident ?? 0) >= want;
          const t0 = process.hrtime.bigint();
          await lc.central.start({ port: 0 });
          // polled every 2 ms: the wait ends the timed span
          await until(done, `${want} incidents ingested at ${size} stored cases`, 240_000, 2);
          const rate = want / (ms(t0) / 1000);
          return { rate, openS: lc.openS, transitions: lat, measured: want, parts };
        } finally {
          await lc.dispose();
        }
      };

      await bare(0); // warm the server's page cache and the client
      const bareRates: number[] = [];
      const emptyRates: number[] = [];
      const ratio: number[] = [];
      for (let r = 1; r <= ROUNDS; r++) {
        const b = await bare(r);
        const c = await central(0);
        bareRates.push(b);
        emptyRates.push(c.rate);
        ratio.push(c.rate / b);
      }
      const ratios: Ratio[] = [
        {
          label: 'central/bare-consume (empty store)',
          value: summarize(ratio, 'x'),
          subject: `central NatsIngest → cases (lowdb journal), ${BACKLOG} incidents`,
          baseline: 'bare JetStream pull consume + ack of the same messages',
          meaning: '1.0 = ingest costs nothing beyond consuming; lower = slower',
        },
      ];
      const figures: Record<string, ReturnType<typeof summarize>> = {
        'bare consume+ack': summarize(bareRates, 'msgs/s'),
        'ingest @0 cases': summarize(emptyRates, 'incidents/s'),
      };
      const notes = [
        `store sizes ${SIZES.join(', ')}; backlog ${BACKLOG} incidents from 8 gateways; ${ROUNDS} paired rounds at 0 stored cases; 1 round per larger size`,
      ];
      const empty = summarize(emptyRates, '').median;
      let smallRegister = Number.NaN;
      for (const size of [1000, ...SIZES]) {
        const c = await central(size);
        const reg = latency(c.transitions);
        if (size === 1000) smallRegister = reg.p50 ?? Number.NaN;
        else
          ratios.push({
            label: `register p50 @${size / 1000}k / @1k cases`,
            value: summarize([(reg.p50 ?? 0) / smallRegister], 'x'),
            subject: `CaseService.act register, ${c.transitions.length} cases one by one, ${size} stored`,
            baseline: 'the same with 1000 stored cases',
            meaning: '1.0 = transitions do not grow with the store; higher = slower',
          });
        ratios.push({
          label: `ingest @${size / 1000}k / @0 cases`,
          value: summarize([c.rate / empty], 'x'),
          subject: `ingest rate with ${size} stored cases (first ${c.measured} of the backlog)`,
          baseline: 'ingest rate with an empty store (median above)',
          meaning: '1.0 = store size does not matter; ~1/size = O(all cases) per incident',
        });
        figures[`ingest @${size / 1000}k cases`] = summarize([c.rate], 'incidents/s');
        figures[`register @${size / 1000}k cases`] = reg;
        if (size >= 10_000) {
          figures[`handler per incident @${size / 1000}k (in-process)`] = latency(c.parts.handler);
          figures[`  of which duplicate search (indexed) @${size / 1000}k`] = latency(c.parts.dupIndexed);
          figures[`  full scan instead (the old way) @${size / 1000}k`] = latency(c.parts.dupScan);
        }
        figures[`store open @${size / 1000}k cases`] = summarize([c.openS], 's');
      }
      return { ratios, figures, notes };
    } finally {
      await nc.close();
      await admin.close();
      await server.dispose();
    }
  },
};
export default bench;
