/**
 * JT/T 808 codec on real frames (../shared/testdata/jt808/captures.tsv: frames from real terminals
 * with what Traccar's decoder test checks for each) and on broken input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameSplitter, parseFrame } from './codec.js';
import { decodeCapture, type Message, positionsOf } from './decode.js';
import { decodeLocation, encodeLocation } from './messages.js';
import { readSignal } from './unit.js';

const FILE = path.resolve(import.meta.dirname, '../../../shared/testdata/jt808/captures.tsv');
const present = fs.existsSync(FILE);

interface Row {
  n: string;
  id: string;
  check: string;
  expects: string;
  hex: string;
}
const rows: Row[] = present
  ? fs
      .readFileSync(FILE, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => {
        const [n, id, , check, expects, hex] = l.split('\t');
        return { n: n!, id: id!, check: check!, expects: expects!, hex: hex! };
      })
  : [];

/**
 * Traccar's attribute names → our fields: the standard items (table 27/28), JT/T 1078's video items,
 * the vendor items of edge/jt808/vendor-items.ts, the text frame and the 7-byte 0x0210.
 */
const item = (k: string) => (m: Message) => positionsOf(m)[0]?.location.items[k];
const OURS: Record<string, (m: Message) => unknown> = {
  SATELLITES: item('satellites'),
  POWER: item('powerV'),
  BATTERY: item('batteryV'),
  BATTERY_LEVEL: (m) => (m.kind === 'vendorStatus' ? m.batteryPct : item('batteryPct')(m)),
  CHARGE: item('charging'),
  MOTION: item('moving'),
  ICCID: item('iccid'),
  DTCS: item('dtcs'),
  '"timezone"': item('timezone'),
  '"videoAlarm"': item('videoAlarm'),
  '"tire1Pressure"': item('tyre1PressureBar'),
  'Position.PREFIX_TEMP + 1': item('temp1C'),
  '"lock1Locked"': item('lock1Locked'),
  '"lock2Battery"': item('lock2BatteryV'),
  '"fuel2"': item('fuel2L'),
  RESULT: (m) => (m.kind === 'text' ? m.text : undefined),
};
/** Traccar alarm names → the vendor item flag that carries them */
const ALARMS: Record<string, string> = {
  'alarm:VIBRATION': 'vibration',
  'alarm:ACCELERATION': 'harshAcceleration',
};

/**
 * Expectations the frame's bytes do not settle without knowing the terminal's model (Traccar
 * reads these from its device database), or that are not in a location's items at all: each says
 * why, and checks what the bytes do hold.
 */
const SKIPS: Record<string, { why: string; check: (m: Message) => void }> = {
  '22': {
    why: '0x0900 transparent type 0x41, a vendor "$OBD-RT,..." text line (not location items); transparent data is counted, not decoded',
    check: (m) => expect(m.kind === 'transparent' && m.type).toBe(0x41),
  },
  '110': {
    why: '0x0900 transparent (a vendor BLE tag list); transparent data is counted, not decoded',
    check: (m) => expect(m.kind).toBe('transparent'),
  },
  '32': {
    why: '0x5501 lock report: a vendor message layout',
    check: (m) => expect(m.kind).toBe('undecoded'),
  },
  '44': {
    why: '0x5501 lock report: a vendor message layout',
    check: (m) => expect(m.kind).toBe('undecoded'),
  },
  '102': {
    why: 'Traccar reads bit 16 of item 0x57 as the door only on the MV810G/MV710G models',
    check: (m) => expect(Number(item('extendedAlarms')(m)) & 0x10000).toBe(0x10000),
  },
  '108': {
    why: 'Traccar reads item 0xF8 as a step count only on the C5/C5L models (else as a temperature)',
    check: (m) => expect(parseInt(positionsOf(m)[0]!.location.raw['0xf8']!, 16)).toBe(18742),
  },
  '104': {
    why: 'the terminal sent 7d 01 unescaped in its latitude; unescaped, the items that follow are cut (and the value is in item 0xE8, read only on JC models)',
    check: (m) => expect(positionsOf(m)[0]!.location.raw.cut).toMatch(/declares/),
  },
  '106': {
    why: 'the terminal sent 7d 01 unescaped in its latitude; unescaped, the items that follow are cut (and the value is in item 0xE8, read only on JC models)',
    check: (m) => expect(positionsOf(m)[0]!.location.raw.cut).toMatch(/declares/),
  },
};

/** vendor messages with their own body layouts (0x5501/0x5502 lock reports): counted, not decoded */
const VENDOR_MESSAGES = new Set(['0x5501', '0x5502']);

function parseExpected(s: string): unknown {
  const v = s.trim().replace(/L$/, '');
  if (/^".*"$/.test(v)) return v.slice(1, -1);
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^-?[\d.]+$/.test(v)) return Number(v);
  return v;
}

