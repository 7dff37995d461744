/**
 * @module central/city/import
 * A city loads its own reference data over the shipped placeholders:
 *
 *   npm run central -- import-city --grids grids.geojson --org org.xlsx --collectors collectors.csv [--seed central/seed]
 *
 * The organisation and the collectors come as .xlsx (first sheet) or .csv (UTF-8, a header row),
 * read with exceljs; the grids as GeoJSON. Everything is checked before anything is written —
 * codes (GB/T 2260 areas, 15-digit GB/T 30428 grids under their area's code), parents, that every
 * grid names its community, street and area in the tree, that grids do not overlap beyond a
 * tolerance (@turf/turf), collectors' grids and handsets — and every problem is reported with
 * its file and row. Only a clean import is applied, atomically: a complete new seed directory is
 * staged beside the old one, loaded as central would load it, and swapped in by renaming; the
 * old one is kept as `<seed>.before-<time>`.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { area, bbox, booleanValid, featureCollection, intersect } from '@turf/turf';
import { Command } from 'commander';
import ExcelJS from 'exceljs';
import type { Feature, Polygon } from 'geojson';
import { z } from 'zod';
import { findForbidden } from '../http/text.js';
import { Handset, loadCity, UNIT_KINDS } from './index.js';

/** Overlap allowed between two neighbouring grids (digitising slivers), in square metres. */
export const OVERLAP_TOLERANCE_M2 = 50;

const OrgRow = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and -'),
  name: z.string().min(1).max(100),
  en: z.string().max(200).default(''),
  kind: z.enum(UNIT_KINDS),
  parentId: z.string().optional(),
  function: z.string().optional(),
  areaCode: z
    .string()
    .regex(/^\d{6}(\d{3}){0,2}$/, '6 (area), 9 (street) or 12 (community) digits')
    .optional(),
  assessed: z.enum(['true', 'false', '是', '否']).transform((v) => v === 'true' || v === '是'),
  weight: z.coerce.number().min(0).max(1).optional(),
});
const CollectorRow = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string().min(1).max(100),
  gridCodes: z.string().transform((s) => s.split(/[;；,\s]+/).filter(Boolean)),
  deviceId: z.string().optional(),
  iccid: z.string().optional(),
  msisdn: z.string().optional(),
});

export interface ImportProblem {
  file: string;
  /** 1-based data row (header excluded), or the feature index + 1 for grids */
  row?: number;
  message: string;
}
export interface ImportFiles {
  grids: string;
  org: string;
  collectors: string;
}

/** Rows of the first sheet (.xlsx) or of a CSV file, as header → cell text. */
export async function readTable(file: string): Promise<Record<string, string>[]> {
  const wb = new ExcelJS.Workbook();
  const ws =
    extname(file).toLowerCase() === '.csv'
      ? await wb.csv.readFile(file)
      : (await wb.xlsx.readFile(file)).worksheets[0];
  if (!ws) return [];
  const header: string[] = [];
  const rows: Record<string, string>[] = [];
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    const cells = (row.values as unknown[])
      .slice(1)
      .map((v) => (v === null || v === undefined ? '' : String(v).trim()));
    if (n === 1) header.push(...cells.map((h) => h.replace(/^\uFEFF/, '')));
    else rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ''])));
  });
  return rows;
}

const blankToUndefined = (r: Record<string, string>) =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== ''));
const zodMessage = (e: z.ZodError) =>
  e.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');

