/**
 * @module edge/jt808/messages
 * JT/T 808 message bodies: what terminals send (registration, authentication, location with its
 * additional items, batch upload, multimedia) and what the platform sends back (general response,
 * registration response, position query, text, camera, multimedia acknowledgement). Field layouts
 * follow JT/T 808-2013 and -2019 (tables cited by number); the video items are JT/T 1078-2016
 * table 13. Items outside the standard ranges are kept raw and counted, never guessed.
 */
import iconv from 'iconv-lite';
import { decodeVendorItem } from './vendor-items.js';

export const MSG = {
  terminalResponse: 0x0001,
  heartbeat: 0x0002,
  logout: 0x0003,
  register: 0x0100,
  auth: 0x0102,
  location: 0x0200,
  locationAnswer: 0x0201,
  locationBatch2: 0x0210,
  batch: 0x0704,
  multimediaEvent: 0x0800,
  multimediaData: 0x0801,
  cameraAnswer: 0x0805,
  transparent: 0x0900,
  platformResponse: 0x8001,
  resendRequest: 0x8003,
  registerAnswer: 0x8100,
  locationQuery: 0x8201,
  text: 0x8300,
  multimediaAck: 0x8800,
  camera: 0x8801,
} as const;

/** 0x8001 / 0x0001 result codes (table 5) */
export const RESULT = { ok: 0, failure: 1, badMessage: 2, unsupported: 3 } as const;

export const gbk = (b: Uint8Array): string => iconv.decode(Buffer.from(b), 'gbk').replace(/\0+$/g, '').trim();
export const toGbk = (s: string): Buffer => iconv.encode(s, 'gbk');
const ascii = (b: Uint8Array): string => Buffer.from(b).toString('latin1').replace(/\0+$/g, '').trim();

export class BodyError extends Error {}

function need(b: Buffer, n: number, what: string): void {
  if (b.length < n) throw new BodyError(`${what}: body of ${b.length} bytes, needs at least ${n}`);
}

// ---------- 0x0100 registration (table 8) ----------
export interface Registration {
  province: number;
  city: number;
  maker: string;
  model: string;
  terminalId: string;
  plateColour: number;
  plate: string;
  layout: '2011' | '2013' | '2019';
}

export function decodeRegistration(b: Buffer, version?: number): Registration {
  // 2019: maker 11, model 30, id 30; 2013: 5/20/7; 2011: 5/8/7 (told apart by length)
  const [mk, md, id, layout] =
    version !== undefined
      ? ([11, 30, 30, '2019'] as const)
      : b.length >= 37
        ? ([5, 20, 7, '2013'] as const)
        : ([5, 8, 7, '2011'] as const);
  const fixed = 4 + mk + md + id + 1;
  need(b, fixed, 'registration');
  const maker = ascii(b.subarray(4, 4 + mk));
  const model = ascii(b.subarray(4 + mk, 4 + mk + md));
  const terminalId = ascii(b.subarray(4 + mk + md, fixed - 1));
  const plateColour = b[fixed - 1]!;
  return {
    province: b.readUInt16BE(0),
    city: b.readUInt16BE(2),
    maker,
    model,
    terminalId,
    plateColour,
    plate: gbk(b.subarray(fixed)),
    layout,
  };
}

/** Plate colours (JT/T 697.7): 0 = no plate yet */
export const PLATE_COLOURS: Record<number, string> = {
  0: '未上牌',
  1: '蓝色',
  2: '黄色',
  3: '黑色',
  4: '白色',
  5: '绿色',
  9: '其他',
};

// ---------- 0x0102 authentication (table 10) ----------
export function decodeAuth(b: Buffer, version?: number): { code: string; imei?: string; software?: string } {
  if (version === undefined) return { code: gbk(b) };
  need(b, 1, 'authentication');
  const n = b[0]!;
  need(b, 1 + n, 'authentication');
  return {
    code: gbk(b.subarray(1, 1 + n)),
    imei: b.length >= 1 + n + 15 ? ascii(b.subarray(1 + n, 16 + n)) : undefined,
    software: b.length > 16 + n ? ascii(b.subarray(16 + n, 36 + n)) : undefined,
  };
}