const valid = (l: { lat: number; lon: number; t: number }) =>
  l.lat >= -90 && l.lat <= 90 && l.lon >= -180 && l.lon <= 180 && l.t <= Date.now();

describe.skipIf(!present)('JT/T 808 real frames (Traccar test captures)', () => {
  if (!present) it.skip(`no ${FILE}: shared test data absent`, () => undefined);

  it.each(rows.map((r) => [r.n, r.id, r.check, r] as const))('frame %s (%s, %s)', (_n, _id, _c, r) => {
    const lenient = decodeCapture(Buffer.from(r.hex), true);
    expect(lenient).toHaveLength(1);
    const d = lenient[0]!;
    expect(d.error).toBeUndefined();
    const m = d.message!;
    // strict (the server) either agrees or refuses for exactly what lenient warned about
    const strict = decodeCapture(Buffer.from(r.hex));
    if (!d.warnings) {
      expect(strict.every((s) => !s.error)).toBe(strict.length === 1);
    } else expect(strict.some((s) => s.error && d.warnings!.includes(s.error.problem))).toBe(true);

    const positions = positionsOf(m);
    if (r.check === 'verifyNull') {
      expect(positions).toHaveLength(0);
      expect(['register', 'auth', 'heartbeat', 'undecoded']).toContain(m.kind);
    } else if (VENDOR_MESSAGES.has(r.id)) {
      expect(m.kind).toBe('undecoded');
    } else if (r.check === 'verifyPosition' || r.check === 'verifyPositions') {
      expect(positions.length).toBeGreaterThanOrEqual(r.check === 'verifyPositions' ? 2 : 1);
      for (const p of positions) expect(valid(p.location)).toBe(true);
    } else if (r.check === 'verifyNotNull') {
      expect(positions.length).toBeGreaterThan(0);
    } else {
      const skip = SKIPS[r.n];
      if (skip) {
        skip.check(m);
        return;
      }
      const [key, ...rest] = r.expects.split(', ');
      const want = rest.join(', ');
      if (key === 'ALARM') expect(item(ALARMS[want]!)(m)).toBe(true);
      else {
        expect(OURS[key!], `no mapping for ${key}`).toBeDefined();
        expect(OURS[key!]!(m)).toEqual(parseExpected(want));
      }
    }
  });

  it('documents every expectation it cannot meet from the bytes', () => {
    for (const [n, s] of Object.entries(SKIPS)) {
      expect(rows.find((r) => r.n === n)?.check).toBe('verifyAttribute');
      expect(s.why.length).toBeGreaterThan(20);
    }
  });

  it('the registrations carry plate and terminal fields', () => {
    const regs = rows
      .filter((r) => r.id === '0x0100')
      .map((r) => decodeCapture(Buffer.from(r.hex), true)[0]!.message!)
      .map((m) => (m.kind === 'register' ? m.registration : undefined));
    expect(regs.every((r) => r !== undefined)).toBe(true);
    expect(regs.map((r) => r!.layout).sort()).toContain('2019');
    expect(regs.find((r) => r!.plate === '粤B88888')).toBeDefined();
  });
});