/** Check the three files; nothing is written. */
export async function validateCity(f: ImportFiles) {
  const problems: ImportProblem[] = [];
  const say = (file: string, row: number | undefined, message: string) =>
    problems.push({ file: basename(file), row, message });

  const units: z.output<typeof OrgRow>[] = [];
  for (const [i, raw] of (await readTable(f.org)).entries()) {
    const bad = findForbidden(raw);
    if (bad) {
      say(f.org, i + 1, `${bad.path}: ${bad.codePoint} is not allowed`);
      continue;
    }
    const r = OrgRow.safeParse(blankToUndefined(raw));
    if (!r.success) {
      say(f.org, i + 1, zodMessage(r.error));
      continue;
    }
    if (units.some((u) => u.id === r.data.id)) {
      say(f.org, i + 1, `duplicate unit id ${r.data.id}`);
      continue;
    }
    units.push(r.data);
  }
  const byId = new Map(units.map((u) => [u.id, u]));
  const rowOf = (id: string) => units.findIndex((u) => u.id === id) + 1;
  for (const u of units) {
    if (u.parentId && !byId.has(u.parentId)) say(f.org, rowOf(u.id), `${u.id}: unknown parent ${u.parentId}`);
    if (!u.parentId && u.kind !== 'bureau') say(f.org, rowOf(u.id), `${u.id}: only the bureau has no parent`);
    if ((u.kind === 'district' || u.kind === 'zone') && !/^\d{6}$/.test(u.areaCode ?? ''))
      say(
        f.org,
        rowOf(u.id),
        `${u.id}: a ${u.kind} needs its 6-digit areaCode (GB/T 2260, or the city's extension code)`,
      );
  }
  if (units.filter((u) => u.kind === 'bureau').length !== 1)
    say(f.org, undefined, 'the organisation needs exactly one bureau');

  const gj = JSON.parse(readFileSync(f.grids, 'utf8')) as { features?: Feature<Polygon>[] };
  const features = gj.features ?? [];
  if (!Array.isArray(gj.features)) say(f.grids, undefined, 'not a GeoJSON FeatureCollection');
  const codes = new Set<string>();
  const kindOf = (id: unknown) => (typeof id === 'string' ? byId.get(id)?.kind : undefined);
  const good: { i: number; f: Feature<Polygon>; box: number[] }[] = [];
  for (const [i, ft] of features.entries()) {
    const p = (ft.properties ?? {}) as Record<string, unknown>;
    const at = (m: string) => say(f.grids, i + 1, `grid ${String(p.code ?? '?')}: ${m}`);
    if (typeof p.code !== 'string' || !/^\d{15}$/.test(p.code)) {
      at('code must be 15 digits (GB/T 30428)');
      continue;
    }
    if (codes.has(p.code)) {
      at('duplicate grid code');
      continue;
    }
    codes.add(p.code);
    if (kindOf(p.communityId) !== 'community')
      at(`communityId ${String(p.communityId)} is not a community of the organisation`);
    if (kindOf(p.streetId) !== 'street')
      at(`streetId ${String(p.streetId)} is not a street of the organisation`);
    const areaKind = kindOf(p.areaId);
    if (areaKind !== 'district' && areaKind !== 'zone')
      at(`areaId ${String(p.areaId)} is not a district or zone`);
    else if (!p.code.startsWith(byId.get(p.areaId as string)?.areaCode ?? '-'))
      at(`code does not start with ${String(p.areaId)}'s area code`);
    if (byId.get(p.communityId as string)?.parentId !== p.streetId)
      at(`community ${String(p.communityId)} is not under street ${String(p.streetId)}`);
    if (byId.get(p.streetId as string)?.parentId !== p.areaId)
      at(`street ${String(p.streetId)} is not under ${String(p.areaId)}`);
    if (ft.geometry?.type !== 'Polygon' || !booleanValid(ft)) {
      at('geometry must be a valid Polygon');
      continue;
    }
    good.push({ i, f: ft, box: bbox(ft) });
  }
  for (let a = 0; a < good.length; a++)
    for (let b = a + 1; b < good.length; b++) {
      const [x, y] = [good[a].box, good[b].box];
      if (x[2] <= y[0] || y[2] <= x[0] || x[3] <= y[1] || y[3] <= x[1]) continue;
      const both = intersect(featureCollection([good[a].f, good[b].f]));
      const m2 = both ? area(both) : 0;
      if (m2 > OVERLAP_TOLERANCE_M2)
        say(
          f.grids,
          good[b].i + 1,
          `grid ${String(good[b].f.properties?.code)} overlaps grid ${String(good[a].f.properties?.code)} (row ${good[a].i + 1}) by ${Math.round(m2)} m² (tolerance ${OVERLAP_TOLERANCE_M2} m²)`,
        );
    }

  const collectors: { id: string; name: string; gridCodes: string[]; handset?: z.output<typeof Handset> }[] =
    [];
  const devices = new Set<string>();
  for (const [i, raw] of (await readTable(f.collectors)).entries()) {
    const r = CollectorRow.safeParse(blankToUndefined(raw));
    if (!r.success) {
      say(f.collectors, i + 1, zodMessage(r.error));
      continue;
    }
    const { deviceId, iccid, msisdn, ...c } = r.data;
    for (const g of c.gridCodes) if (!codes.has(g)) say(f.collectors, i + 1, `${c.id}: unknown grid ${g}`);
    if (c.gridCodes.length === 0) say(f.collectors, i + 1, `${c.id}: needs at least one grid`);
    let handset: z.output<typeof Handset> | undefined;
    if (deviceId || iccid || msisdn) {
      const h = Handset.safeParse({ deviceId, iccid, msisdn });
      if (!h.success) {
        say(f.collectors, i + 1, `${c.id}: handset ${zodMessage(h.error)}`);
        continue;
      }
      if (devices.has(h.data.deviceId))
        say(f.collectors, i + 1, `${c.id}: handset ${h.data.deviceId} is assigned twice`);
      devices.add(h.data.deviceId);
      handset = h.data;
    }
    if (collectors.some((x) => x.id === c.id)) {
      say(f.collectors, i + 1, `duplicate collector id ${c.id}`);
      continue;
    }
    collectors.push({ ...c, handset });
  }
  const collectorIdsOf = new Map<string, string[]>();
  for (const c of collectors)
    for (const g of c.gridCodes) collectorIdsOf.set(g, [...(collectorIdsOf.get(g) ?? []), c.id]);
  const grids = features.map((ft) => ({
    ...ft,
    properties: { ...ft.properties, collectorIds: collectorIdsOf.get(String(ft.properties?.code)) ?? [] },
  }));
  return { problems, units, grids, collectors };
}