// ---------- 0x0200 location (tables 23-28) ----------
/** Alarm flag bits (table 24); bits 15-17 are reserved in 2013 (vendors use them). */
export const ALARM_BITS: Record<number, string> = {
  0: 'sos',
  1: 'overspeed',
  2: 'fatigue',
  3: 'danger',
  4: 'gnssFault',
  5: 'gnssAntennaCut',
  6: 'gnssAntennaShort',
  7: 'powerLow',
  8: 'powerOff',
  9: 'displayFault',
  10: 'ttsFault',
  11: 'cameraFault',
  12: 'icCardFault',
  13: 'overspeedWarning',
  14: 'fatigueWarning',
  18: 'drivingOvertimeToday',
  19: 'parkingOvertime',
  20: 'area',
  21: 'route',
  22: 'routeTime',
  23: 'routeDeviation',
  24: 'vssFault',
  25: 'fuelAbnormal',
  26: 'stolen',
  27: 'illegalIgnition',
  28: 'illegalMove',
  29: 'collision',
  30: 'rollover',
  31: 'illegalDoorOpen',
};

export interface Location {
  alarm: number;
  status: number;
  /** names of the set alarm bits; reserved bits as `bit15` */
  alarms: string[];
  acc: boolean;
  /** status bit 1: the position is a fix */
  fixed: boolean;
  lat: number;
  lon: number;
  altM: number;
  speedKmh: number;
  course: number;
  /** ms since epoch; the BCD time is GMT+8 (Beijing time) */
  t: number;
  /** decoded additional items, our names */
  items: Record<string, number | string | boolean | number[]>;
  /** every item outside the standard table, as sent: id → hex (those of a known vendor layout also add fields to `items`) */
  raw: Record<string, string>;
}

/** BCD YYMMDDhhmmss (Beijing time) → ms since epoch; read nibble by nibble (hot path). */
export function bcdTime(b: Uint8Array): number {
  const f: number[] = [];
  for (let i = 0; i < 6; i++) {
    const x = b[i] ?? 0xff;
    const hi = x >> 4;
    const lo = x & 0xf;
    if (hi > 9 || lo > 9)
      throw new BodyError(`time ${Buffer.from(b).toString('hex')} is not BCD YYMMDDhhmmss`);
    f.push(hi * 10 + lo);
  }
  const [yy, mo, dd, hh, mi, ss] = f as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59)
    throw new BodyError(`time ${Buffer.from(b).toString('hex')} is not a valid date`);
  return Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss) - 8 * 3600_000;
}

