/**
 * @module bench/e2e
 * End-to-end latency over loopback with real NATS: a snapshot is taken from an ONVIF simulator
 * camera (edge capture: connectOnvif + fetchSnapshot) → detector (decode, letterbox, inference,
 * NMS) → incident with its JPEG as evidence into the gateway's durable outbox (lowdb) → the
 * outbox's Deliverer puts the evidence in the object store and publishes → central (its own
 * process, central/main.ts) ingests → the case is visible at GET /api/cases (polled every 2 ms).
 * Baseline, interleaved sample by sample: one bare JetStream hop of the same payload (publish →
 * a pull consumer on a separate stream has it).
 * The rules' dwell/persist time (30 s+ by design) is not part of it: the incident is made from
 * the frame directly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOnvif, fetchSnapshot } from '../edge/camera/capture/index.js';
import { loadDetector } from '../edge/camera/detect/index.js';
import { Deliverer } from '../edge/outbox/deliver.js';
import { Outbox } from '../edge/outbox/index.js';
import { newId, subjects } from '../protocol/index.js';
import { provisionStreams } from '../protocol/transport.js';
import { startNatsServer } from '../sim/nats-server.js';
import { startOnvifCamera } from '../sim/onvif/index.js';
import { litterIncident, spawnCentral } from '../test/central-helpers.js';
import { benchFrames, detectorManifest } from './lib/camera-input.js';
import { connect, quiet } from './lib/central.js';
import { latency, ms, summarize } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const SAMPLES = 60;
const BARE_STREAM = 'BENCH_E2E';

const bench: Benchmark = {
  name: 'e2e',
  title: 'end-to-end latency: snapshot → case visible at the API',
  async run() {
    const server = await startNatsServer();
    const outDir = mkdtempSync(join(tmpdir(), 'cg-bench-e2e-'));
    const { frames, note: framesNote } = await benchFrames(4);
    const cam = await startOnvifCamera({ frames, advance: 'request', loop: true });
    const central = await spawnCentral({ natsUrl: server.url });
    const nc = await connect(server.url);
    const man = detectorManifest();
    const det = await loadDetector(man.path);
    const outbox = await Outbox.open({ dir: join(outDir, 'outbox'), budgetBytes: 512 * 1024 * 1024 });
    const deliverer = new Deliverer(outbox, nc, quiet, 'cp-01');
    try {
      await provisionStreams(nc);
      await nc.ensureStreams([
        {
          name: BARE_STREAM,
          subjects: ['bench.e2e'],
          maxAgeNs: 0,
          duplicateWindowNs: 120e9,
          maxBytes: -1,
          description: 'bench baseline',
        },
      ]);
      const bareMsgs = await nc.consume(BARE_STREAM, 'bare', { maxMessages: 16 });
      let bareWaiter: ((id: string) => void) | undefined;
      void (async () => {
        for await (const m of bareMsgs) {
          m.ack();
          bareWaiter?.((JSON.parse(new TextDecoder().decode(m.data)) as { id: string }).id);
        }
      })();
      deliverer.start();
      const info = await connectOnvif({ xaddr: cam.xaddr, timeoutMs: 5000 });

      const stage = {
        snapshot: [] as number[],
        detect: [] as number[],
        outbox: [] as number[],
        visible: [] as number[],
      };
      const e2e: number[] = [];
      const bare: number[] = [];
      const visible = async (id: string) => {
        for (;;) {
          const r = await fetch(`${central.url}/api/cases?limit=1`, {
            headers: { authorization: 'Bearer demo-operator' },
          });
          const b = (await r.json()) as { items: { refs: { incidentIds: string[] } }[] };
          if (b.items[0]?.refs.incidentIds.includes(id)) return;
          await new Promise((res) => setTimeout(res, 2));
        }
      };
      for (let i = 0; i < SAMPLES + 3; i++) {
        // the full path
        const t0 = process.hrtime.bigint();
        const jpeg = await fetchSnapshot(info.snapshotUri, { timeoutMs: 5000 });
        const t1 = process.hrtime.bigint();
        const dets = await det.detect(jpeg);
        const t2 = process.hrtime.bigint();
        const inc = litterIncident({ gatewayId: 'cp-01', id: newId(), evidence: [] });
        inc.detections = dets.slice(0, 20).map((d) => ({ label: d.label, score: d.score, box: d.box }));
        if (!inc.detections.length)
          inc.detections = [{ label: 'litter', score: 0.9, box: { x: 1, y: 1, w: 9, h: 9 } }];
        await outbox.add(
          'incident',
          subjects.incident('cp-01'),
          `${inc.id}:0`,
          inc as unknown as Record<string, unknown>,
          [{ name: `${inc.id}-0-annotated.jpg`, role: 'annotated', contentType: 'image/jpeg', bytes: jpeg }],
        );
        const t3 = process.hrtime.bigint();
        await visible(inc.id);
        if (i >= 3) {
          stage.snapshot.push(Number(t1 - t0) / 1e6);
          stage.detect.push(Number(t2 - t1) / 1e6);
          stage.outbox.push(Number(t3 - t2) / 1e6);
          stage.visible.push(ms(t3));
          e2e.push(ms(t0));
        }
        // the baseline: one bare JetStream hop of the same payload
        const b0 = process.hrtime.bigint();
        const got = new Promise<void>((res) => {
          bareWaiter = (id) => id === inc.id && res();
        });
        await nc.publishStored('bench.e2e', new TextEncoder().encode(JSON.stringify(inc)));
        await got;
        if (i >= 3) bare.push(ms(b0));
      }
      await bareMsgs.close();
      const e = latency(e2e);
      const b = latency(bare);
      return {
        ratios: [
          {
            label: 'e2e/bare-hop p50',
            value: summarize([(e.p50 ?? 0) / (b.p50 ?? 1)], 'x'),
            subject: 'snapshot → detect → outbox → NATS → central ingest → visible at GET /api/cases',
            baseline: 'one bare JetStream publish → pull consumer hop of the same payload',
            meaning: 'how many bare hops the whole path costs; lower is better',
          },
          {
            label: 'e2e/bare-hop p99',
            value: summarize([(e.p99 ?? 0) / (b.p99 ?? 1)], 'x'),
            subject: 'as above, p99',
            baseline: 'as above, p99',
            meaning: 'lower is better',
          },
        ],
        figures: {
          'snapshot → visible': e,
          'bare JetStream hop': b,
          'stage snapshot fetch': latency(stage.snapshot),
          'stage detect': latency(stage.detect),
          'stage outbox add (fsync-free lowdb write)': latency(stage.outbox),
          'stage outbox → visible at API': latency(stage.visible),
        },
        notes: [
          `${SAMPLES} sequential incidents after 3 warm-up; model: ${man.note}; frames: ${framesNote}`,
          'visibility polled every 2 ms (adds up to ~2 ms + one list request to each sample)',
        ],
      };
    } finally {
      await deliverer.stop().catch(() => undefined);
      await det.close();
      await nc.close();
      await central.stop();
      await cam.stop();
      await server.dispose();
      rmSync(outDir, { recursive: true, force: true });
    }
  },
};
export default bench;
