/** The NMEA reader on what receivers really do to a byte stream, one case per quirk. */
import { describe, expect, it } from 'vitest';
import { decodeNmea, type Fix, FixAssembler } from './fix.js';
import { formatSentence, NmeaReader, type Sentence } from './nmea.js';

const nmea = formatSentence;
const RMC = nmea('BDRMC,081411.000,A,3016.2000,N,12009.0000,E,20.0,90.0,281126,,,A');
const GGA = nmea('BDGGA,081411.000,3016.2000,N,12009.0000,E,1,08,1.0,12.5,M,7.0,M,,');

describe('nmea - reader', () => {
  it('nmea - BeiDou talker, RMC+GGA merged into one fix with speed in m/s', () => {
    const { fixes } = decodeNmea(RMC + GGA);
    expect(fixes).toHaveLength(1);
    const f = fixes[0];
    expect(f.talker).toBe('BD');
    expect(new Date(f.t!).toISOString()).toBe('2026-11-28T08:14:11.000Z');
    expect(f.lat).toBeCloseTo(30.27, 9);
    expect(f.lon).toBeCloseTo(120.15, 9);
    expect(f.speedMps).toBeCloseTo((20 * 1852) / 3600, 9);
    expect(f.altM).toBe(12.5);
    expect(f.mode).toBe('3d');
  });

  it('nmea - any chunking gives the same sentences', () => {
    const whole = RMC + GGA;
    const seen: Sentence[] = [];
    const r = new NmeaReader((s) => seen.push(s));
    for (const ch of whole) r.push(Buffer.from(ch, 'latin1'));
    expect(seen.map((s) => s.type)).toEqual(['RMC', 'GGA']);
  });

  it('nmea - NUL bytes, garbage, cut and glued sentences are counted and skipped', () => {
    const cut = '$GPRMC,000346.03,A,4808\0\0\0\0   \r\n';
    const glued = nmea('GPGSA,A,1,,,,,,,,,,,,,,,').trimEnd() + RMC;
    const { fixes, counters } = decodeNmea(`xx!!garbage${cut}${glued}${nmea('GPXYZ,1')}${GGA}`);
    expect(fixes).toHaveLength(1);
    expect(counters.nulBytes).toBe(4);
    expect(counters.garbageBytes).toBeGreaterThan(0);
    expect(counters.badChecksum + counters.noChecksum).toBeGreaterThanOrEqual(1);
    expect(counters.unsupported).toBe(1);
    expect(counters.sentences).toBe(3);
  });

  it('nmea - a wrong checksum is rejected', () => {
    const { fixes, counters } = decodeNmea(RMC.replace('*', '0*'));
    expect(fixes).toHaveLength(0);
    expect(counters.badChecksum).toBe(1);
  });

  it('nmea - out-of-range fields are malformed, not a fix at null island', () => {
    const { fixes, counters } = decodeNmea(
      nmea('GPRMC,081411.000,A,3016.2000,Q,12009.0000,E,20.0,90.0,281126,,,A'),
    );
    expect(fixes).toHaveLength(0);
    expect(counters.malformed).toBe(1);
  });

  it('nmea - week rollover: 1999-08-22 moves forward 1024 weeks when a pivot is set', () => {
    const old = nmea('GPRMC,000425.00,A,3016.2000,N,12009.0000,E,0.0,0.0,220899,,,A');
    expect(new Date(decodeNmea(old).fixes[0].t!).toISOString()).toBe('1999-08-22T00:04:25.000Z');
    const f = decodeNmea(old, { rolloverPivotMs: Date.parse('2010-01-01T00:00:00Z') }).fixes[0];
    expect(new Date(f.t!).toISOString()).toBe('2019-04-07T00:04:25.000Z');
    expect(f.rolloverCorrected).toBe(true);
  });

  it('nmea - a GGA after midnight takes the next day from the last RMC date', () => {
    const out: Fix[] = [];
    const asm = new FixAssembler((f) => out.push(f));
    const r = new NmeaReader((s) => asm.push(s));
    r.push(nmea('GPRMC,235959.00,A,3016.2000,N,12009.0000,E,0.0,0.0,281126,,,A'));
    r.push(nmea('GPGGA,000001.00,3016.2000,N,12009.0000,E,1,08,1.0,12.5,M,7.0,M,,'));
    asm.flush();
    expect(out.map((f) => new Date(f.t!).toISOString())).toEqual([
      '2026-11-28T23:59:59.000Z',
      '2026-11-29T00:00:01.000Z',
    ]);
  });

  it('nmea - void RMC is a no-fix epoch without motion', () => {
    const { fixes } = decodeNmea(nmea('GNRMC,081420.000,V,,,,,0.00,340.16,260514,,,N'));
    expect(fixes[0]).toMatchObject({ mode: 'none' });
    expect(fixes[0].speedMps).toBeUndefined();
  });

  it('nmea - GLL, VTG and ZDA alone give position, motion and date', () => {
    const text =
      nmea('GPZDA,101010.00,28,11,2026,00,00') +
      nmea('GPGLL,3016.2000,N,12009.0000,E,101010.00,A,A') +
      nmea('GPVTG,45.0,T,,M,10.0,N,18.5,K,A');
    const [f] = decodeNmea(text).fixes;
    expect(new Date(f.t!).toISOString()).toBe('2026-11-28T10:10:10.000Z');
    expect(f.track).toBe(45);
    expect(f.speedMps).toBeCloseTo(10 * 0.514444, 4);
    expect(f.mode).toBe('2d');
  });

  it('nmea - GNS (multi-constellation GGA): mode letters per system, N everywhere = no fix', () => {
    const date = nmea('GNZDA,074155.799,25,02,2015,,');
    const fix = decodeNmea(
      date + nmea('GNGNS,074155.799,3114.8770,N,12135.2463,E,ANNA,05,1.3,156.9,8.3,,0000'),
    ).fixes[0];
    expect(fix).toMatchObject({ mode: '3d', altM: 156.9, sats: 5, talker: 'GN' });
    expect(fix.lat).toBeCloseTo(31 + 14.877 / 60, 9);
    const none = decodeNmea(date + nmea('GNGNS,074155.799,,,,,NNNN,00,,,0.0,,0000')).fixes[0];
    expect(none.mode).toBe('none');
  });

  // Regression: the receiver's GSA said 2D, so a 3D solution lost its altitude (gpsd: 3D, 250.8 m).
  it('nmea - GSA mode 2 beside a GGA altitude from ≥4 satellites is 3D with that altitude (gpsd rule)', () => {
    const epoch = (sats: string) =>
      nmea('GPRMC,043539.00,A,2753.8000,N,11234.3000,E,0.0,,040925,,,A,V') +
      nmea(`GPGGA,043539.00,2753.8000,N,11234.3000,E,1,${sats},1.3,61.2,M,-20.0,M,,`) +
      nmea('GNGSA,A,2,02,08,10,23,27,,,,,,,,1.6,1.3,0.9,1');
    expect(decodeNmea(epoch('05')).fixes[0]).toMatchObject({ mode: '3d', altM: 61.2 });
    // three satellites cannot solve an altitude: the receiver's 2D stands, without altitude
    const two = decodeNmea(epoch('03')).fixes[0];
    expect(two.mode).toBe('2d');
    expect(two.altM).toBeUndefined();
  });

  // Regression: a sentence cut by the end of a recording was counted as noChecksum.
  it('nmea - a fragment at end of file counts as cut; a last sentence without line end is kept', () => {
    const cut = decodeNmea(RMC + GGA.slice(0, 30));
    expect(cut.counters).toMatchObject({ cut: 1, noChecksum: 0, sentences: 1 });
    const whole = decodeNmea(RMC + GGA.trimEnd());
    expect(whole.counters).toMatchObject({ cut: 0, noChecksum: 0, sentences: 2 });
  });
});
