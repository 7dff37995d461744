/**
 * @module edge/jt808/vendor-items
 * Additional items of a 0x0200 location outside JT/T 808's own table 27/28 that terminal makers
 * put in the reserved and vendor ranges, decoded where the layout is fixed by the item id and its
 * length alone (as Traccar's JT/T 808 decoder reads them). Items whose meaning depends on the
 * terminal model (Traccar asks the device's configured model: 0xF8 steps on a C5, door bit 16 of
 * 0x57 on an MV810G, ...) are not guessed: they stay raw and counted.
 */

export type VendorValue = number | string | boolean | number[];
type Fields = Record<string, VendorValue>;
type Decoder = (v: Buffer) => Fields | undefined;

const u16 = (v: Buffer, o = 0) => v.readUInt16BE(o);
const u32 = (v: Buffer, o = 0) => v.readUInt32BE(o);
const printable = (v: Buffer) => v.length > 0 && v.every((c) => c >= 0x20 && c < 0x7f);
/** 0xFF as a battery level means "charging" on the terminals that send it */
const level = (x: number): Record<string, VendorValue> =>
  x === 0xff ? { charging: true } : { batteryPct: x };

/** 0xEB sub-items (2-byte length incl. the 2-byte type): id → decoder of the value */
const EB_SUB: Record<number, (v: Buffer) => Record<string, VendorValue>> = {
  1: (v) => ({ fuel1L: u16(v) / 10 }),
  35: (v) => ({ fuel2L: Number(v.subarray(0, 6).toString('latin1')) }),
  45: (v): Fields => (v.length === 4 ? { powerV: u32(v) / 1000 } : { batteryV: u16(v) / 1000 }),
  // alarm words are active low: a cleared bit is the alarm
  137: (v) => ({ powerCut: !(u32(v) & 0x1), removed: !(u32(v) & 0x1000) }),
  197: (v): Fields => {
    const w = u32(v);
    const motion = (w >>> 23) & 0x3;
    return { vibration: !(w & 0x40), ...(motion < 2 ? { moving: motion === 0 } : {}) };
  },
  198: (v) => ({ batteryAlarm: v[0]! }),
  206: (v) => ({ powerV: u16(v) / 100 }),
  178: (v) => ({ iccid: v.subarray(0, 10).toString('hex').replace(/f+$/, '') }),
  168: (v) => ({ batteryPct: v[0]! }),
  225: (v) => ({ batteryPct: v[0]! }),
};

function decodeEb(v: Buffer): Record<string, VendorValue> | undefined {
  if (printable(v)) return { timezone: v.toString('latin1') };
  const out: Record<string, VendorValue> = {};
  for (let o = 0; o + 4 <= v.length; ) {
    const len = u16(v, o);
    const type = u16(v, o + 2);
    const val = v.subarray(o + 4, o + 2 + len);
    if (len < 2 || o + 2 + len > v.length) return undefined;
    const need = { 1: 2, 35: 6, 45: 2, 137: 4, 197: 4, 198: 1, 206: 2, 178: 10 }[type] ?? 1;
    const dec = EB_SUB[type];
    if (dec && val.length >= need) Object.assign(out, dec(val));
    o += 2 + len;
  }
  return out;
}

/** 0x77 tyre sensors: per tyre index 1, sensor id 3, pressure 2 (10 bits, /40 bar), temperature 1 (−50 °C), status 1 */
function decodeTyres(v: Buffer): Record<string, VendorValue> | undefined {
  if (v.length % 8 !== 0) return undefined;
  const out: Record<string, VendorValue> = {};
  for (let o = 0; o < v.length; o += 8) {
    const i = v[o]!;
    out[`tyre${i}PressureBar`] = (u16(v, o + 4) & 0x3ff) / 40;
    out[`tyre${i}TempC`] = v[o + 6]! - 50;
    out[`tyre${i}Status`] = v[o + 7]!;
  }
  return out;
}

