/**
 * @module sim/jt808/terminal
 * A JT/T 808 vehicle terminal over a real TCP socket: registers (0x0100), authenticates with the
 * code it was given (0x0102), drives a scenario of the serial truck simulator sending 0x0200
 * reports, goes out of coverage for a while and re-sends that stretch as a 0x0704 blind-area
 * batch, sends heartbeats, and answers the platform: 0x8201 → 0x0201, 0x8300 → 0x0001,
 * 0x8801 → 0x0805 + 0x0800 + a sub-packaged 0x0801 JPEG upload. Body raised / cover open go out
 * on the IO status item 0x2A (bits 0/1, vendor `generic-io`) and on vendor item 0xE6 (`citygrid-sim`).
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameSplitter, parseFrame } from '../../edge/jt808/codec.js';
import { decodeResponse, encodeLocation, gbk, MSG, toGbk } from '../../edge/jt808/messages.js';
import { type Sample, type ScenarioName, scenario, timeline } from '../serial/index.js';

export interface Jt808TerminalOptions {
  host: string;
  port: number;
  /** SIM number, the header's phone */
  phone: string;
  plate: string;
  /** 2019 headers (version byte 1, 10-byte phone); default 2013 */
  v2019?: boolean;
  scenario?: ScenarioName;
  /** real ms between reports (each report is 1 s of simulated time) */
  intervalMs?: number;
  /** simulated time of the first report; default: so that the drive ends now */
  t0?: number;
  loop?: boolean;
  /** reports [from, from+count) are held back (no coverage) and re-sent as 0x0704 type 1 `after` reports later */
  blindArea?: { from: number; count: number; after: number };
  /** the camera's picture for 0x8801 */
  jpeg?: Buffer;
  /** answer platform commands (false: a terminal that stays silent) */
  answer?: boolean;
  heartbeatMs?: number;
  /** reports per tick (benchmarks: the fix rate) */
  samples?: Sample[];
}

export interface Jt808Terminal {
  /** resolves when authenticated, rejects when registration or authentication was refused */
  ready: Promise<void>;
  /** resolves when the drive (without loop) ended */
  done: Promise<void>;
  /** registration answer result (0 ok) and the auth code */
  registration?: { result: number; code?: string };
  sent: Record<string, number>;
  /** platform messages received, by id (hex) */
  received: Record<string, number>;
  /** the platform's 0x8001 answers: result by message id */
  responses: { replyId: number; result: number }[];
  texts: string[];
  socket: Socket;
  stop(): Promise<void>;
}

const hex = (id: number) => `0x${id.toString(16).padStart(4, '0')}`;

