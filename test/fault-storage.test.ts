/**
 * Issue 13, findings 4 and 5: storage faults, with real files.
 * - Writes fail while running: the case store's directory is replaced by a plain file (a file
 *   where a directory is expected: every append, partition write and rename fails with ENOTDIR;
 *   chmod would not stop root). Central keeps running through several checkpoints (no unhandled
 *   rejection), answers writes with 503 problems, says `degraded` in /api/health, and once the
 *   directory is back it writes again by itself; after a restart nothing answered 201 is lost.
 * - Damaged files at start (garbage mid-journal, a partition with garbage bytes or
 *   `{"cases":null}`, a garbage devices.json): central refuses to start naming each file with
 *   the byte offset; with `repair` it keeps every readable record and moves the file aside.
 *   A journal whose last line is torn (a crash mid-append) is not damage: the rest is kept.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../central/cases/model.js';
import { createCentral } from '../central/central.js';
import { DamagedFilesError } from '../central/store/damage.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { ROOT, TOKENS } from './central-helpers.js';
import { until } from './support/until.js';

const root = mkdtempSync(join(tmpdir(), 'cg-fault-storage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = join(root, `d${++n}`);
  mkdirSync(d);
  return d;
};

type C = Awaited<ReturnType<typeof createCentral>>;
async function report(c: C, i: number) {
  const r = await c.app.request('/api/cases', {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.hotline}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      source: 'hotline_12345',
      category: '01.04',
      description: `路面垃圾 ${i}`,
      location: { ...ZHENGXIANG },
    }),
  });
  return { status: r.status, body: (await r.json()) as any };
}
async function health(c: C) {
  const r = await c.app.request('/api/health');
  return { status: r.status, body: (await r.json()) as any };
}

/** Six cases written by a real central, returned as stored (for hand-made journals). */
async function sixCases(): Promise<CaseRecord[]> {
  const c = await createCentral({ demo: true, dataDir: freshDir(), logLevel: 'silent' });
  for (let i = 0; i < 6; i++) expect((await report(c, i)).status).toBe(201);
  const all = c.embedded!.allCases();
  await c.stop();
  return all;
}

describe('fault - storage fails while running', () => {
  it('answers 503, says degraded, survives checkpoints, resumes by itself, loses nothing answered 201', {
    timeout: 60_000,
  }, async () => {
    const dir = freshDir();
    let c = await createCentral({ demo: true, dataDir: dir, checkpointMs: 100, logLevel: 'silent' });
    const accepted = new Set<string>();
    for (let i = 0; i < 3; i++) accepted.add((await report(c, i)).body.id);
    const cases = join(dir, 'cases');
    renameSync(cases, `${cases}.away`);
    writeFileSync(cases, 'a file where the case store directory should be');

    const refused = await report(c, 3);
    expect(refused.status).toBe(503);
    expect(refused.body.type).toMatch(/storage-unavailable$/);
    const during = await until(async () => {
      const h = await health(c);
      return h.body.components.cases.failures >= 3 && h;
    }, 'degraded through checkpoints');
    expect(during.status).toBe(503);
    expect(during.body).toMatchObject({ status: 'degraded', components: { cases: { ok: false } } });
    expect(during.body.components.cases.lastError).toMatch(/ENOTDIR|EEXIST|not a directory/);
    expect((await report(c, 4)).status).toBe(503);

    rmSync(cases);
    renameSync(`${cases}.away`, cases);
    await until(async () => (await health(c)).status === 200, 'healthy again by itself');
    for (let i = 5; i < 8; i++) {
      const r = await report(c, i);
      expect(r.status).toBe(201);
      accepted.add(r.body.id);
    }
    await c.stop();
    c = await createCentral({ demo: true, dataDir: dir, logLevel: 'silent' });
    const back = new Set(c.embedded!.allCases().map((k) => k.id));
    const lost = [...accepted].filter((id) => !back.has(id)).length;
    console.log(
      `[fault] storage outage: ${accepted.size} answered 201, ${back.size} stored after restart, lost ${lost}`,
    );
    expect(lost).toBe(0);
    await c.stop();
  });
});

