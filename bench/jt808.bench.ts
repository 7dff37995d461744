/**
 * @module bench/jt808
 * 1. Decoding: frames/s through the JT/T 808 stream splitter, unescaping, checksum, header and body
 *    decode (`decodeCapture`), against the framing alone (splitter + unescape + XOR) on the same
 *    bytes: the real terminal frames of shared/testdata/jt808 that pass the strict checks, and
 *    generated 0x0200/0x0704 reports, repeated to ~2 MB.
 * 2. Terminals one gateway keeps: a real gateway process (edge/main.ts, a `jt808:` section,
 *    loopback only) with N simulated terminals (default 2,000) each reporting one fix per 10 s,
 *    for a bounded steady period; its RSS from /proc, the reports it took (heartbeat counters)
 *    against the reports sent, its CPU; baseline: the same gateway with 1 terminal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame, FrameSplitter, parseFrame, unescapeBytes, xor } from '../edge/jt808/codec.js';
import { decodeBody, decodeCapture } from '../edge/jt808/decode.js';
import { encodeLocation, MSG } from '../edge/jt808/messages.js';
import { decode, GatewayStatus, subjects } from '../protocol/index.js';
import { connectNats } from '../protocol/transport.js';
import { type Jt808Terminal, startJt808Terminal } from '../sim/jt808/index.js';
import { startNatsServer } from '../sim/nats-server.js';
import { REPO_ROOT, startGatewayProcess } from '../sim/processes.js';
import { scenario, timeline } from '../sim/serial/index.js';
import { until } from '../test/support/until.js';
import { haveShared, SHARED_TESTDATA } from './lib/paths.js';
import { cpuSeconds, statusMB } from './lib/proc.js';
import { paired, type Summary, summarize } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const TERMINALS = Number(process.env.BENCH_JT808_TERMINALS ?? 2000);
const STEADY_S = Number(process.env.BENCH_JT808_STEADY_S ?? 60);
const FIX_EVERY_MS = 10_000;

const one = (x: number, unit: string): Summary => summarize([x], unit);

/** Run `f` on every 0x7e segment of `bytes`; how many returned true. */
function eachSegment(bytes: Buffer, f: (seg: Buffer) => boolean): number {
  let ok = 0;
  new FrameSplitter().push(
    bytes,
    (seg) => {
      if (f(seg)) ok++;
    },
    () => undefined,
  );
  return ok;
}

/** The gateway process is up once its endpoint accepts a connection. */
function listening(port: number, ms: number): Promise<true> {
  const accepts = () =>
    new Promise<boolean>((res) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
    });
  return until(accepts, `gateway endpoint 127.0.0.1:${port} listening`, ms, 200);
}

/** real frames that pass strict decoding, plus generated reports and batches */
function decodeInput(): { bytes: Buffer; frames: number; source: string } {
  const parts: Buffer[] = [];
  let source = 'generated 0x0200 reports and 0x0704 batches';
  if (haveShared('jt808/captures.tsv')) {
    const hex = readFileSync(join(SHARED_TESTDATA, 'jt808/captures.tsv'), 'utf8').trim().split('\n').slice(1);
    for (const l of hex) {
      const b = Buffer.from(l.split('\t')[5]!, 'hex');
      const d = decodeCapture(b);
      if (d.length === 1 && !d[0]!.error && d[0]!.header) parts.push(b); // 0x7e frames only
    }
    source = `the ${parts.length} strictly valid real frames of shared/testdata/jt808 and ${source}`;
  }
  const t = Date.UTC(2026, 10, 30, 2);
  for (let i = 0; i < 200; i++) {
    const loc = encodeLocation({
      lat: 26.89 + i * 1e-4,
      lon: 112.6,
      speedKmh: 40,
      course: 90,
      t: t + i * 1000,
      items: [
        [0x01, Buffer.from([0, 0, 1, i])],
        [0x30, Buffer.from([25])],
        [0x31, Buffer.from([12])],
      ],
    });
    parts.push(encodeFrame({ msgId: MSG.location, phone: '13907340002', serial: i }, loc));
    if (i % 20 === 0) {
      const item = Buffer.concat([Buffer.from([0, loc.length]), loc]);
      const body = Buffer.concat([Buffer.from([0, 10, 1]), ...Array(10).fill(item)]);
      parts.push(encodeFrame({ msgId: MSG.batch, phone: '13907340002', serial: i }, body));
    }
  }
  const base = Buffer.concat(parts);
  const reps = Math.ceil(2_000_000 / base.length);
  return { bytes: Buffer.concat(Array(reps).fill(base)), frames: parts.length * reps, source };
}