export function startJt808Terminal(o: Jt808TerminalOptions): Jt808Terminal {
  const plan = o.samples ?? timeline(scenario(o.scenario ?? 'clean'), 0);
  const span = plan.length ? plan[plan.length - 1]!.t - plan[0]!.t : 0;
  const t0 = o.t0 ?? Date.now() - span - 2000;
  const samples = plan.map((s) => ({ ...s, t: s.t - plan[0]!.t + t0 }));
  const sock = connect({ host: o.host, port: o.port, noDelay: true });
  const version = o.v2019 ? 1 : undefined;
  let serial = 0;
  let stopped = false;
  let current: Sample | undefined = samples[0];
  const timers: NodeJS.Timeout[] = [];
  const t: Jt808Terminal = {
    ready: undefined as unknown as Promise<void>,
    done: undefined as unknown as Promise<void>,
    sent: {},
    received: {},
    responses: [],
    texts: [],
    socket: sock,
    async stop() {
      stopped = true;
      for (const x of timers) clearTimeout(x);
      sock.destroy();
    },
  };
  const send = (msgId: number, body: Buffer, packages?: { total: number; index: number }) => {
    t.sent[hex(msgId)] = (t.sent[hex(msgId)] ?? 0) + 1;
    const s = serial;
    serial = (serial + 1) & 0xffff;
    if (!sock.destroyed)
      sock.write(encodeFrame({ msgId, phone: o.phone, serial: s, version, packages }, body));
    return s;
  };
  const sendLong = (msgId: number, body: Buffer) => {
    const parts: Buffer[] = [];
    for (let i = 0; i < body.length; i += 1000) parts.push(body.subarray(i, i + 1000));
    for (const [i, p] of parts.entries())
      send(msgId, p, parts.length > 1 ? { total: parts.length, index: i + 1 } : undefined);
  };
  const location = (s: Sample) =>
    encodeLocation({
      lat: s.lat,
      lon: s.lon,
      speedKmh: s.speedKmh,
      course: s.track,
      altM: 20,
      t: s.t,
      items: [
        [0x01, u32(Math.round(s.t / 1000) % 100000)],
        [0x2a, u16((s.dumpBodyRaised ? 1 : 0) | (s.coverOpen ? 2 : 0))],
        [0x30, Buffer.from([25])],
        [0x31, Buffer.from([14])],
        [0xe6, Buffer.from([(s.dumpBodyRaised ? 1 : 0) | (s.coverOpen ? 2 : 0)])],
      ],
    });

  let ready!: () => void;
  let refused!: (e: Error) => void;
  t.ready = new Promise((res, rej) => {
    ready = res;
    refused = rej;
  });
  t.ready.catch(() => undefined);
  let finished!: () => void;
  t.done = new Promise((res) => {
    finished = res;
  });

  const drive = () => {
    let i = 0;
    const held: Sample[] = [];
    let resendAt = -1;
    const tick = () => {
      if (stopped) return;
      if (i >= samples.length) {
        if (!o.loop) {
          finished();
          return;
        }
        i = 0;
        const shift = samples[samples.length - 1]!.t - samples[0]!.t + 1000;
        for (const s of samples) s.t += shift;
      }
      const s = samples[i]!;
      current = s;
      const b = o.blindArea;
      if (b && i >= b.from && i < b.from + b.count) {
        held.push(s);
        if (i === b.from + b.count - 1) resendAt = i + b.after;
      } else send(MSG.location, location(s));
      if (i === resendAt && held.length) {
        const items = held.splice(0).map((h) => {
          const body = location(h);
          return Buffer.concat([u16(body.length), body]);
        });
        sendLong(MSG.batch, Buffer.concat([u16(items.length), Buffer.from([1]), ...items]));
      }
      i++;
      timers.push(setTimeout(tick, o.intervalMs ?? 1000));
    };
    tick();
    if (o.heartbeatMs) {
      const beat = () => {
        if (stopped) return;
        send(MSG.heartbeat, Buffer.alloc(0));
        timers.push(setTimeout(beat, o.heartbeatMs));
      };
      timers.push(setTimeout(beat, o.heartbeatMs));
    }
  };

  let mediaId = 1;
  const onFrame = (seg: Buffer) => {
    let f: ReturnType<typeof parseFrame>;
    try {
      f = parseFrame(seg);
    } catch {
      return;
    }
    const { msgId, serial: ps } = f.header;
    t.received[hex(msgId)] = (t.received[hex(msgId)] ?? 0) + 1;
    if (msgId === MSG.registerAnswer) {
      const result = f.body[2]!;
      const code = f.body.subarray(3).toString('latin1');
      t.registration = { result, code: result === 0 ? code : undefined };
      if (result !== 0) {
        refused(new Error(`registration refused: result ${result}`));
        return;
      }
      const auth = o.v2019
        ? Buffer.concat([
            Buffer.from([code.length]),
            Buffer.from(code),
            Buffer.from('860000000000001'),
            Buffer.alloc(20),
          ])
        : Buffer.from(code);
      send(MSG.auth, auth);
      return;
    }
    if (msgId === MSG.platformResponse) {
      const r = decodeResponse(f.body);
      t.responses.push({ replyId: r.replyId, result: r.result });
      if (r.replyId === MSG.auth) {
        if (r.result === 0) {
          ready();
          drive();
        } else refused(new Error(`authentication refused: result ${r.result}`));
      }
      return;
    }
    if (o.answer === false) return;
    const reply = Buffer.from([ps >> 8, ps & 0xff]);
    if (msgId === MSG.locationQuery && current)
      send(MSG.locationAnswer, Buffer.concat([reply, location(current)]));
    else if (msgId === MSG.text) {
      t.texts.push(gbk(f.body.subarray(o.v2019 ? 2 : 1)));
      send(MSG.terminalResponse, Buffer.concat([reply, u16(MSG.text), Buffer.from([0])]));
    } else if (msgId === MSG.camera && o.jpeg) {
      const id = mediaId++;
      const channel = f.body[0]!;
      send(MSG.cameraAnswer, Buffer.concat([reply, Buffer.from([0]), u16(1), u32(id)]));
      const head = Buffer.concat([u32(id), Buffer.from([0, 0, 0, channel])]);
      send(MSG.multimediaEvent, head);
      const loc = current ? location(current).subarray(0, 28) : Buffer.alloc(28);
      sendLong(MSG.multimediaData, Buffer.concat([head, loc, o.jpeg]));
    } else if (msgId === MSG.camera) send(MSG.cameraAnswer, Buffer.concat([reply, Buffer.from([1]), u16(0)]));
  };

  const splitter = new FrameSplitter();
  sock.on('data', (c) => splitter.push(c, onFrame, () => undefined));
  sock.on('error', (e) => refused(e));
  sock.on('close', () => {
    refused(new Error('connection closed'));
    finished();
  });
  sock.on('connect', () => {
    const reg = o.v2019
      ? Buffer.concat([
          u16(43),
          u16(400),
          pad('CITYGRID', 11),
          pad('SIM-808', 30),
          pad(o.phone, 30),
          Buffer.from([2]),
          toGbk(o.plate),
        ])
      : Buffer.concat([
          u16(43),
          u16(400),
          pad('CGSIM', 5),
          pad('SIM-808', 20),
          pad(o.phone.slice(-7), 7),
          Buffer.from([2]),
          toGbk(o.plate),
        ]);
    send(MSG.register, reg);
  });
  return t;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
function pad(s: string, n: number): Buffer {
  const b = Buffer.alloc(n);
  b.write(s.slice(0, n), 'latin1');
  return b;
}