export function toBcdTime(t: number): Buffer {
  const d = new Date(t + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return Buffer.from(
    `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`,
    'hex',
  );
}

type ItemValue = Location['items'][string];
/** Standard additional items (table 27, 2019 table 28) and JT/T 1078 video items, by id. */
const ITEMS: Record<number, (v: Buffer) => Record<string, ItemValue>> = {
  1: (v) => ({ odometerM: v.readUInt32BE(0) * 100 }),
  2: (v) => ({ fuelL: v.readUInt16BE(0) / 10 }),
  3: (v) => ({ tachographSpeedKmh: v.readUInt16BE(0) / 10 }),
  4: (v) => ({ alarmEventId: v.readUInt16BE(0) }),
  17: (v): Record<string, ItemValue> =>
    v.length >= 5
      ? { overspeedAreaType: v[0]!, overspeedAreaId: v.readUInt32BE(1) }
      : { overspeedAreaType: v[0]! },
  18: (v) => ({ areaAlarmType: v[0]!, areaAlarmId: v.readUInt32BE(1), areaAlarmDirection: v[5]! }),
  19: (v) => ({
    routeSectionId: v.readUInt32BE(0),
    routeSectionTimeS: v.readUInt16BE(4),
    routeSectionResult: v[6]!,
  }),
  20: (v) => ({ videoAlarm: v.readUInt32BE(0) }),
  21: (v) => ({ videoSignalLoss: v.readUInt32BE(0) }),
  22: (v) => ({ videoSignalBlocked: v.readUInt32BE(0) }),
  23: (v) => ({ videoStorageFault: v.readUInt16BE(0) }),
  24: (v) => ({ videoDrivingBehaviour: v.readUInt16BE(0) }),
  37: (v) => ({ extendedSignals: v.readUInt32BE(0) }),
  42: (v) => ({ io: v.readUInt16BE(0) }),
  43: (v) => ({ ad0: v.readUInt16BE(2), ad1: v.readUInt16BE(0) }),
  48: (v) => ({ rssi: v[0]! }),
  49: (v) => ({ satellites: v[0]! }),
};
/** minimum lengths of the items above */
const ITEM_LEN: Record<number, number> = {
  1: 4,
  2: 2,
  3: 2,
  4: 2,
  17: 1,
  18: 6,
  19: 7,
  20: 4,
  21: 4,
  22: 4,
  23: 2,
  24: 2,
  37: 4,
  42: 2,
  43: 4,
  48: 1,
  49: 1,
};

/** Decode a location body (the 28-byte basic part and the additional items). */
export function decodeLocation(b: Buffer): Location {
  need(b, 28, 'location');
  const alarm = b.readUInt32BE(0);
  const status = b.readUInt32BE(4);
  const alarms: string[] = [];
  for (let i = 0; i < 32; i++) if (alarm & (1 << i)) alarms.push(ALARM_BITS[i] ?? `bit${i}`);
  let lat = b.readUInt32BE(8) / 1e6;
  let lon = b.readUInt32BE(12) / 1e6;
  if (status & 0x4) lat = -lat;
  if (status & 0x8) lon = -lon;
  const loc: Location = {
    alarm,
    status,
    alarms,
    acc: !!(status & 0x1),
    fixed: !!(status & 0x2),
    lat,
    lon,
    altM: b.readInt16BE(16),
    speedKmh: b.readUInt16BE(18) / 10,
    course: b.readUInt16BE(20),
    t: bcdTime(b.subarray(22, 28)),
    items: {},
    raw: {},
  };
  let o = 28;
  while (o + 2 <= b.length) {
    const id = b[o]!;
    const len = b[o + 1]!;
    const v = b.subarray(o + 2, o + 2 + len);
    o += 2 + len;
    if (v.length < len) {
      loc.raw.cut = `item 0x${id.toString(16)} declares ${len} bytes, ${v.length} left`;
      break;
    }
    const dec = ITEMS[id];
    if (dec && len >= (ITEM_LEN[id] ?? 0)) Object.assign(loc.items, dec(v));
    else {
      // kept as sent (the vendor mapping reads its bits); fields of a known vendor layout added
      loc.raw[`0x${id.toString(16).padStart(2, '0')}`] = v.toString('hex');
      const vendor = decodeVendorItem(id, v);
      if (vendor) Object.assign(loc.items, vendor);
    }
  }
  return loc;
}

// ---------- 0x0704 batch (table 87 of 2013) ----------
export interface Batch {
  /** 0 = normal batch, 1 = blind-area re-send (data stored while out of coverage) */
  type: number;
  locations: Location[];
  /** items that failed to decode, with the reason */
  errors: string[];
}

export function decodeBatch(b: Buffer): Batch {
  need(b, 3, 'batch');
  const count = b.readUInt16BE(0);
  const out: Batch = { type: b[2]!, locations: [], errors: [] };
  let o = 3;
  for (let i = 0; i < count && o + 2 <= b.length; i++) {
    const len = b.readUInt16BE(o);
    const item = b.subarray(o + 2, o + 2 + len);
    o += 2 + len;
    try {
      if (item.length < len) throw new BodyError(`item ${i} declares ${len} bytes, ${item.length} left`);
      out.locations.push(decodeLocation(item));
    } catch (e) {
      out.errors.push(`item ${i}: ${(e as Error).message}`);
    }
  }
  if (out.locations.length + out.errors.length < count)
    out.errors.push(`declares ${count} items, holds ${out.locations.length + out.errors.length}`);
  return out;
}

// ---------- multimedia 0x0800 / 0x0801 (tables 73, 76), camera answer 0x0805 ----------
export interface MediaHead {
  mediaId: number;
  /** 0 image, 1 audio, 2 video */
  type: number;
  /** 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV */
  format: number;
  event: number;
  channel: number;
}

export function decodeMediaEvent(b: Buffer): MediaHead {
  need(b, 8, 'multimedia event');
  return { mediaId: b.readUInt32BE(0), type: b[4]!, format: b[5]!, event: b[6]!, channel: b[7]! };
}

export function decodeMediaData(b: Buffer): MediaHead & { location?: Location; data: Buffer } {
  need(b, 8 + 28, 'multimedia data');
  const head = decodeMediaEvent(b);
  let location: Location | undefined;
  try {
    location = decodeLocation(b.subarray(8, 36));
  } catch {
    location = undefined;
  }
  return { ...head, location, data: b.subarray(36) };
}

export function decodeCameraAnswer(b: Buffer): { replySerial: number; result: number; ids: number[] } {
  need(b, 3, 'camera answer');
  const ids: number[] = [];
  if (b.length >= 5)
    for (let i = 0, o = 5; i < b.readUInt16BE(3) && o + 4 <= b.length; i++, o += 4)
      ids.push(b.readUInt32BE(o));
  return { replySerial: b.readUInt16BE(0), result: b[2]!, ids };
}

// ---------- general responses (tables 4, 5) ----------
export function decodeResponse(b: Buffer): { replySerial: number; replyId: number; result: number } {
  need(b, 5, 'general response');
  return { replySerial: b.readUInt16BE(0), replyId: b.readUInt16BE(2), result: b[4]! };
}

export function generalResponse(replySerial: number, replyId: number, result: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt16BE(replySerial, 0);
  b.writeUInt16BE(replyId, 2);
  b[4] = result;
  return b;
}

/** 0x8100: result 0 ok (with the code), 1 vehicle taken, 2 no such vehicle, 3 terminal taken, 4 no such terminal */
export function registrationAnswer(replySerial: number, result: number, code?: string): Buffer {
  const head = Buffer.from([replySerial >> 8, replySerial & 0xff, result]);
  return result === 0 && code ? Buffer.concat([head, toGbk(code)]) : head;
}

/** 0x8300 text: flag bits 2 = display on the terminal, 3 = read aloud (TTS); 2019 adds a type byte. */
export function textMessage(text: string, version?: number): Buffer {
  const flags = Buffer.from(version === undefined ? [0x0c] : [0x0c, 0x01]);
  return Buffer.concat([flags, toGbk(text)]);
}

/** 0x8801 take one photo now on `channel`, upload at once (table 80). */
export function cameraCommand(channel: number): Buffer {
  return Buffer.from([channel, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x80, 0x40, 0x40, 0x80]);
}

/** 0x8800 all packages of a media item received (no re-send list). */
export function mediaAck(mediaId: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(mediaId, 0);
  return b;
}

/** 0x8003 ask the terminal to re-send the missing sub-packages of a message (2013 layout). */
export function resendRequest(firstSerial: number, missing: number[]): Buffer {
  const list = missing.slice(0, 255);
  const b = Buffer.alloc(3 + 2 * list.length);
  b.writeUInt16BE(firstSerial, 0);
  b[2] = list.length;
  list.forEach((id, i) => {
    b.writeUInt16BE(id, 3 + 2 * i);
  });
  return b;
}

/** Build a location body (the simulator and tests send these). */
export function encodeLocation(p: {
  lat: number;
  lon: number;
  speedKmh: number;
  course?: number;
  altM?: number;
  t: number;
  alarm?: number;
  status?: number;
  items?: [number, Buffer][];
}): Buffer {
  const b = Buffer.alloc(28);
  const status = (p.status ?? 0x3) | (p.lat < 0 ? 0x4 : 0) | (p.lon < 0 ? 0x8 : 0);
  b.writeUInt32BE(p.alarm ?? 0, 0);
  b.writeUInt32BE(status >>> 0, 4);
  b.writeUInt32BE(Math.round(Math.abs(p.lat) * 1e6), 8);
  b.writeUInt32BE(Math.round(Math.abs(p.lon) * 1e6), 12);
  b.writeInt16BE(Math.round(p.altM ?? 0), 16);
  b.writeUInt16BE(Math.round(p.speedKmh * 10), 18);
  b.writeUInt16BE(Math.round(p.course ?? 0) % 360, 20);
  toBcdTime(p.t).copy(b, 22);
  const items = (p.items ?? []).map(([id, v]) => Buffer.concat([Buffer.from([id, v.length]), v]));
  return Buffer.concat([b, ...items]);
}