async function fleet(n: number, natsUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cg-bench-jt808-'));
  const port = 17000 + Math.floor(Math.random() * 20000);
  const demo = join(REPO_ROOT, 'edge/vehicle/demo');
  const cfg = join(dir, 'gateway.yaml');
  writeFileSync(
    cfg,
    JSON.stringify({
      gatewayId: 'veh-bench-jt808',
      kind: 'vehicle',
      nats: { servers: natsUrl },
      dataDir: join(dir, 'data'),
      heartbeatS: 2,
      jt808: {
        listen: { host: '127.0.0.1', port },
        acceptUnlisted: true,
        offlineAfterS: 60,
        geo: {
          route: join(demo, 'route.geojson'),
          sites: join(demo, 'sites.geojson'),
          zones: join(demo, 'zones.geojson'),
        },
      },
    }),
  );
  const nc = await connectNats({ servers: natsUrl, name: 'bench-jt808', log: { info() {}, warn() {} } });
  let last: GatewayStatus | undefined;
  const beats = { ok: 0, bad: 0, why: '' };
  const sub = nc.subscribe(subjects.status('veh-bench-jt808'));
  void (async () => {
    for await (const m of sub) {
      const r = decode(GatewayStatus, m.data);
      if (r.ok) {
        last = r.value;
        beats.ok++;
      } else {
        beats.bad++;
        beats.why = r.reason.slice(0, 200);
      }
    }
  })();
  const gwErrors: string[] = [];
  const gw = await startGatewayProcess({
    configPath: cfg,
    name: 'gateway',
    onLine: (l) => {
      if (/"level":(50|60)|Error/.test(l) && gwErrors.length < 5) gwErrors.push(l.slice(0, 300));
    },
  });
  const pid = gw.child.pid!;
  await listening(port, 60_000);
  const terms: Jt808Terminal[] = [];
  const samples = timeline(scenario('clean'), 0);
  try {
    let retries = 0;
    // a connect refused or reset under the burst is tried again (counted): the fleet must be complete
    const start = async (i: number): Promise<Jt808Terminal> => {
      for (let attempt = 0; ; attempt++) {
        const t = startJt808Terminal({
          host: '127.0.0.1',
          port,
          phone: String(13_900_000_000 + i),
          plate: `湘D${String(i).padStart(5, '0')}`,
          samples,
          loop: true,
          intervalMs: FIX_EVERY_MS,
        });
        try {
          await t.ready;
          return t;
        } catch (e) {
          await t.stop();
          if (attempt >= 3) throw e;
          retries++;
        }
      }
    };
    for (let i = 0; i < n; i += 200)
      terms.push(
        ...(await Promise.all(Array.from({ length: Math.min(200, n - i) }, (_, k) => start(i + k)))),
      );
    const counter = () =>
      (last?.devices.find((d) => d.id === 'jt808-endpoint')?.counters ?? {}) as Record<string, number>;
    const sent = () => terms.reduce((a, t) => a + (t.sent['0x0200'] ?? 0), 0);
    // each report the gateway took is answered 0x8001 result 0: counted at the terminals
    const answered = () =>
      terms.reduce(
        (a, t) => a + t.responses.filter((r) => r.replyId === MSG.location && r.result === 0).length,
        0,
      );
    // wait for a heartbeat after every terminal connected
    await until(
      () => (counter().open ?? 0) >= n,
      `a heartbeat counting all ${n} terminals open`,
      10_000,
      250,
    );
    const frames0 = counter().frames ?? 0;
    const sent0 = sent();
    const answered0 = answered();
    const cpu0 = cpuSeconds(pid);
    const rss: number[] = [];
    const end = Date.now() + STEADY_S * 1000;
    while (Date.now() < end) {
      rss.push(statusMB(pid, 'VmRSS'));
      await new Promise((r) => setTimeout(r, 500));
    }
    const sentSteady = sent() - sent0;
    await new Promise((r) => setTimeout(r, 4500)); // answers in flight, two heartbeats
    const answeredSteady = answered() - answered0;
    const c = counter();
    return {
      rss,
      peak: statusMB(pid, 'VmHWM'),
      open: c.open ?? 0,
      authenticated: c.authenticated ?? 0,
      sentSteady,
      answeredSteady,
      // the gateway's own frame counter over the window, from its heartbeats
      taken: (c.frames ?? 0) - frames0,
      cpuPct: ((cpuSeconds(pid) - cpu0) / STEADY_S) * 100,
      gwErrors,
      beats,
      retries,
      refusals: Object.entries(c)
        .filter(([k, v]) => v > 0 && /bad|tooLong|cut|Refused|Timeouts|unknown/.test(k))
        .map(([k, v]) => `${k}=${v}`),
    };
  } finally {
    for (const t of terms) await t.stop();
    await gw.stop();
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: Benchmark = {
  name: 'jt808',
  title: 'JT/T 808: frames/s decoded; terminals one gateway keeps, with its RSS',
  async run() {
    const input = decodeInput();
    let decoded = 0;
    // the server's path: split, parseFrame (unescape, checksum, header), decodeBody
    const full = () => {
      decoded = eachSegment(input.bytes, (seg) => {
        const f = parseFrame(seg);
        return !!decodeBody(f.header, f.body);
      });
      return input.frames;
    };
    let framed = 0;
    const framing = () => {
      framed = eachSegment(input.bytes, (seg) => {
        const u = unescapeBytes(seg);
        return xor(u, 0, u.length - 1) === u[u.length - 1];
      });
      return input.frames;
    };
    const d = await paired(full, framing, { runs: 7, warmup: 2 });
    const nats = await startNatsServer();
    try {
      const base = await fleet(1, nats.url);
      const many = await fleet(TERMINALS, nats.url);
      const sBase = summarize(base.rss, 'MB');
      const sMany = summarize(many.rss, 'MB');
      return {
        ratios: [
          {
            label: 'decode/framing',
            value: d.ratio,
            subject:
              'the server path: split, parseFrame (unescape, checksum, header), decodeBody (body, items)',
            baseline: 'split + unescape + XOR checksum only, same bytes',
            meaning: 'throughput ratio; 1.0 = decoding costs nothing beyond framing',
          },
          {
            label: `RSS ${TERMINALS} terminals / 1 terminal`,
            value: one(sMany.median / sBase.median, 'x'),
            subject: `gateway RSS (median of samples) with ${TERMINALS} terminals, 1 fix per 10 s each`,
            baseline: 'the same gateway with 1 terminal',
            meaning: 'memory growth for the whole fleet; per-terminal cost below',
          },
        ],
        figures: {
          'frames decoded': summarize(d.subject, 'frames/s'),
          'framing only': summarize(d.baseline, 'frames/s'),
          [`RSS ${TERMINALS} terminals`]: sMany,
          'RSS 1 terminal': sBase,
          [`peak RSS ${TERMINALS} terminals`]: one(many.peak, 'MB'),
          'RSS per terminal': one(((sMany.median - sBase.median) * 1024) / Math.max(1, TERMINALS - 1), 'KB'),
          'sessions open at the end': one(many.open, 'terminals'),
          'reports sent in the steady window': one(many.sentSteady, 'frames'),
          'reports answered 0x8001 ok in the steady window': one(many.answeredSteady, 'frames'),
          'frames counted by the gateway in the window (heartbeat)': one(many.taken, 'frames'),
          [`gateway CPU with ${TERMINALS} terminals`]: one(many.cpuPct, '% of one core'),
        },
        notes: [
          `decode input: ${input.source}; ${input.frames} frames, ${(input.bytes.length / 1e6).toFixed(1)} MB; ${decoded} decoded to messages, ${framed} passed the framing-only checksum`,
          `fleet: ${TERMINALS} simulated terminals (sim/jt808, in the benchmark process) → one gateway process on 127.0.0.1 with acceptUnlisted and the demo rules, ${STEADY_S} s steady window after all authenticated; RSS from /proc every 500 ms; reports sent in the window against those answered with 0x8001 result 0 (counted at the terminals, answers up to 4.5 s after the window included), and the gateway's own frame counter from its heartbeats`,
          `refusals counted by the gateway: ${many.refusals.join(', ') || 'none'}; authenticated ${many.authenticated}; connects retried under the start burst: ${many.retries}`,
          ...many.gwErrors.map((l) => `gateway error: ${l}`),
          `heartbeats received ${many.beats.ok}, invalid ${many.beats.bad}${many.beats.why ? ` (${many.beats.why})` : ''}`,
        ],
      };
    } finally {
      await nats.dispose();
    }
  },
};
export default bench;