describe('JT/T 808 framing', () => {
  const loc = encodeLocation({
    lat: 26.9,
    lon: 112.57,
    speedKmh: 42.5,
    course: 90,
    t: Date.UTC(2026, 10, 1, 2),
    items: [[0x31, Buffer.from([9])]],
  });

  it('round-trips a 2013 and a 2019 frame, escaping 0x7e and 0x7d inside', () => {
    for (const version of [undefined, 1]) {
      const body = Buffer.concat([loc, Buffer.from([0xe6, 2, 0x7e, 0x7d])]);
      const f = encodeFrame({ msgId: 0x0200, phone: '13800001111', serial: 0x7e7d, version }, body);
      expect(f.subarray(1, -1).includes(0x7e)).toBe(false);
      const back = parseFrame(f.subarray(1, -1));
      expect(back.header).toMatchObject({ msgId: 0x0200, serial: 0x7e7d, version, bodyLength: body.length });
      expect(back.header.phone.replace(/^0+/, '')).toBe('13800001111');
      const l = decodeLocation(back.body);
      expect(l).toMatchObject({
        lat: 26.9,
        lon: 112.57,
        speedKmh: 42.5,
        course: 90,
        t: Date.UTC(2026, 10, 1, 2),
      });
      expect(l.items.satellites).toBe(9);
      expect(l.raw['0xe6']).toBe('7e7d');
    }
  });

  it('refuses a bad checksum, a bad escape, a short frame and a wrong declared length', () => {
    const good = encodeFrame({ msgId: 0x0002, phone: '1', serial: 1 }).subarray(1, -1);
    const badSum = Buffer.from(good);
    badSum[badSum.length - 1]! ^= 0xff;
    expect(() => parseFrame(badSum)).toThrow(/checksum/);
    expect(() => parseFrame(Buffer.from([...good.subarray(0, 4), 0x7d, 0x05, ...good.subarray(4)]))).toThrow(
      /0x7d followed by 0x05/,
    );
    expect(() => parseFrame(good.subarray(0, 8))).toThrow(/shorter than a header/);
    const longer = Buffer.from(good);
    longer[3] = 0x10; // declares 16 body bytes, holds none (checksum fixed up)
    longer[longer.length - 1] = longer.subarray(0, -1).reduce((a, b) => a ^ b, 0);
    expect(() => parseFrame(longer)).toThrow(/declares a 16-byte body, has 0/);
  });

  it('splits a stream: glued frames, an unescaped 0x7e mid-frame, garbage and an overlong run', () => {
    const a = encodeFrame({ msgId: 0x0002, phone: '1', serial: 1 });
    const b = encodeFrame({ msgId: 0x0002, phone: '1', serial: 2 });
    const broken = Buffer.from(a);
    broken[6] = 0x7e; // a raw flag inside: both halves are refused, the next frame is intact
    const stream = Buffer.concat([a, broken, Buffer.from('garbage'), b, Buffer.alloc(5000, 0x41), b]);
    const sp = new FrameSplitter();
    const ok: number[] = [];
    const bad: string[] = [];
    let tooLong = 0;
    for (let i = 0; i < stream.length; i += 7)
      sp.push(
        stream.subarray(i, i + 7),
        (seg) => {
          try {
            ok.push(parseFrame(seg).header.serial);
          } catch (e) {
            bad.push((e as { problem: string }).problem);
          }
        },
        () => tooLong++,
      );
    expect(ok).toEqual([1, 2, 2]);
    expect(bad.length).toBeGreaterThanOrEqual(3); // two halves + garbage
    expect(tooLong).toBe(1);
  });

  it('a capture cut mid-frame is reported with its offset, the frames before it are kept', () => {
    const a = encodeFrame({ msgId: 0x0002, phone: '1', serial: 1 });
    const out = decodeCapture(Buffer.concat([a, a.subarray(0, 9)]));
    expect(out[0]!.message?.kind).toBe('heartbeat');
    expect(out[1]!.error).toMatchObject({ problem: 'cut' });
    expect(out[1]!.at).toBe(a.length + 1);
  });

  it('vendor items: a layout not in the table (length, or an overrunning sub-item) stays raw and adds no field', () => {
    const at = (items: [number, Buffer][]) =>
      decodeLocation(
        encodeLocation({ lat: 26.9, lon: 112.57, speedKmh: 0, t: Date.UTC(2026, 10, 1), items }),
      );
    const ok = at([[0xe1, Buffer.from([0x00, 0x7e])]]);
    expect(ok.items.powerV).toBe(12.6);
    expect(ok.raw['0xe1']).toBe('007e'); // the bytes stay for the vendor mapping
    const odd = at([
      [0xe1, Buffer.from([1, 2, 3])], // no 3-byte layout
      [0xeb, Buffer.from([0x00, 0x20, 0x00, 0x2d, 0x0f, 0xa5])], // sub-item declares 32 bytes, 4 there
      [0x77, Buffer.alloc(7)], // not a whole tyre
    ]);
    expect(Object.keys(odd.items)).toEqual([]);
    expect(Object.keys(odd.raw).sort()).toEqual(['0x77', '0xe1', '0xeb']);
  });

  it('vendor signal mapping reads status, IO, extended-signal and vendor-item bits', () => {
    const l = decodeLocation(
      encodeLocation({
        lat: 1,
        lon: 1,
        speedKmh: 0,
        t: Date.UTC(2026, 0, 1),
        status: 0x3 | (1 << 13),
        items: [
          [0x2a, Buffer.from([0, 2])],
          [0x25, Buffer.from([0, 0, 0, 1])],
          [0xe6, Buffer.from([0, 4])],
        ],
      }),
    );
    expect(readSignal({ status: 13, activeLow: false }, l)).toBe(true);
    expect(readSignal({ io: 1, activeLow: false }, l)).toBe(true);
    expect(readSignal({ io: 0, activeLow: true }, l)).toBe(true);
    expect(readSignal({ signals: 0, activeLow: false }, l)).toBe(true);
    expect(readSignal({ item: 0xe6, byte: 1, bit: 2, activeLow: false }, l)).toBe(true);
    expect(readSignal({ item: 0xe7, byte: 0, bit: 0, activeLow: false }, l)).toBeUndefined();
  });
});