describe('fault - damaged files at start', () => {
  const journal = (cases: CaseRecord[]) => cases.map((k) => `${JSON.stringify({ cases: [k] })}\n`).join('');
  async function refusal(dir: string): Promise<DamagedFilesError> {
    const e = await createCentral({ demo: true, dataDir: dir, logLevel: 'silent' }).then(
      async (c) => {
        await c.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(e).toBeInstanceOf(DamagedFilesError);
    return e as DamagedFilesError;
  }
  async function repaired(dir: string): Promise<number> {
    const c = await createCentral({ demo: true, dataDir: dir, repair: true, logLevel: 'silent' });
    const count = c.embedded!.allCases().length;
    await c.stop();
    return count;
  }
  const asideIn = (dir: string) => readdirSync(dir).filter((f) => f.includes('.damaged-'));

  it('garbage in the middle of a journal: refused with file and offset; repair keeps the 5 readable cases', async () => {
    const cases = await sixCases();
    const dir = freshDir();
    mkdirSync(join(dir, 'cases'));
    const text = journal(cases);
    const lineStart = Buffer.byteLength(journal(cases.slice(0, 2)));
    const bytes = Buffer.from(text);
    const bad = Buffer.concat([
      bytes.subarray(0, lineStart + 10),
      Buffer.from('\x00garbage!\xff\xfe\x01'),
      bytes.subarray(lineStart + 10),
    ]);
    const file = join(dir, 'cases', 'journal-000001.jsonl');
    writeFileSync(file, bad);
    const e = await refusal(dir);
    expect(e.damages).toEqual([expect.objectContaining({ file, offset: lineStart })]);
    expect(e.message).toContain(`${file} at byte ${lineStart}`);
    expect(readFileSync(file)).toEqual(bad); // refusing changes nothing
    expect(await repaired(dir)).toBe(5);
    expect(asideIn(join(dir, 'cases'))).toHaveLength(1);
    expect(readFileSync(join(dir, 'cases', asideIn(join(dir, 'cases'))[0]!))).toEqual(bad);
    expect(await repaired(dir)).toBe(5); // and the repaired store opens cleanly
  });

  it('a torn last journal line (crash mid-append) is not damage: the complete lines are kept', async () => {
    const cases = await sixCases();
    const dir = freshDir();
    mkdirSync(join(dir, 'cases'));
    const text = journal(cases);
    writeFileSync(join(dir, 'cases', 'journal-000001.jsonl'), text.slice(0, text.length - 40));
    const c = await createCentral({ demo: true, dataDir: dir, logLevel: 'silent' });
    expect(c.embedded!.allCases()).toHaveLength(5);
    await c.stop();
  });

  it('a partition with garbage bytes or {"cases":null}, and a garbage devices.json: each named, refused; repair moves them aside', async () => {
    const cases = await sixCases();
    const dir = freshDir();
    mkdirSync(join(dir, 'cases'));
    mkdirSync(join(dir, 'devices'));
    const month = cases[0]!.createdAt.slice(0, 7);
    const good = JSON.stringify({ cases, incidents: [], idempotency: [] });
    const p1 = join(dir, 'cases', `${month}.json`);
    // right after `{"cases":[`, so the garbage is outside any string
    writeFileSync(p1, `${good.slice(0, 10)}@@garbage@@${good.slice(10)}`);
    const p2 = join(dir, 'cases', '2020-01.json');
    writeFileSync(p2, '{"cases":null}');
    const dev = join(dir, 'devices', 'devices.json');
    writeFileSync(dev, '\x00\x01 not json');
    const e = await refusal(dir);
    const byFile = new Map(e.damages.map((d) => [d.file, d]));
    expect(byFile.get(p1)?.offset).toBe(10);
    expect(byFile.get(p2)?.reason).toMatch(/"cases" is null/);
    expect(byFile.get(dev)?.offset).toBe(0);
    expect(await repaired(dir)).toBe(0);
    expect(asideIn(join(dir, 'cases'))).toHaveLength(2);
    expect(asideIn(join(dir, 'devices'))).toHaveLength(1);
    const movedDev = join(dir, 'devices', asideIn(join(dir, 'devices'))[0]!);
    expect(readFileSync(movedDev, 'utf8')).toBe('\x00\x01 not json');
    expect(JSON.parse(readFileSync(dev, 'utf8'))).toMatchObject({ gateways: {}, vehicles: {} });
  });

  it('the central command refuses to start on a damaged file and names it (exit 3)', {
    timeout: 60_000,
  }, async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'cases'));
    const file = join(dir, 'cases', '2026-11.json');
    writeFileSync(file, '{"cases": [ {"id": "x"');
    const run = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'central/main.ts',
          '--port',
          '0',
          '--nats',
          'nats://127.0.0.1:1',
          '--data',
          dir,
          ...extra,
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, LOG_LEVEL: 'silent' },
        },
      );
    const r = run();
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`${file} at byte 22`);
    expect(r.stderr).toContain('--repair');
    expect(existsSync(file)).toBe(true);
  });
});
