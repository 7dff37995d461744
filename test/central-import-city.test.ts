/**
 * `central import-city`: a city replaces the placeholder grids, organisation and collectors with
 * its own. Good files (the shipped 衡阳 data re-exported as .xlsx/.csv) are applied atomically
 * with the old seed kept; bad files report every problem with file and row and change nothing.
 * The CLI runs as a real process (node --import tsx central/main.ts import-city).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_DIR } from '../central/central.js';
import { loadCity } from '../central/city/index.js';

const ROOT = join(import.meta.dirname, '..');
let tmp: string;
const org = JSON.parse(readFileSync(join(SEED_DIR, 'org.json'), 'utf8')).units as Record<string, unknown>[];
const grids = JSON.parse(readFileSync(join(SEED_DIR, 'grids.geojson'), 'utf8'));
const collectors = JSON.parse(readFileSync(join(SEED_DIR, 'collectors.json'), 'utf8')).collectors as {
  id: string;
  name: string;
  gridCodes: string[];
  handset: { deviceId: string; iccid: string; msisdn: string };
}[];
const ORG_COLS = ['id', 'name', 'en', 'kind', 'parentId', 'function', 'areaCode', 'assessed', 'weight'];
const csv = (rows: string[][]) =>
  `\uFEFF${rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n')}\r\n`;
const orgRows = (units: Record<string, unknown>[]) => [
  ORG_COLS,
  ...units.map((u) => ORG_COLS.map((k) => (u[k] === undefined ? '' : String(u[k])))),
];
const collectorRows = (list: typeof collectors) => [
  ['id', 'name', 'gridCodes', 'deviceId', 'iccid', 'msisdn'],
  ...list.map((c) => [
    c.id,
    c.name,
    c.gridCodes.join(';'),
    c.handset.deviceId,
    c.handset.iccid,
    c.handset.msisdn,
  ]),
];
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'central/main.ts', 'import-city', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cg-import-'));
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('组织机构');
  for (const r of orgRows(org)) ws.addRow(r);
  await wb.xlsx.writeFile(join(tmp, 'org.xlsx'));
  writeFileSync(join(tmp, 'collectors.csv'), csv(collectorRows(collectors)));
  writeFileSync(join(tmp, 'grids.geojson'), JSON.stringify(grids));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('import-city', () => {
  it('applies good files atomically and keeps the previous seed', () => {
    const seed = join(tmp, 'seed');
    cpSync(SEED_DIR, seed, { recursive: true });
    const r = run([
      '--grids',
      join(tmp, 'grids.geojson'),
      '--org',
      join(tmp, 'org.xlsx'),
      '--collectors',
      join(tmp, 'collectors.csv'),
      '--seed',
      seed,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const city = loadCity(seed);
    expect(city.grids.size).toBe(185);
    expect(city.units.get('nh')?.name).toBe('珠晖区');
    expect(city.collectors.get('col-001')?.handset?.deviceId).toBe('cgt-001');
    expect(readdirSync(tmp).some((f) => f.startsWith('seed.before-'))).toBe(true);
  });

  it('reports every problem with its file and row, and changes nothing', () => {
    const seed = join(tmp, 'seed2');
    cpSync(SEED_DIR, seed, { recursive: true });
    const before = readFileSync(join(seed, 'org.json'), 'utf8');
    const badOrg = org.map((u) => (u.id === 'nh-hw' ? { ...u, parentId: 'nowhere' } : u));
    writeFileSync(join(tmp, 'bad-org.csv'), csv(orgRows(badOrg)));
    const badGrids = structuredClone(grids);
    badGrids.features[3].properties.code = '43040600100';
    // feature 11 moved onto feature 10: an overlap of a whole cell
    badGrids.features[11].geometry = structuredClone(badGrids.features[10].geometry);
    writeFileSync(join(tmp, 'bad-grids.geojson'), JSON.stringify(badGrids));
    const badCollectors = collectors.map((c, i) => (i === 4 ? { ...c, gridCodes: ['430406999999001'] } : c));
    writeFileSync(join(tmp, 'bad-collectors.csv'), csv(collectorRows(badCollectors)));
    const r = run([
      '--grids',
      join(tmp, 'bad-grids.geojson'),
      '--org',
      join(tmp, 'bad-org.csv'),
      '--collectors',
      join(tmp, 'bad-collectors.csv'),
      '--seed',
      seed,
    ]);
    expect(r.status).toBe(1);
    const nhRow = org.findIndex((u) => u.id === 'nh-hw') + 1;
    expect(r.stderr).toContain(`bad-org.csv:${nhRow}: nh-hw: unknown parent nowhere`);
    expect(r.stderr).toContain('bad-grids.geojson:4: grid 43040600100: code must be 15 digits');
    expect(r.stderr).toMatch(/bad-grids\.geojson:12: grid \d{15} overlaps grid \d{15} \(row 11\)/);
    expect(r.stderr).toContain('bad-collectors.csv:5: col-005: unknown grid 430406999999001');
    expect(r.stderr).toContain('nothing was changed');
    expect(readFileSync(join(seed, 'org.json'), 'utf8')).toBe(before);
    expect(readdirSync(tmp).filter((f) => f.startsWith('seed2.'))).toEqual([]);
  });
});
