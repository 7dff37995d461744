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
} from './index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
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
      // The published "BrakeSwitch 1" reads bits 26-27, which J1939-71 gives to SPN 596 (cruise
      // control enable switch); the brake switch (SPN 597) is bits 28-29 and reads 0 (released).
      const name = signal === 'BrakeSwitch' ? 'CruiseControlEnableSwitch' : signal;
      expect(msg!.signals.find((s) => s.name === name)?.value, row).toBe(Number(value));
      if (signal === 'BrakeSwitch') expect(msg!.signals.find((s) => s.name === signal)?.value).toBe(0);
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
      'CruiseControlEnableSwitch',
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

const ext = (id: number, hex: string, t?: number): CanFrame => ({
  id,
  ext: true,
  rtr: false,
  data: Buffer.from(hex, 'hex'),
  t,
});

describe('can - field quirks', () => {
  // Regression: every m0/m1 signal was emitted whatever multiplexor value the frame carried.
  it.skipIf(!present)(
    "can - multiplexed signals (cantools socialledge.dbc) only for the frame's multiplexor value",
    () => {
      const dbc = parseDbc(fs.readFileSync(path.join(CAN, 'cantools/socialledge.dbc'), 'utf8'));
      const sonars = dbc.messages.find((m) => m.name === 'SENSOR_SONARS')!;
      // mux (bits 0-3) = 1, then 12-bit values at 16, 28, 40, 52
      const names = decodeSignals(sonars, Buffer.from('0100640000000000', 'hex'), false).map((s) => s.name);
      expect(names).toContain('SENSOR_SONARS_no_filt_left');
      expect(names.filter((n) => /^SENSOR_SONARS_(left|middle|right|rear)$/.test(n))).toEqual([]);
      const zero = decodeSignals(sonars, Buffer.from('0000640000000000', 'hex'), false).map((s) => s.name);
      expect(zero).toContain('SENSOR_SONARS_left');
      expect(zero.filter((n) => n.includes('no_filt'))).toEqual([]);
    },
  );

  // Regression: an extended remote frame was counted as a standard frame; an empty data frame
  // decoded to a message with no signals.
  it('can - remote and empty frames are counted as such and decode to nothing', () => {
    const dec = new CanSignalDecoder(exampleDbc());
    expect(dec.push({ id: 0x18fef131, ext: true, rtr: true, data: new Uint8Array(0) })).toBeUndefined();
    expect(dec.push({ id: 0x123, ext: false, rtr: true, data: new Uint8Array(0) })).toBeUndefined();
    expect(dec.push(ext(0x0cf00400, ''))).toBeUndefined();
    expect(dec.push({ id: 0x456, ext: false, rtr: false, data: Uint8Array.of(1) })).toBeUndefined();
    expect(dec.j1939.counters).toMatchObject({
      remoteFrames: 2,
      emptyFrames: 1,
      standardFrames: 1,
      messages: 0,
    });
  });

  // Regression: candump's default layout was refused as "not a candump line".
  it('can - candump default layout (with and without -t), remote requests, and -L', () => {
    const a = parseCandumpLine('  can0  0CF00400   [8]  20 7D 87 48 14 00 F0 87') as CanFrame;
    expect([a.id, a.ext, a.rtr, Buffer.from(a.data).toString('hex'), a.t]).toEqual([
      0x0cf00400,
      true,
      false,
      '207d87481400f087',
      undefined,
    ]);
    const b = parseCandumpLine(
      ' (1543509533.001145)  can0  18FEE000   [8]  FF FF FF FF B0 5C 68 00',
    ) as CanFrame;
    expect(b.t).toBe(1543509533001);
    expect(parseCandumpLine('  can0  123   [2]  remote request')).toMatchObject({ id: 0x123, rtr: true });
    expect(parseCandumpLine('  can0  123   [3]  01 02')).toBe('bad data bytes');
    expect(parseCandumpLine('(1.0) can0 0CF00400#207D87481400F087')).toMatchObject({ id: 0x0cf00400 });
  });

  // Regression: stray TP.DT packets and a transfer stopped at 9 of 12 packets were counted nowhere.
  it('can - stray TP.DT packets and incomplete transfers (T1 silence, re-announce, end of log) are counted', () => {
    const d = new J1939Decoder();
    d.push(ext(0x18ebff00, '0101020304050607', 0)); // no announce: stray
    const announce12 = '2050000CFF00FE00'; // 80 bytes in 12 packets of PGN 0xFE00
    const packet = (n: number) => `${n.toString(16).padStart(2, '0')}01020304050607`;
    d.push(ext(0x18ecff00, announce12, 0));
    for (let n = 1; n <= 9; n++) d.push(ext(0x18ebff00, packet(n), n * 50));
    // the sender goes quiet past T1 (750 ms): any later frame closes the transfer as incomplete
    d.push(ext(0x0cf00400, '207D87481400F087', 9 * 50 + 751));
    expect(d.counters).toMatchObject({ strayPackets: 1, bamIncomplete: 1, bamAborted: 0 });
    d.push(ext(0x18ecff00, announce12, 2000));
    d.push(ext(0x18ebff00, packet(1), 2050));
    d.push(ext(0x18ecff00, announce12, 2100)); // started over: the first is incomplete
    d.end(); // the log ends with the second one open
    expect(d.counters).toMatchObject({ bamIncomplete: 3, bamCompleted: 0 });
  });

  // Regression: BrakeSwitch sat at bit 26 (SPN 596's place). Every signal of ours with an SPN is
  // checked against the shared J1939 tables (pretty_j1939's J1939db.json, the CSS Electronics DBC);
  // SPNs they lack, against J1939-71's CCVS1 layout.
  it.skipIf(!present)('can - our DBC signal positions match J1939-71 and the shared J1939 tables', () => {
    const text = fs.readFileSync(path.join(ROOT, 'edge/vehicle/can/muck-truck.dbc'), 'utf8');
    const dbc = parseDbc(text);
    const spnOf = new Map(
      [...text.matchAll(/^BA_ "SPN" SG_ \d+ (\w+) (\d+);/gm)].map((m) => [m[1], Number(m[2])]),
    );
    const db = JSON.parse(fs.readFileSync(path.join(CAN, 'pretty_j1939/J1939db.json'), 'utf8'));
    const css = parseDbc(
      fs.readFileSync(path.join(CAN, 'css-electronics/CSS-Electronics-SAE-J1939-DEMO.dbc'), 'utf8'),
    );
    // J1939-71 CCVS1 (PGN 65265) byte 4: bits 3-4 SPN 596, bits 5-6 SPN 597 (0-based start bits)
    const J1939_71: Record<number, [number, number]> = { 596: [26, 2], 597: [28, 2] };
    let checked = 0;
    for (const m of dbc.messages)
      for (const s of m.signals) {
        const spn = spnOf.get(s.name);
        if (spn === undefined) continue;
        const pgn = db.J1939PGNdb[String(m.pgn)];
        const i = pgn ? pgn.SPNs.indexOf(spn) : -1;
        const want: [number, number] | undefined =
          i >= 0 ? [pgn.SPNStartBits[i], db.J1939SPNdb[String(spn)].SPNLength] : J1939_71[spn];
        expect(want, `${s.name} (SPN ${spn}) has a reference layout`).toBeDefined();
        expect([s.start, s.length], `${m.name}.${s.name} SPN ${spn}`).toEqual(want);
        if (i >= 0) expect(s.factor, s.name).toBe(db.J1939SPNdb[String(spn)].Resolution);
        const theirs = css.byPgn.get(m.pgn!)?.signals.find((x) => x.name === s.name);
        if (theirs)
          expect([s.start, s.length, s.factor], `CSS ${s.name}`).toEqual([
            theirs.start,
            theirs.length,
            theirs.factor,
          ]);
        checked++;
      }
    expect(checked).toBe(6);
  });
});
