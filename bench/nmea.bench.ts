/**
 * @module bench/nmea
 * NMEA reader throughput: our `decodeNmea` (framing, checksum, decode, fix assembly) against two
 * well-known npm parsers on the same bytes: `gps` (parses and keeps a navigation state, the
 * closest in job) and `nmea-simple` (parses sentence by sentence, throws on bad input).
 * Input: the gpsd regression logs from shared/testdata (real receivers, incl. BeiDou, GLONASS,
 * fuzz cases), repeated to ~2 MB; a generated drive when the captures are absent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import GPS from 'gps';
import { parseNmeaSentence } from 'nmea-simple';
import { decodeNmea } from '../edge/vehicle/gnss/fix.js';
import { formatSentence } from '../edge/vehicle/gnss/nmea.js';
import { haveShared, SHARED_TESTDATA } from './lib/paths.js';
import { paired, summarize } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const TARGET_BYTES = 2_000_000;

function generatedDrive(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = i % 60;
    const hhmmss = `0${Math.floor(i / 3600) % 10}${String(Math.floor(i / 60) % 60).padStart(2, '0')}${String(s).padStart(2, '0')}.00`;
    const lat = `3016.${String(2000 + i).padStart(4, '0')}`;
    out.push(formatSentence(`GPRMC,${hhmmss},A,${lat},N,12009.0000,E,12.5,90.0,281126,,,A`));
    out.push(formatSentence(`GPGGA,${hhmmss},${lat},N,12009.0000,E,1,09,0.9,12.0,M,7.0,M,,`));
  }
  return out.join('');
}

function input(): { text: string; source: string } {
  let base: string;
  let source: string;
  if (haveShared('nmea/gpsd')) {
    const dir = join(SHARED_TESTDATA, 'nmea/gpsd');
    base = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'latin1'))
      .join('\n')
      .replace(/^#.*$/gm, '');
    source = 'gpsd regression logs (shared/testdata/nmea/gpsd), repeated';
  } else {
    base = generatedDrive(2000);
    source = 'generated RMC+GGA drive (shared/testdata absent)';
  }
  let text = base;
  while (text.length < TARGET_BYTES) text += `\r\n${base}`;
  return { text, source };
}

const bench: Benchmark = {
  name: 'nmea',
  title: 'NMEA 0183 reader: sentences/s vs npm parsers',
  async run() {
    const { text, source } = input();
    const lines = text.split(/\r?\n/).filter((l) => l.startsWith('$'));
    const n = lines.length;
    let fixes = 0;
    // the reader gets the raw bytes (as from a serial port); baselines get pre-split lines
    const ours = () => {
      fixes = decodeNmea(Buffer.from(text, 'latin1')).fixes.length;
      return n;
    };
    let simpleOk = 0;
    const simple = () => {
      simpleOk = 0;
      for (const l of lines) {
        try {
          parseNmeaSentence(l);
          simpleOk++;
        } catch {
          // unknown sentence or bad checksum: nmea-simple throws
        }
      }
      return n;
    };
    let gpsThrew = 0;
    const gps = () => {
      const g = new GPS();
      gpsThrew = 0;
      for (const l of lines) {
        try {
          g.update(l);
        } catch {
          // gps throws on some real receivers' sentences (e.g. a 15-field GNGGA)
          gpsThrew++;
        }
      }
      return n;
    };
    const a = await paired(ours, gps, { runs: 7, warmup: 2 });
    const b = await paired(ours, simple, { runs: 7, warmup: 1 });
    return {
      ratios: [
        {
          label: 'ours/gps',
          value: a.ratio,
          subject: 'decodeNmea (bytes → fixes)',
          baseline: 'gps@0.9 GPS.update per line (parse + state)',
          meaning: 'throughput ratio; >1 = ours faster',
        },
        {
          label: 'ours/nmea-simple',
          value: b.ratio,
          subject: 'decodeNmea (bytes → fixes)',
          baseline: 'nmea-simple@3.3 parseNmeaSentence per line (parse only)',
          meaning: 'throughput ratio; >1 = ours faster',
        },
      ],
      figures: {
        ours: summarize([...a.subject, ...b.subject], 'sentences/s'),
        gps: summarize(a.baseline, 'sentences/s'),
        'nmea-simple': summarize(b.baseline, 'sentences/s'),
      },
      notes: [
        `input: ${source}; ${n} sentences, ${(text.length / 1e6).toFixed(1)} MB; ours made ${fixes} fixes, nmea-simple parsed ${simpleOk}/${n} without throwing, gps threw on ${gpsThrew}`,
        'ours also frames raw bytes (NUL/garbage/glued sentences) and checks each fix; the baselines get lines already split',
      ],
    };
  },
};
export default bench;
