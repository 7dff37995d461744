/**
 * @module sim/serial/truck
 * A muck truck on a serial line: drives a scenario along the demo route, writing NMEA (RMC+GGA)
 * to the GNSS pty and SLCAN frames to the CAN pty, and answering the SLCAN adapter commands
 * (`Sn`, `O`, `C`) as a Lawicel adapter does. Real time (1 Hz) for the demo, or fast-forward
 * with simulated timestamps for tests. Looping in fast-forward (the demo's default), only the first
 * lap runs fast (its violations show within a minute, its fixes end "now"); later laps run in real
 * time from the wall clock, so the truck can drive for hours without a fix in the future and
 * without a pause that would take its GPS and CAN offline.
 * @example
 * const sim = await startTruckSimulator({ gnssPort: gps.a, canPort: can.a, scenario: 'speeding', intervalMs: 5 });
 * await sim.done;
 */
import { readFileSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { type CanFrame, parseCandumpLine } from '../../edge/vehicle/can/frame.js';
import { encodeSlcan } from '../../edge/vehicle/can/slcan.js';
import { type Leg, type ScenarioName, scenario } from './scenarios.js';
import { nmeaFor, type Sample, slcanFor, timeline } from './timeline.js';

export interface TruckSimulatorOptions {
  gnssPort: string;
  canPort?: string;
  scenario?: ScenarioName;
  /** a custom plan instead of a named scenario */
  plan?: Leg[];
  /** simulated time of the first fix (ms); default now, or in fast-forward so that the last fix is now */
  t0?: number;
  /** real milliseconds between fixes: 1000 = real time; small = fast-forward */
  intervalMs?: number;
  talker?: string;
  /** every n-th step also write a corrupt sentence (bad checksum, garbage, a cut line) */
  corruptEvery?: number;
  /** start again at the end (demo) */
  loop?: boolean;
  /** with a CAN port: drive only once the reader has opened the SLCAN channel (default true) */
  waitForCanOpen?: boolean;
  /** fast-forward: pause this long before a body/cover change (default 250 ms; 0 in real time) */
  settleMs?: number;
  /** replay this candump log on the CAN port (one frame per step, looping) instead of the truck's own frames */
  canReplay?: string;
}

export interface TruckSimulator {
  /** resolves when the plan has been driven (never with loop) */
  done: Promise<void>;
  samples: Sample[];
  /** steps written so far */
  written(): number;
  /** corrupt pieces written so far */
  corrupt(): number;
  stop(): Promise<void>;
}

const CORRUPT = [
  '$GNRMC,010203.000,A,3016.2000,N,12009.0000,E,20.0,90.0,281126,,,A*00\r\n',
  '\0\0xx garbage \x01\x02\r\n',
  '$GNGGA,010203.000,3016.20',
];

function openPort(path: string, baudRate: number): Promise<SerialPort> {
  return new Promise((res, rej) => {
    const p = new SerialPort({ path, baudRate }, (e) => (e ? rej(e) : res(p)));
    // the pty vanishing under us (a test pulling the "cable") is not the simulator's failure
    p.on('error', () => {});
  });
}

/** Answer Lawicel setup commands; frames go out only while the channel is open. */
function slcanAdapter(port: SerialPort, onOpen: () => void): { isOpen(): boolean } {
  let open = false;
  let buf = '';
  port.on('data', (b: Buffer) => {
    buf += b.toString('latin1');
    let i = buf.indexOf('\r');
    while (i >= 0) {
      const cmd = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (cmd === 'O' && !open) {
        open = true;
        onOpen();
      }
      if (cmd === 'C') open = false;
      const ok = cmd === 'O' || cmd === 'C' || /^S[0-8]$/.test(cmd);
      port.write(ok ? '\r' : cmd === 'V' ? 'V1013\r' : '\x07');
      i = buf.indexOf('\r');
    }
  });
  return { isOpen: () => open };
}

/**
 * The next lap of a looping drive: its time offset (added to the plan's sample times) and its pace.
 * It starts after the lap that ended (`prevEnd`), and never before the wall clock `now`, and it
 * runs in real time (1 fix per second): fast-forwarding lap after lap would carry the fix times
 * ever further ahead of the clock, until fixes in the future are refused and a pause to let the
 * clock catch up silences the devices. Pure, so a test can drive hours of laps on its own clock.
 */
export function nextLap(prevEnd: number, firstT: number, now: number, intervalMs: number) {
  const start = Math.max(prevEnd + 1000, now);
  return { offset: start - firstT, paceMs: Math.max(intervalMs, 1000) };
}

export async function startTruckSimulator(o: TruckSimulatorOptions): Promise<TruckSimulator> {
  const interval = o.intervalMs ?? 1000;
  const plan = o.plan ?? scenario(o.scenario ?? 'clean');
  // fast-forward without a t0: end the simulated drive at "now", so no fix lies in the future
  let samples = timeline(plan, o.t0 ?? 0);
  if (o.t0 === undefined) {
    const span = samples.length ? samples[samples.length - 1].t : 0;
    const t0 = interval < 1000 ? Date.now() - span - 1000 : Date.now();
    samples = samples.map((s) => ({ ...s, t: s.t + t0 }));
  }
  const gnss = await openPort(o.gnssPort, 9600);
  const can = o.canPort ? await openPort(o.canPort, 115200) : undefined;
  const replay: CanFrame[] = o.canReplay
    ? readFileSync(o.canReplay, 'latin1')
        .split(/\r?\n/)
        .map(parseCandumpLine)
        .filter((f): f is CanFrame => typeof f !== 'string')
    : [];
  let opened: () => void = () => {};
  const canOpen = new Promise<void>((r) => {
    opened = r;
  });
  const adapter = can ? slcanAdapter(can, () => opened()) : undefined;
  let i = 0;
  let corrupt = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => {
    finish = r;
  });
  let offset = 0;
  /** real ms between steps in this lap */
  let pace = interval;

  // Fast-forward squeezes a simulated second into a few ms, and the reader may take the GNSS and
  // CAN ptys in chunks of many steps. Before a body/cover change, pause long enough for the
  // reader to finish the epochs it has (its quiet-gap flush), so signals line up with fixes.
  const settleMs = o.settleMs ?? (interval < 1000 ? 250 : 0);
  let lastState = '';
  const step = () => {
    if (stopped) return;
    if (i >= samples.length) {
      if (!o.loop) return finish();
      const next = nextLap(samples[samples.length - 1].t + offset, samples[0].t, Date.now(), interval);
      offset = next.offset;
      pace = next.paceMs;
      i = 0;
    }
    const s = { ...samples[i], t: samples[i].t + offset };
    const state = `${s.dumpBodyRaised}/${s.coverOpen}`;
    if (state !== lastState && lastState !== '' && pace < 1000 && settleMs > 0 && !replay.length) {
      lastState = state;
      timer = setTimeout(step, settleMs);
      return;
    }
    lastState = state;
    if (adapter?.isOpen()) can!.write(replay.length ? encodeSlcan(replay[i % replay.length]) : slcanFor(s));
    let out = nmeaFor(s, o.talker);
    if (o.corruptEvery && i % o.corruptEvery === o.corruptEvery - 1) {
      out = CORRUPT[corrupt % CORRUPT.length] + out;
      corrupt++;
    }
    gnss.write(out);
    i++;
    timer = setTimeout(step, pace);
  };
  // a truck's bus is visible only once the adapter is open; the GNSS reader opens at the same time
  const go = () => {
    if (!stopped) timer = setTimeout(step, Math.min(200, interval));
  };
  if (can && o.waitForCanOpen !== false) canOpen.then(go);
  else go();

  const close = (p?: SerialPort) => new Promise<void>((r) => (p?.isOpen ? p.close(() => r()) : r()));
  return {
    done,
    samples,
    written: () => i,
    corrupt: () => corrupt,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      finish();
      await Promise.all([close(gnss), close(can)]);
    },
  };
}