/** 0xD5 (longer than 2 bytes) electronic seal locks: count, then id 5, card 5, battery 1, status 2 (bit 5 = open) */
function decodeD5(v: Buffer): Record<string, VendorValue> | undefined {
  if (v.length === 2) return { batteryV: u16(v) / 100 };
  const n = v[0]!;
  if (v.length < 1 + 13 * n) return undefined;
  const out: Record<string, VendorValue> = {};
  for (let i = 0; i < n; i++) {
    const o = 1 + 13 * i;
    out[`lock${i + 1}Id`] = v.subarray(o, o + 5).toString('hex');
    out[`lock${i + 1}BatteryPct`] = v[o + 10]!;
    out[`lock${i + 1}Locked`] = !(u16(v, o + 11) & 0x20);
  }
  return out;
}

/** 0x63 seal locks, 11 bytes each: id 6, battery 2 (mV), seal 1 ('1' = sealed), state 1, rssi 1 */
function decode63(v: Buffer): Record<string, VendorValue> | undefined {
  if (v.length === 0 || v.length % 11 !== 0) return undefined;
  const out: Record<string, VendorValue> = {};
  for (let i = 0; i < v.length / 11; i++) {
    const o = 11 * i;
    out[`lock${i + 1}Id`] = v.subarray(o, o + 6).toString('hex');
    out[`lock${i + 1}BatteryV`] = u16(v, o + 6) / 1000;
    out[`lock${i + 1}Sealed`] = v[o + 8] === 0x31;
  }
  return out;
}

/** 0xF6 (not 2 or 8 bytes) sensor report: event 1, mask 1, then the fields the mask names */
function decodeF6(v: Buffer): Record<string, VendorValue> | undefined {
  if (v.length === 2) return { airPressure: u16(v) };
  if (v.length === 8 || v.length < 2) return undefined;
  const out: Record<string, VendorValue> = { sensorEvent: v[0]! };
  const mask = v[1]!;
  // the mask names which fields follow, in this order; a field cut short ends the report
  const fields: [bit: number, size: number, read: (at: number) => void][] = [
    [0x01, 2, (at) => (out.light = u16(v, at))],
    [0x02, 2, (at) => (out.temp1C = v.readInt16BE(at) / 10)],
    [0x04, 2, (at) => (out.humidityPct = v.readInt16BE(at) / 10)],
    [0x08, 6, (at) => (out.acceleration = [v.readInt16BE(at), v.readInt16BE(at + 2), v.readInt16BE(at + 4)])],
  ];
  let o = 2;
  for (const [bit, size, read] of fields) {
    if (!(mask & bit)) continue;
    if (o + size > v.length) break;
    read(o);
    o += size;
  }
  return out;
}

/** 0xF7 battery: 2 bytes = humidity; else mV 4, state 1 (2, 3 = charging), % 1 */
function decodeF7(v: Buffer): Record<string, VendorValue> | undefined {
  if (v.length === 2) return { humidityPct: u16(v) / 10 };
  if (v.length < 4) return undefined;
  const out: Record<string, VendorValue> = { batteryV: u32(v) / 1000 };
  if (v.length >= 5) out.charging = v[4] === 2 || v[4] === 3;
  if (v.length >= 6) out.batteryPct = v[5]!;
  return out;
}

/** 0xFE: 1 byte %, 2 bytes power, 4 bytes odometer (m), else 0x7C + TLVs (0x01 = driving alarms) + % */
function decodeFe(v: Buffer): Record<string, VendorValue> | undefined {
  if (v.length === 1) return level(v[0]!);
  if (v.length === 2) return { powerV: u16(v) / 10 };
  if (v.length === 4) return { odometerM: u32(v) };
  if (v[0] !== 0x7c) return undefined;
  const out: Record<string, VendorValue> = {};
  let o = 1;
  while (o + 2 <= v.length - 1) {
    const [t, l] = [v[o]!, v[o + 1]!];
    if (t === 0x01 && l >= 4) {
      const a = u32(v, o + 2);
      out.harshAcceleration = !!(a & 1);
      out.harshBraking = !!(a & 2);
      out.harshCornering = !!(a & 4);
      out.collision = !!(a & 8);
      out.tampering = !!(a & 16);
    }
    o += 2 + l;
  }
  if (o < v.length) out.batteryPct = v[o]!;
  return out;
}

