/**
 * @module bench/gateway
 * Gateway memory with 8 cameras: a real checkpoint gateway process (edge/main.ts) fed by 8 ONVIF
 * simulators (digest-auth snapshots, 1 per camera per second), its RSS sampled from /proc every
 * 250 ms for 20 s after every camera delivered a frame; against the same gateway with 1 camera.
 * Also the frames it actually processed and the CPU it used (from /proc/<pid>/stat).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../sim/nats-server.js';
import { type OnvifCamera, startOnvifCamera } from '../sim/onvif/index.js';
import { startGatewayProcess } from '../sim/processes.js';
import { until } from '../test/support/until.js';
import { benchFrames, detectorManifest } from './lib/camera-input.js';
import { cpuSeconds, statusMB } from './lib/proc.js';
import { type Summary, summarize } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const SAMPLE_S = 20;

async function run(n: number, natsUrl: string, frames: Buffer[], detector: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cg-bench-gw-'));
  const cams: OnvifCamera[] = [];
  let gw: Awaited<ReturnType<typeof startGatewayProcess>> | undefined;
  try {
    const list = [];
    for (let i = 0; i < n; i++) {
      const cam = await startOnvifCamera({
        name: `cam-${i}`,
        username: 'admin',
        password: `pw-${i}`,
        snapshotAuth: 'digest',
        frames,
        advance: 'request',
        loop: true,
      });
      cams.push(cam);
      list.push({
        id: `cam-${i}`,
        name: `路口${i}`,
        xaddr: cam.xaddr,
        username: 'admin',
        password: `pw-${i}`,
        snapshotIntervalS: 1,
        location: { lat: 30.27, lon: 120.15 + i * 0.001 },
        zones: [
          {
            id: 'walk',
            type: 'litter',
            polygon: [
              [0, 200],
              [1280, 200],
              [1280, 720],
              [0, 720],
            ],
          },
        ],
      });
    }
    const cfg = join(dir, 'gateway.yaml');
    writeFileSync(
      cfg,
      JSON.stringify({
        gatewayId: 'cp-bench-01',
        kind: 'checkpoint',
        name: '基准测试',
        nats: { servers: natsUrl },
        dataDir: join(dir, 'data'),
        cameras: { models: { detector }, list },
      }),
    );
    gw = await startGatewayProcess({ configPath: cfg, name: 'gateway' });
    const pid = gw.child.pid!;
    await until(() => cams.every((c) => c.stats.snapshots > 1), `all ${n} cameras polled`, 120_000);
    const snaps0 = cams.reduce((a, c) => a + c.stats.snapshots, 0);
    const cpu0 = cpuSeconds(pid);
    const rss: number[] = [];
    const end = Date.now() + SAMPLE_S * 1000;
    while (Date.now() < end) {
      rss.push(statusMB(pid, 'VmRSS'));
      await new Promise((r) => setTimeout(r, 250));
    }
    const snaps = cams.reduce((a, c) => a + c.stats.snapshots, 0) - snaps0;
    return {
      rss,
      peak: statusMB(pid, 'VmHWM'),
      fps: snaps / SAMPLE_S,
      cpuPerFrameMs: ((cpuSeconds(pid) - cpu0) * 1000) / Math.max(1, snaps),
    };
  } finally {
    await gw?.stop();
    for (const c of cams) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: Benchmark = {
  name: 'gateway',
  title: 'gateway RSS with 8 cameras vs 1',
  async run() {
    const nats = await startNatsServer();
    const man = detectorManifest();
    const { frames, note } = await benchFrames(8);
    try {
      const one = await run(1, nats.url, frames, man.path);
      const eight = await run(8, nats.url, frames, man.path);
      const s1 = summarize(one.rss, 'MB');
      const s8 = summarize(eight.rss, 'MB');
      const one1 = (x: number, unit: string): Summary => summarize([x], unit);
      return {
        ratios: [
          {
            label: 'RSS 8 cameras / 1 camera',
            value: one1(s8.median / s1.median, 'x'),
            subject: 'gateway RSS (median of samples) with 8 cameras at 1 snapshot/s each',
            baseline: 'the same gateway with 1 camera',
            meaning: '8.0 = memory grows per camera like the whole process; near 1 = shared models dominate',
          },
        ],
        figures: {
          'RSS 8 cameras': s8,
          'RSS 1 camera': s1,
          'peak RSS 8 cameras': one1(eight.peak, 'MB'),
          'RSS per extra camera': one1((s8.median - s1.median) / 7, 'MB'),
          'frames processed 8 cameras': one1(eight.fps, 'frames/s'),
          'gateway CPU per frame 8 cameras': one1(eight.cpuPerFrameMs, 'ms'),
        },
        notes: [
          `model: ${man.note}; frames: ${note}; RSS sampled every 250 ms for ${SAMPLE_S} s once every camera was polled`,
        ],
      };
    } finally {
      await nats.dispose();
    }
  },
};
export default bench;
