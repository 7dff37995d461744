/**
 * @module sim/serial/timeline
 * A scenario plan → one sample per simulated step (position, speed, heading, body, cover), and
 * each sample → the NMEA sentences and CAN frames a real truck would send for it.
 */

import { j1939MakeId } from '../../edge/vehicle/can/j1939.js';
import { encodeSlcan } from '../../edge/vehicle/can/slcan.js';
import { formatSentence } from '../../edge/vehicle/gnss/nmea.js';
import type { Leg, LonLat } from './scenarios.js';

export interface Sample {
  t: number;
  lat: number;
  lon: number;
  speedKmh: number;
  track: number;
  dumpBodyRaised: boolean;
  coverOpen: boolean;
}

const M_PER_DEG = 111_320;
const dist = (a: LonLat, b: LonLat) =>
  Math.hypot((b[0] - a[0]) * M_PER_DEG * Math.cos((a[1] * Math.PI) / 180), (b[1] - a[1]) * M_PER_DEG);
const bearing = (a: LonLat, b: LonLat) => {
  const d = (Math.atan2((b[0] - a[0]) * Math.cos((a[1] * Math.PI) / 180), b[1] - a[1]) * 180) / Math.PI;
  return (d + 360) % 360;
};

/** Sample the plan every `stepS` seconds from `t0`. */
export function timeline(plan: Leg[], t0: number, stepS = 1): Sample[] {
  const out: Sample[] = [];
  let t = t0;
  let pos: LonLat = 'drive' in plan[0] ? plan[0].drive[0] : [120.15, 30.27];
  let track = 0;
  for (const leg of plan) {
    if ('stopS' in leg) {
      for (let s = 0; s < leg.stopS; s += stepS, t += stepS * 1000)
        out.push({
          t,
          lon: pos[0],
          lat: pos[1],
          speedKmh: 0,
          track,
          dumpBodyRaised: !!leg.dumpBodyRaised,
          coverOpen: !!leg.coverOpen,
        });
      continue;
    }
    const step = (leg.speedKmh / 3.6) * stepS;
    for (let i = 1; i < leg.drive.length; i++) {
      const a = leg.drive[i - 1];
      const b = leg.drive[i];
      const len = dist(a, b);
      track = bearing(a, b);
      for (let d = 0; d < len; d += step, t += stepS * 1000) {
        const f = d / len;
        pos = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
        out.push({
          t,
          lon: pos[0],
          lat: pos[1],
          speedKmh: leg.speedKmh,
          track,
          dumpBodyRaised: false,
          coverOpen: !!leg.coverOpen,
        });
      }
      pos = b;
    }
  }
  return out;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
function ddmm(v: number, degW: number, pos: string, neg: string): [string, string] {
  const a = Math.abs(v);
  const deg = Math.floor(a);
  const min = (a - deg) * 60;
  return [`${pad(deg, degW)}${min.toFixed(5).padStart(8, '0')}`, v >= 0 ? pos : neg];
}

/** RMC + GGA for one sample. */
export function nmeaFor(s: Sample, talker = 'GN'): string {
  const d = new Date(s.t);
  const hms = `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}`;
  const dmy = `${pad(d.getUTCDate(), 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCFullYear() % 100, 2)}`;
  const [lat, ns] = ddmm(s.lat, 2, 'N', 'S');
  const [lon, ew] = ddmm(s.lon, 3, 'E', 'W');
  const kn = ((s.speedKmh / 3.6) * 3600) / 1852;
  return (
    formatSentence(
      `${talker}RMC,${hms},A,${lat},${ns},${lon},${ew},${kn.toFixed(3)},${s.track.toFixed(1)},${dmy},,,A`,
    ) + formatSentence(`${talker}GGA,${hms},${lat},${ns},${lon},${ew},1,12,0.8,12.0,M,7.0,M,,`)
  );
}

/** SLCAN lines for one sample: body controller (PGN 0xFF10 from 0x2A), CCVS1 and EEC1. */
export function slcanFor(s: Sample): string {
  const body = new Uint8Array(8).fill(0xff);
  body[0] = s.dumpBodyRaised ? 90 : 0; // 45 degrees at 0.5/bit
  body[1] = 0xf0 | (s.coverOpen ? 0b0100 : 0) | (s.dumpBodyRaised ? 1 : 0);
  body[2] = s.coverOpen ? 250 : 0;
  body[3] = 0xd0;
  body[4] = 0x07; // 2000 * 10 kg
  const speedRaw = Math.round(s.speedKmh * 256);
  const ccvs = Uint8Array.of(0xf7, speedRaw & 0xff, speedRaw >> 8, 0xff, 0xcc, 0xff, 0xff, 0xff);
  const rpmRaw = Math.round((s.speedKmh > 0 ? 1400 : 700) * 8);
  const eec1 = Uint8Array.of(0xf0, 0x7d, 0x87, rpmRaw & 0xff, rpmRaw >> 8, 0x00, 0xf0, 0x87);
  return (
    encodeSlcan({ id: j1939MakeId(6, 0xff10, 0x2a), ext: true, rtr: false, data: body }) +
    encodeSlcan({ id: j1939MakeId(6, 65265, 0x17), ext: true, rtr: false, data: ccvs }) +
    encodeSlcan({ id: j1939MakeId(3, 61444, 0x00), ext: true, rtr: false, data: eec1 })
  );
}
