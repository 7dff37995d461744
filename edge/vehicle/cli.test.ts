/** The field engineer's CLI on real recorded logs: JSON lines on stdout, rejected input on stderr. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/testdata');
const present = fs.existsSync(DATA);
if (!present) console.warn(`skipping vehicle CLI tests on recorded logs: ${DATA} is absent`);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'edge/vehicle/cli.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  return { code: r.status, lines, stderr: r.stderr };
}

describe.skipIf(!present)('vehicle cli', () => {
  it('cli - decode-nmea: a cold-boot log (NULs, glued and bad sentences) to fixes, rejects summarised on stderr', () => {
    const r = cli('decode-nmea', path.join(DATA, 'nmea/gpsd/gp-320fw-2019-04-07-coldboot.log'));
    expect(r.code).toBe(0);
    const fix = r.lines.find((l) => l.time === '2019-04-07T00:03:45.030Z');
    expect(fix).toEqual({
      time: '2019-04-07T00:03:45.030Z',
      lat: 48.149988333,
      lon: 11.584663333,
      speed: 0.051,
      track: 0,
      alt: 459.9,
      mode: '3d',
      talker: 'GP',
    });
    const summary = JSON.parse(r.stderr.trim().split('\n').at(-1)!);
    expect(summary.rejected.badChecksum).toBeGreaterThan(10);
    expect(summary.rejected.nulBytes).toBeGreaterThan(0);
  });

  it('cli - decode-nmea --rollover-pivot moves 1999 dates forward 1024 weeks', () => {
    const r = cli(
      'decode-nmea',
      path.join(DATA, 'nmea/gpsd/gp-320fw-2019-04-07-coldboot.log'),
      '--rollover-pivot',
      '2010-01-01',
    );
    expect(r.lines.some((l) => l.time?.startsWith('1999'))).toBe(false);
    expect(r.lines.some((l) => l.time === '2019-04-07T00:04:30.000Z')).toBe(true);
  });

  it('cli - decode-can: candump + DBC to J1939 signals with PGN and source address', () => {
    const r = cli(
      'decode-can',
      path.join(DATA, 'can/pretty_j1939/candump.log'),
      '--dbc',
      path.join(ROOT, 'edge/vehicle/can/muck-truck.dbc'),
    );
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => [l.pgn, l.sa, l.name])).toEqual([
      [65248, 0, 'VD'],
      [61444, 0, 'EEC1'],
    ]);
    expect(r.lines[1].signals).toEqual({ ActualEnginePercentTorque: 10, EngineSpeed: 649 });
    expect(JSON.parse(r.stderr.trim()).unknownPgn).toBe(1);
  });

  it('cli - a missing file is one clear error line and exit code 1', () => {
    const r = cli('decode-nmea', '/nonexistent.nmea');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vehicle: cannot read \/nonexistent\.nmea/);
  });

  // Regression: piped into `head`, the CLI died with an EPIPE stack trace and exit code 1.
  it('cli - piped into head: stops quietly with exit 0 when the reader goes away', () => {
    const big = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-epipe-')), 'big.nmea');
    // more output than a pipe holds, so the write meets the closed pipe
    fs.writeFileSync(
      big,
      fs.readFileSync(path.join(DATA, 'nmea/gpsd/quectel-l76k-nmea.log')).toString().repeat(20),
    );
    const r = spawnSync(
      'bash',
      [
        '-c',
        `set -o pipefail; "${process.execPath}" --import tsx edge/vehicle/cli.ts decode-nmea "${big}" | head -1`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    fs.rmSync(path.dirname(big), { recursive: true, force: true });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).talker).toBe('GN');
  });

  // Regression: only candump -L was read; the default layout was refused and SLCAN recordings had no reader.
  it("cli - decode-can reads candump's default layout and a recorded SLCAN stream alike", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-can-'));
    const frames = fs
      .readFileSync(path.join(DATA, 'can/pretty_j1939/candump.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => /\((\S+)\) \S+ (\w+)#(\w*)/.exec(l)!);
    const plain = frames.map(
      ([, , id, d]) => `  can0  ${id}   [${d.length / 2}]  ${d.match(/../g)!.join(' ')}`,
    );
    const slcan = frames.map(([, , id, d]) => `T${id}${d.length / 2}${d}`);
    fs.writeFileSync(path.join(tmp, 'plain.log'), `${plain.join('\n')}\n`);
    // an SLCAN capture: CR-terminated frames with the adapter's acks between them
    fs.writeFileSync(path.join(tmp, 'slcan.log'), `\r\r${slcan.join('\r')}\r`);
    const dbc = path.join(ROOT, 'edge/vehicle/can/muck-truck.dbc');
    const a = cli('decode-can', path.join(tmp, 'plain.log'), '--dbc', dbc);
    const b = cli('decode-can', path.join(tmp, 'slcan.log'), '--dbc', dbc);
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const r of [a, b]) {
      expect(r.code).toBe(0);
      expect(r.lines.map((l) => [l.pgn, l.name])).toEqual([
        [65248, 'VD'],
        [61444, 'EEC1'],
      ]);
      expect(r.lines[1].signals).toEqual({ ActualEnginePercentTorque: 10, EngineSpeed: 649 });
      expect(JSON.parse(r.stderr.trim()).rejected).toEqual({});
    }
  });

  it('cli - decode-can counts a transfer cut by the end of the log as incomplete', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-bam-'));
    const lines = fs
      .readFileSync(path.join(DATA, 'can/pretty_j1939/test_tp_frames.candump.log'), 'utf8')
      .trim()
      .split('\n');
    fs.writeFileSync(path.join(tmp, 'cut.log'), `${lines.slice(0, -1).join('\n')}\n`);
    const r = cli(
      'decode-can',
      path.join(tmp, 'cut.log'),
      '--dbc',
      path.join(ROOT, 'edge/vehicle/can/muck-truck.dbc'),
    );
    fs.rmSync(tmp, { recursive: true, force: true });
    expect(JSON.parse(r.stderr.trim()).j1939).toMatchObject({ bamIncomplete: 1, bamCompleted: 0 });
  });
});
