/** `npm run vehicle -- decode-jt808`: real captures as hex lines, and a raw TCP dump. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFrame } from './codec.js';
import { encodeLocation, MSG } from './messages.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSV = path.resolve(ROOT, '../shared/testdata/jt808/captures.tsv');
const present = fs.existsSync(TSV);
const dir = fs.mkdtempSync(path.join(tmpdir(), 'jt808-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'edge/vehicle/cli.ts', 'decode-jt808', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  const summary = last.startsWith('{') ? JSON.parse(last) : undefined;
  return { code: r.status, lines, summary, stderr: r.stderr };
}

describe('cli - decode-jt808', () => {
  it.skipIf(!present)(
    'the Traccar capture column as hex lines: strict refuses and counts, --lenient decodes every frame',
    () => {
      const hexFile = path.join(dir, 'captures.hex');
      const hex = fs
        .readFileSync(TSV, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t')[5]);
      fs.writeFileSync(hexFile, `# captures.tsv hex column\n${hex.join('\n')}\n`);
      const strict = cli(hexFile);
      expect(strict.code).toBe(0);
      expect(strict.summary.rejected.badChecksum).toBeGreaterThan(0);
      const loose = cli(hexFile, '--lenient');
      expect(loose.lines).toHaveLength(hex.length);
      expect(loose.lines.filter((l) => l.error)).toEqual([]);
      expect(loose.summary.positions).toBeGreaterThan(strict.summary.positions);
      const first = loose.lines[0];
      expect(first).toMatchObject({ at: 2, msgId: '0x0704', message: { kind: 'batch', batch: { type: 1 } } });
      expect(first.message.batch.locations[0].items.satellites).toBe(14);
    },
  );

  it('a raw TCP dump: frames with their byte offsets, garbage and a cut tail counted', () => {
    const t = Date.UTC(2026, 10, 30, 2, 0, 0);
    const loc = encodeFrame(
      { msgId: MSG.location, phone: '13907340002', serial: 7 },
      encodeLocation({ lat: 26.89, lon: 112.6, speedKmh: 36, t }),
    );
    const beat = encodeFrame({ msgId: MSG.heartbeat, phone: '13907340002', serial: 8 });
    const file = path.join(dir, 'dump.bin');
    fs.writeFileSync(file, Buffer.concat([loc, Buffer.from([0x01, 0x02]), beat, loc.subarray(0, 10)]));
    const r = cli(file);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatchObject({
      at: 1,
      msgId: '0x0200',
      message: { location: { lat: 26.89, t: '2026-11-30T02:00:00.000Z' } },
    });
    expect(r.lines.at(-1)).toMatchObject({ error: { problem: 'cut' }, at: loc.length + 2 + beat.length + 1 });
    expect(r.summary).toMatchObject({ positions: 1, messages: { '0x0200': 1, '0x0002': 1 } });
  });

  it('an unreadable file: exit 1 and one line naming it', () => {
    const r = cli(path.join(dir, 'missing.hex'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*missing\.hex/);
  });
});
