/** CAN stage: SLCAN lines, candump logs, J1939 ids and BAM, DBC decoding against published vectors. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CanFrame,
  CanSignalDecoder,
  decodeSignals,
  encodeSlcan,
  J1939Decoder,
  j1939Id,
  j1939MakeId,
  parseCandumpLine,
  parseDbc,
  SlcanReader,
  slcanSetup,
} from '../edge/vehicle/can/index.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CAN = path.resolve(ROOT, '../shared/testdata/can');
const present = fs.existsSync(CAN);
if (!present) console.warn(`skipping CAN vector tests: ${CAN} is absent`);
const exampleDbc = () =>
  parseDbc(fs.readFileSync(path.join(ROOT, 'edge/vehicle/can/muck-truck.dbc'), 'utf8'));

describe('can - slcan', () => {
  it('can - setup commands for 250k', () => {
    expect(slcanSetup(250_000)).toBe('C\rS5\rO\r');
    expect(() => slcanSetup(300_000)).toThrow(/unsupported bit rate/);
  });

  it('can - t/T/r/R frames, acks and BEL errors, across chunk borders', () => {
    const frames: CanFrame[] = [];
    const errors: string[] = [];
    const r = new SlcanReader(
      (f) => frames.push(f),
      (e) => errors.push(e),
    );
    const input = '\r\r\x07t4563112233\rT0CF004008207D87481400F087\rr1230\rR18FEF1310\rtZZZ1\r';
    for (let i = 0; i < input.length; i += 5) r.push(Buffer.from(input.slice(i, i + 5), 'latin1'));
    expect(frames.map((f) => [f.id, f.ext, f.rtr, Buffer.from(f.data).toString('hex')])).toEqual([
      [0x456, false, false, '112233'],
      [0x0cf00400, true, false, '207d87481400f087'],
      [0x123, false, true, ''],
      [0x18fef131, true, true, ''],
    ]);
    expect(r.counters).toMatchObject({ acks: 2, errors: 1, malformed: 1, frames: 4 });
    expect(errors).toHaveLength(1);
  });

  it('can - encode is the inverse of parse', () => {
    const f: CanFrame = { id: 0x18ff102a, ext: true, rtr: false, data: Uint8Array.of(1, 2, 3) };
    const back: CanFrame[] = [];
    new SlcanReader((x) => back.push(x)).push(encodeSlcan(f));
    expect(back[0]).toEqual(f);
  });
});

describe('can - j1939', () => {
  it('can - PDU1 and PDU2 ids', () => {
    expect(j1939Id(0x0cf00400)).toEqual({ priority: 3, pgn: 61444, sa: 0 });
    expect(j1939Id(0x18ecff00)).toEqual({ priority: 6, pgn: 0xec00, sa: 0, da: 0xff });
    expect(j1939Id(j1939MakeId(6, 0xff10, 0x2a))).toEqual({ priority: 6, pgn: 0xff10, sa: 0x2a });
  });

  it('can - BAM reassembly, and an out-of-order packet aborts', () => {
    const d = new J1939Decoder();
    const f = (id: number, hex: string): CanFrame => ({
      id,
      ext: true,
      rtr: false,
      data: Buffer.from(hex, 'hex'),
    });
    expect(d.push(f(0x18ecff00, '20090002ff000000'))).toBeUndefined();
    expect(d.push(f(0x18ebff00, '0101020304050607'))).toBeUndefined();
    const m = d.push(f(0x18ebff00, '0201020304050607'));
    expect(m && Buffer.from(m.data).toString('hex')).toBe('010203040506070102');
    d.push(f(0x18ecff00, '20090002ff000000'));
    expect(d.push(f(0x18ebff00, '0201020304050607'))).toBeUndefined();
    expect(d.counters).toMatchObject({ bamCompleted: 1, bamAborted: 1 });
  });

  it.skipIf(!present)('can - pretty_j1939 BAM capture reassembles to 9 bytes', () => {
    const d = new J1939Decoder();
    const lines = fs
      .readFileSync(path.join(CAN, 'pretty_j1939/test_tp_frames.candump.log'), 'utf8')
      .trim()
      .split('\n');
    const out = lines.map((l) => d.push(parseCandumpLine(l) as CanFrame)).filter(Boolean);
    expect(out).toHaveLength(1);
    expect(out[0]!.data).toHaveLength(9);
  });
});

describe('can - dbc', () => {
  it.skipIf(!present)('can - j1939-vectors.tsv decodes exactly (PGN, SA, value)', () => {
    const dec = new CanSignalDecoder(exampleDbc());
    const rows = fs
      .readFileSync(path.join(CAN, 'j1939-vectors.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const row of rows) {
      const [line, pgn, sa, signal, value] = row.split('\t');
      const frame = parseCandumpLine(line);
      if (typeof frame === 'string') throw new Error(`${line}: ${frame}`);
      const msg = new CanSignalDecoder(exampleDbc()).push(frame) ?? dec.push(frame);
      expect(msg, row).toBeDefined();
      expect([msg!.pgn, msg!.sa], row).toEqual([Number(pgn), Number(sa)]);
      expect(msg!.signals.find((s) => s.name === signal)?.value, row).toBe(Number(value));
    }
  });

  it.skipIf(!present)('can - the CSS Electronics DBC (ids with SA 0xFE) matches frames from SA 0', () => {
    const dbc = parseDbc(
      fs.readFileSync(path.join(CAN, 'css-electronics/CSS-Electronics-SAE-J1939-DEMO.dbc'), 'utf8'),
    );
    const msg = new CanSignalDecoder(dbc).push(
      parseCandumpLine('(1.0) can0 0CF00400#207D87481400F087') as CanFrame,
    );
    expect(msg?.signals).toEqual([{ name: 'EngineSpeed', value: 649, unit: 'rpm' }]);
  });

  it('can - not-available values are left out; Motorola and signed signals', () => {
    const dbc = exampleDbc();
    const ccvs = dbc.byPgn.get(65265)!;
    expect(decodeSignals(ccvs, Buffer.from('F7FFFF07CCFFFFFF', 'hex')).map((s) => s.name)).toEqual([
      'BrakeSwitch',
    ]);
    const moto = parseDbc('BO_ 100 M: 2 X\n SG_ S : 7|12@0- (1,0) [0|0] "" Y\n').messages[0];
    expect(decodeSignals(moto, Uint8Array.of(0xff, 0xf0), false)[0].value).toBe(-1);
    expect(decodeSignals(moto, Uint8Array.of(0x12, 0x30), false)[0].value).toBe(0x123);
  });

  it('can - a broken DBC line names its line number', () => {
    expect(() => parseDbc('VERSION ""\nBO_ 1 X: 8 Y\n SG_ bad line\n')).toThrow(/line 3/);
  });
});
