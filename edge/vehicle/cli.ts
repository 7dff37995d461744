/**
 * @module edge/vehicle/cli
 * The field engineer's tool: decode recorded logs offline, JSON lines on stdout, a summary of
 * rejected input on stderr.
 *   npm run -s vehicle -- decode-nmea drive.nmea
 *   npm run -s vehicle -- decode-can candump.log --dbc edge/vehicle/can/muck-truck.dbc
 *   npm run -s vehicle -- decode-jt808 capture.hex [--lenient]
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { summariseJt808 } from '../jt808/decode.js';
import { type CanFrame, CanSignalDecoder, parseCandumpLine, parseDbc, SlcanReader } from './can/index.js';
import { decodeNmea } from './gnss/fix.js';

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
}

const round = (v: number | undefined, d: number) =>
  v === undefined ? null : Math.round(v * 10 ** d) / 10 ** d;

export function decodeNmeaCommand(file: string, opts: { rolloverPivot?: string }): void {
  const pivot = opts.rolloverPivot ? Date.parse(`${opts.rolloverPivot}T00:00:00Z`) : undefined;
  if (opts.rolloverPivot && Number.isNaN(pivot))
    throw new Error(`--rollover-pivot: not a date: ${opts.rolloverPivot}`);
  const { fixes, counters } = decodeNmea(read(file), { rolloverPivotMs: pivot });
  const out: string[] = [];
  for (const f of fixes)
    out.push(
      JSON.stringify({
        time: f.t === undefined ? null : new Date(f.t).toISOString(),
        lat: round(f.lat, 9),
        lon: round(f.lon, 9),
        speed: round(f.speedMps, 3),
        track: f.track ?? null,
        alt: f.altM ?? null,
        mode: f.mode,
        talker: f.talker,
      }),
    );
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  const { sentences, ...rejected } = counters;
  process.stderr.write(`${JSON.stringify({ file, fixes: fixes.length, sentences, rejected })}\n`);
}

export function decodeCanCommand(file: string, opts: { dbc: string }): void {
  const dec = new CanSignalDecoder(parseDbc(read(opts.dbc).toString('utf8')));
  const rejected: Record<string, number> = {};
  let messages = 0;
  const out: string[] = [];
  const text = read(file).toString('latin1');
  // a recording of the SLCAN serial stream (t/T/r/R lines) or candump text (-L or default layout)
  const first = text.split(/[\r\n]+/).find((l) => l.trim() && !l.startsWith('#')) ?? '';
  const slcan = /^[tTrR][0-9A-Fa-f]/.test(first);
  const frames: CanFrame[] = [];
  if (slcan) {
    const r = new SlcanReader((f) => frames.push(f));
    r.push(text.replace(/^#.*$/gm, ''));
    if (r.counters.malformed) rejected['not an SLCAN frame'] = r.counters.malformed;
  } else
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim() || line.startsWith('#')) continue;
      const f = parseCandumpLine(line);
      if (typeof f === 'string') rejected[f] = (rejected[f] ?? 0) + 1;
      else frames.push(f);
    }
  for (const f of frames) {
    const m = dec.push(f);
    if (!m) continue;
    messages++;
    out.push(
      JSON.stringify({
        time: m.t === undefined ? null : new Date(m.t).toISOString(),
        pgn: m.pgn,
        sa: m.sa,
        priority: m.priority,
        name: m.name,
        signals: Object.fromEntries(m.signals.map((s) => [s.name, s.value])),
        units: Object.fromEntries(m.signals.filter((s) => s.unit).map((s) => [s.name, s.unit])),
      }),
    );
  }
  dec.j1939.end();
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  const summary = { file, messages, unknownPgn: dec.unknownPgn, rejected, j1939: dec.j1939.counters };
  process.stderr.write(`${JSON.stringify(summary)}\n`);
}

/** JT/T 808 capture (hex lines or a raw TCP dump): one JSON line per message, refusals on stderr. */
export function decodeJt808Command(file: string, opts: { lenient?: boolean }): void {
  const { lines, summary } = summariseJt808(read(file), !!opts.lenient);
  if (lines.length) process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(`${JSON.stringify({ file, ...summary })}\n`);
}

// Piped into `head`: the reader has gone, so stop quietly (no stack trace, exit 0 like cat).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});

const program = new Command()
  .name('vehicle')
  .description('车载终端工具 vehicle unit tools: decode recorded NMEA, CAN and JT/T 808 logs to JSON lines');
program
  .command('decode-nmea')
  .argument('<file>', 'NMEA log (.log/.nmea); lines starting with # are ignored')
  .option('--rollover-pivot <date>', 'move receiver dates before this (YYYY-MM-DD) forward 1024 weeks')
  .description('one JSON line per fix: time, lat, lon, speed (m/s), track, alt, mode, talker')
  .action(decodeNmeaCommand);
program
  .command('decode-can')
  .argument('<file>', 'candump log ((ts) can0 ID#DATA, or can0  ID   [n]  bytes) or SLCAN recording')
  .requiredOption('--dbc <file>', 'DBC file; messages matched by J1939 PGN, source address ignored')
  .description('one JSON line per decoded J1939 message: pgn, sa, signals')
  .action(decodeCanCommand);
program
  .command('decode-jt808')
  .argument('<file>', 'JT/T 808 capture: hex frames one per line (# comments), or raw bytes off TCP')
  .option('--lenient', 'decode frames with a bad checksum/escape/length too, flagged in "warnings"')
  .description('one JSON line per frame: at, msgId, phone, serial, message (positions, items)')
  .action(decodeJt808Command);

try {
  program.parse();
} catch (e) {
  process.stderr.write(`vehicle: ${(e as Error).message}\n`);
  process.exit(1);
}