/** Validate, then apply atomically into `seedDir` (see the module comment). */
export async function importCity(
  f: ImportFiles,
  seedDir: string,
): Promise<{ problems: ImportProblem[]; backup?: string }> {
  const v = await validateCity(f);
  if (v.problems.length) return { problems: v.problems };
  const dir = resolve(seedDir);
  const stage = join(dirname(dir), `.${basename(dir)}.import-${process.pid}`);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const keep of ['catalog.json', 'calendar.json', 'users.json'])
    if (existsSync(join(dir, keep))) cpSync(join(dir, keep), join(stage, keep));
  const write = (name: string, value: unknown) =>
    writeFileSync(join(stage, name), `${JSON.stringify(value, null, 1)}\n`);
  write('org.json', { units: v.units });
  write('grids.geojson', { type: 'FeatureCollection', features: v.grids });
  write('collectors.json', { collectors: v.collectors });
  try {
    loadCity(stage); // what central will do at start: catalog routes, parents, schemas
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    return { problems: [{ file: 'seed', message: (e as Error).message }] };
  }
  const backup = `${dir}.before-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  if (existsSync(dir)) renameSync(dir, backup);
  renameSync(stage, dir);
  return { problems: [], backup: existsSync(backup) ? backup : undefined };
}

/** `central import-city …`: exit code 0 applied, 1 problems found (nothing changed), 2 usage. */
export async function importCityCli(argv: string[]): Promise<number> {
  const cmd = new Command('import-city')
    .description('load the city’s own grids, organisation and collectors (validated, applied atomically)')
    .requiredOption('--grids <file>', 'community grids, GeoJSON FeatureCollection')
    .requiredOption('--org <file>', 'organisation tree, .xlsx or .csv')
    .requiredOption('--collectors <file>', 'collectors and their handsets, .xlsx or .csv')
    .option('--seed <dir>', 'seed directory to replace', process.env.CG_SEED_DIR ?? 'central/seed')
    .exitOverride();
  try {
    cmd.parse(argv, { from: 'user' });
  } catch {
    return 2;
  }
  const o = cmd.opts<{ grids: string; org: string; collectors: string; seed: string }>();
  const r = await importCity(o, o.seed);
  for (const p of r.problems) console.error(`${p.file}${p.row ? `:${p.row}` : ''}: ${p.message}`);
  if (r.problems.length) {
    console.error(`import-city: ${r.problems.length} problem(s); nothing was changed`);
    return 1;
  }
  console.log(`import-city: applied to ${o.seed}${r.backup ? ` (previous data kept in ${r.backup})` : ''}`);
  return 0;
}