/**
 * The table: item id → name, layout (by length), scale. Ids 0x01–0x31 of the standard are in
 * messages.ts; a length not listed here leaves the item raw.
 *
 * | id   | length | fields                                                        |
 * | ---- | ------ | ------------------------------------------------------------- |
 * | 0x06 | 1      | batteryPct                                                    |
 * | 0x33 | ASCII  | lock status `*M00,..`: batteryV (chars 10–12, /100)           |
 * | 0x56 | 2      | batteryPct = byte 0 × 10                                      |
 * | 0x57 | 8      | drivingAlarms u16 (bit 8/9/10 harsh accel/brake/turn), switches u16, extendedAlarms u32 |
 * | 0x63 | 11·n   | seal locks: lockN Id, BatteryV (/1000), Sealed                |
 * | 0x69 | 2      | batteryV /100                                                 |
 * | 0x77 | 8·n    | tyres: tyreN PressureBar (10 bits /40), TempC (−50), Status   |
 * | 0x82 | 2      | powerV /10                                                    |
 * | 0xA0 | ASCII  | dtcs (comma list → space list)                                |
 * | 0xCC | 20 ASCII | iccid                                                       |
 * | 0xD4, 0xE1 | 1 | batteryPct (0xFF: charging)                                |
 * | 0xE1 | 2      | powerV /10                                                    |
 * | 0xD5 | 2 / 1+13·n | batteryV /100, or locks: lockN Id, BatteryPct, Locked     |
 * | 0xE3 | 4+     | reserved 1, batteryPct 1, batteryV u16 /100                   |
 * | 0xE4 | 2      | charging (byte 0 = 0), batteryPct                             |
 * | 0xE5 | 1      | moving (1)                                                    |
 * | 0xEB | TLV    | printable: timezone; else sub-items (u16 len, u16 type): see EB_SUB |
 * | 0xF6 | ≠2, ≠8 | sensorEvent, mask → light, temp1C (/10), humidityPct, acceleration |
 * | 0xF7 | 2 / 4+ | humidityPct /10, or batteryV /1000, charging, batteryPct      |
 * | 0xFE | 1/2/4/TLV | batteryPct, powerV /10, odometerM, 0x7C driving alarms + batteryPct |
 */
export const VENDOR_ITEMS: Record<number, Decoder> = {
  6: (v) => (v.length === 1 ? { batteryPct: v[0]! } : undefined),
  51: (v) => {
    const s = v.toString('latin1');
    return s.startsWith('*M00') && /^\d{3}$/.test(s.slice(10, 13))
      ? { batteryV: Number(s.slice(10, 13)) / 100 }
      : undefined;
  },
  86: (v) => (v.length === 2 ? { batteryPct: v[0]! * 10 } : undefined),
  87: (v) =>
    v.length === 8
      ? {
          harshAcceleration: !!(u16(v) & 0x100),
          harshBraking: !!(u16(v) & 0x200),
          harshCornering: !!(u16(v) & 0x400),
          switches: u16(v, 2),
          extendedAlarms: u32(v, 4),
        }
      : undefined,
  99: decode63,
  105: (v) => (v.length === 2 ? { batteryV: u16(v) / 100 } : undefined),
  119: decodeTyres,
  130: (v) => (v.length === 2 ? { powerV: u16(v) / 10 } : undefined),
  160: (v) => (printable(v) ? { dtcs: v.toString('latin1').replace(/,/g, ' ') } : undefined),
  204: (v) => (v.length === 20 && printable(v) ? { iccid: v.toString('latin1') } : undefined),
  212: (v) => (v.length === 1 ? level(v[0]!) : undefined),
  213: decodeD5,
  225: (v) => (v.length === 1 ? level(v[0]!) : v.length === 2 ? { powerV: u16(v) / 10 } : undefined),
  227: (v) => (v.length >= 4 ? { batteryPct: v[1]!, batteryV: u16(v, 2) / 100 } : undefined),
  228: (v) => (v.length === 2 ? { ...(v[0] === 0 ? { charging: true } : {}), batteryPct: v[1]! } : undefined),
  229: (v) => (v.length === 1 ? { moving: v[0] === 1 } : undefined),
  235: decodeEb,
  246: decodeF6,
  247: decodeF7,
  254: decodeFe,
};

/** Decode one vendor item; undefined when its id or length is not in the table (kept raw). */
export function decodeVendorItem(id: number, v: Buffer): Record<string, VendorValue> | undefined {
  try {
    return VENDOR_ITEMS[id]?.(v);
  } catch {
    return undefined;
  }
}
