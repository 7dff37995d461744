/**
 * @module bench/can
 * CAN reader throughput. Ratio: our J1939 + DBC stage (`CanSignalDecoder.push`) against
 * `candied` (the npm DBC toolbox: `Can.decode`) on the same parsed frames and the same DBC
 * (edge/vehicle/can/muck-truck.dbc). Absolute: candump text lines → decoded messages, and SLCAN
 * bytes → frames, through our readers.
 * Frames: a generated 60 s of a muck truck's bus at the real rates (EEC1 100 Hz, CCVS1 10 Hz,
 * body 10 Hz, wheel speeds 20 Hz, distance 1 Hz) plus 30 % PGNs the DBC does not know.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Can, Dbc as CandiedDbc } from 'candied';
import {
  type CanFrame,
  CanSignalDecoder,
  encodeSlcan,
  formatCandumpLine,
  parseCandumpLine,
  parseDbc,
  SlcanReader,
} from '../edge/vehicle/can/index.js';
import { ROOT } from './lib/paths.js';
import { paired, rate, summarize } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const DBC = join(ROOT, 'edge/vehicle/can/muck-truck.dbc');

/** 29-bit J1939 ids (DBC ids without the extended flag bit 31) and their rate per second */
const TRAFFIC: [number, number][] = [
  [0x0cf00400, 100], // EEC1
  [0x18fef100, 10], // CCVS1
  [0x18fee000, 1], // VD
  [0x18febf00, 20], // HRW
  [0x18ff1000, 10], // MuckBody
  [0x18fef200, 10], // LFE (not in this DBC)
  [0x18feee00, 1], // ET1 (not in this DBC)
  [0x18fef500, 1], // AMB (not in this DBC)
  [0x0cfe6c00, 50], // TCO1 (not in this DBC)
];

function frames(seconds: number): CanFrame[] {
  const out: CanFrame[] = [];
  let seed = 1;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed & 0xff;
  };
  for (let ms = 0; ms < seconds * 1000; ms += 10)
    for (const [id, hz] of TRAFFIC)
      if ((ms / 10) % (100 / hz) === 0)
        out.push({ id, ext: true, rtr: false, data: Uint8Array.from({ length: 8 }, rnd), t: 1.7e12 + ms });
  return out;
}

const bench: Benchmark = {
  name: 'can',
  title: 'CAN/J1939 reader: frames/s vs candied',
  async run() {
    const text = readFileSync(DBC, 'utf8');
    const dbc = parseDbc(text);
    const cdb = new CandiedDbc().load(text);
    const fs = frames(60);
    const n = fs.length;
    // candied matches the DBC id exactly, which carries the extended flag (bit 31)
    const cframes = fs.map((f) => ({
      id: (f.id | 0x80000000) >>> 0,
      dlc: 8,
      isExtended: true,
      payload: [...f.data],
    }));
    let oursDecoded = 0;
    let theirsDecoded = 0;
    const ours = () => {
      const d = new CanSignalDecoder(dbc);
      oursDecoded = 0;
      for (const f of fs) if (d.push(f)) oursDecoded++;
      return n;
    };
    const candied = () => {
      const can = new Can();
      can.database = cdb;
      theirsDecoded = 0;
      for (const f of cframes) if (can.decode(f)) theirsDecoded++;
      return n;
    };
    const p = await paired(ours, candied, { runs: 7, warmup: 2 });

    const lines = fs.map((f) => formatCandumpLine(f));
    const candump = await rate(
      () => {
        const d = new CanSignalDecoder(dbc);
        for (const l of lines) {
          const f = parseCandumpLine(l);
          if (typeof f !== 'string') d.push(f);
        }
        return n;
      },
      { runs: 7 },
    );
    const slcanText = fs.map(encodeSlcan).join('');
    const slcan = await rate(
      () => {
        const r = new SlcanReader(() => {});
        r.push(Buffer.from(slcanText, 'latin1'));
        return n;
      },
      { runs: 7 },
    );
    return {
      ratios: [
        {
          label: 'ours/candied',
          value: p.ratio,
          subject: 'CanSignalDecoder.push (J1939 id + BAM + DBC signals)',
          baseline: 'candied@2.2 Can.decode (DBC signals by exact id)',
          meaning: 'throughput ratio on the same parsed frames; >1 = ours faster',
        },
      ],
      figures: {
        'ours decode': summarize(p.subject, 'frames/s'),
        'candied decode': summarize(p.baseline, 'frames/s'),
        'candump text → signals': summarize(candump, 'frames/s'),
        'SLCAN bytes → frames': summarize(slcan, 'frames/s'),
      },
      notes: [
        `${n} frames (60 s of bus at real rates, 30 % unknown PGNs); decoded messages: ours ${oursDecoded}, candied ${theirsDecoded} (must match)`,
      ],
    };
  },
};
export default bench;
