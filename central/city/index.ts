/**
 * @module central/city
 * The city's reference data, loaded from seed files and replaceable by the city's own:
 * category catalog (codes, deadlines, routing rules), community grids (GeoJSON polygons with
 * 15-digit codes), the organisation tree, collectors and the work calendar. Also routing:
 * position → grid (point-in-polygon), category + grid → responsible unit.
 * @example
 *   const city = loadCity('central/seed');
 *   const grid = city.gridAt(26.895, 112.555); const unit = city.route('01.02', grid!.code);
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { booleanPointInPolygon, distance, point } from '@turf/turf';
import type { Feature, Polygon } from 'geojson';
import { z } from 'zod';
import { CalendarConfig, type Duration, WorkCalendar } from './calendar.js';

const Route = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), unitId: z.string() }),
  z.strictObject({ kind: z.literal('area'), function: z.string() }),
  z.strictObject({ kind: z.literal('street') }),
]);
const CategoryEntry = z.strictObject({
  code: z.string().regex(/^\d{2}\.\d{2}$/),
  zh: z.string(),
  en: z.string(),
  deadline: z.strictObject({ value: z.number().positive(), unit: z.enum(['workHours', 'workDays']) }),
  route: Route,
});
/** Workflow choices a city makes with its catalog (defaults: the stricter reading). */
const WorkflowSettings = z.strictObject({
  /** a re-dispatch to the unit that returned the case: keep its deadline, or give fresh time */
  redispatchSameUnit: z.enum(['keepDeadline', 'fresh']).default('keepDeadline'),
});
const Catalog = z.strictObject({
  majors: z.record(z.string(), z.strictObject({ zh: z.string(), en: z.string() })),
  categories: z.array(CategoryEntry),
  workflow: WorkflowSettings.default({ redispatchSameUnit: 'keepDeadline' }),
});
export const UNIT_KINDS = [
  'bureau',
  'centre',
  'bureau_unit',
  'district',
  'zone',
  'district_bureau',
  'zone_brigade',
  'street',
  'community',
] as const;
const UnitEntry = z.strictObject({
  id: z.string(),
  name: z.string(),
  en: z.string(),
  kind: z.enum(UNIT_KINDS),
  parentId: z.string().optional(),
  function: z.string().optional(),
  areaCode: z.string().optional(),
  assessed: z.boolean(),
  weight: z.number().min(0).max(1).optional(),
});
const GridProps = z.strictObject({
  code: z.string().regex(/^\d{15}$/),
  name: z.string(),
  communityId: z.string(),
  streetId: z.string(),
  areaId: z.string(),
  collectorIds: z.array(z.string()).default([]),
  /** the boundary and name are stand-ins until the city imports its own */
  placeholder: z.boolean().optional(),
});
/** A collector's 城管通 handset: a device on the devices board, assessed in the equipment item. */
export const Handset = z.strictObject({
  deviceId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  iccid: z.string().regex(/^\d{19,20}$/),
  msisdn: z.string().regex(/^\d{11}$/),
});
const Collectors = z.strictObject({
  collectors: z.array(
    z.strictObject({
      id: z.string(),
      name: z.string(),
      gridCodes: z.array(z.string()),
      handset: Handset.optional(),
    }),
  ),
});

export type CategoryEntry = z.infer<typeof CategoryEntry>;
export type UnitEntry = z.infer<typeof UnitEntry>;
export type Grid = z.infer<typeof GridProps> & {
  feature: Feature<Polygon>;
  bbox: [number, number, number, number];
};
export type Collector = z.infer<typeof Collectors>['collectors'][number];

function readJson(dir: string, file: string): unknown {
  return JSON.parse(readFileSync(join(dir, file), 'utf8'));
}
function parse<S extends z.ZodType>(schema: S, v: unknown, file: string): z.output<S> {
  const r = schema.safeParse(v);
  if (!r.success)
    throw new Error(
      `${file}: ${r.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  return r.data;
}

export class City {
  readonly categories = new Map<string, CategoryEntry>();
  readonly units = new Map<string, UnitEntry>();
  readonly grids = new Map<string, Grid>();
  readonly collectors = new Map<string, Collector>();
  readonly calendar: WorkCalendar;
  readonly workflow: z.infer<typeof WorkflowSettings>;

  constructor(
    readonly catalog: z.infer<typeof Catalog>,
    unitList: UnitEntry[],
    gridFeatures: Feature<Polygon>[],
    collectors: Collector[],
    calendar: WorkCalendar,
  ) {
    for (const c of catalog.categories) this.categories.set(c.code, c);
    this.workflow = catalog.workflow;
    for (const u of unitList) this.units.set(u.id, u);
    for (const u of unitList)
      if (u.parentId && !this.units.has(u.parentId))
        throw new Error(`org: ${u.id} has unknown parent ${u.parentId}`);
    for (const f of gridFeatures) {
      const p = parse(GridProps, f.properties, 'grids');
      const xs = f.geometry.coordinates[0].map((c) => c[0]);
      const ys = f.geometry.coordinates[0].map((c) => c[1]);
      this.grids.set(p.code, {
        ...p,
        feature: f,
        bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
      });
    }
    for (const c of collectors) this.collectors.set(c.id, c);
    for (const c of catalog.categories) {
      if (c.route.kind === 'fixed' && !this.units.has(c.route.unitId))
        throw new Error(`catalog: ${c.code} routes to unknown unit ${c.route.unitId}`);
    }
    this.calendar = calendar;
  }

  /** The grid containing this point, or undefined outside every grid. */
  gridAt(lat: number, lon: number): Grid | undefined {
    const pt = point([lon, lat]);
    for (const g of this.grids.values()) {
      const [x0, y0, x1, y1] = g.bbox;
      if (lon < x0 || lon > x1 || lat < y0 || lat > y1) continue;
      if (booleanPointInPolygon(pt, g.feature)) return g;
    }
    return undefined;
  }

  /** Responsible unit for a category in a grid, by the catalog's rule. */
  route(category: string, gridCode: string | undefined): string | undefined {
    const cat = this.categories.get(category);
    const grid = gridCode ? this.grids.get(gridCode) : undefined;
    if (!cat) return grid ? `${grid.areaId}-zf` : undefined;
    const r = cat.route;
    if (r.kind === 'fixed') return r.unitId;
    if (!grid) return undefined;
    if (r.kind === 'street') return grid.streetId;
    const bureau = [...this.units.values()].find(
      (u) => u.parentId === grid.areaId && u.function === r.function,
    );
    // a development zone has one enforcement brigade that takes every area-level case
    return bureau?.id ?? `${grid.areaId}-zf`;
  }

  deadlineOf(category: string): Duration {
    return this.categories.get(category)?.deadline ?? { value: 1, unit: 'workDays' };
  }

  categoryName(code: string): string {
    return this.categories.get(code)?.zh ?? code;
  }

  /** Distance in metres between two points. */
  static metres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
    return distance(point([a.lon, a.lat]), point([b.lon, b.lat]), { units: 'meters' });
  }
}

export function loadCity(dir: string): City {
  const catalog = parse(Catalog, readJson(dir, 'catalog.json'), 'catalog.json');
  const org = parse(z.strictObject({ units: z.array(UnitEntry) }), readJson(dir, 'org.json'), 'org.json');
  const grids = readJson(dir, 'grids.geojson') as { features: Feature<Polygon>[] };
  const collectors = parse(Collectors, readJson(dir, 'collectors.json'), 'collectors.json');
  const cal = new WorkCalendar(parse(CalendarConfig, readJson(dir, 'calendar.json'), 'calendar.json'));
  return new City(catalog, org.units, grids.features, collectors.collectors, cal);
}

export type { Duration } from './calendar.js';
export { WorkCalendar } from './calendar.js';
