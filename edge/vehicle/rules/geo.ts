/**
 * @module edge/vehicle/rules/geo
 * The places the vehicle rules need, loaded once from GeoJSON: zones (speed limits, restricted
 * zones with allowed hours), approved disposal sites, and the approved route with its buffered
 * corridor (@turf/turf). Lookups are point-in-polygon with a bounding-box pre-check.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as turf from '@turf/turf';
import type { Feature, FeatureCollection, LineString, MultiLineString, MultiPolygon, Polygon } from 'geojson';

type Area = Feature<Polygon | MultiPolygon>;
type BBox = [number, number, number, number];

export interface Place {
  id: string;
  name: string;
  area: Area;
  bbox: BBox;
}
export interface Zone extends Place {
  speedLimitKmh?: number;
  restricted: boolean;
  /** minutes of the local day [from, to) when a restricted zone is open; to < from spans midnight */
  allowed?: [number, number];
}
export interface Geo {
  zones: Zone[];
  sites: Place[];
  route?: Feature<LineString | MultiLineString>[];
  corridor?: Area;
  corridorBbox?: BBox;
}

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

function parseHours(v: unknown, where: string): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = typeof v === 'string' ? HOURS.exec(v) : null;
  if (!m) throw new Error(`${where}: allowedHours must be HH:MM-HH:MM, got ${JSON.stringify(v)}`);
  return [Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])];
}

function features(fc: unknown, where: string): Feature[] {
  const o = fc as FeatureCollection | Feature;
  if (o?.type === 'FeatureCollection' && Array.isArray(o.features)) return o.features;
  if (o?.type === 'Feature') return [o];
  throw new Error(`${where}: not a GeoJSON Feature or FeatureCollection`);
}

function places(fc: unknown, where: string): (Place & { props: Record<string, unknown> })[] {
  return features(fc, where).map((f, i) => {
    const t = f.geometry?.type;
    if (t !== 'Polygon' && t !== 'MultiPolygon')
      throw new Error(`${where}: feature ${i} is ${t}, expected a Polygon`);
    const props = (f.properties ?? {}) as Record<string, unknown>;
    const id = String(props.id ?? f.id ?? `#${i}`);
    return { id, name: String(props.name ?? id), area: f as Area, bbox: turf.bbox(f) as BBox, props };
  });
}

export interface GeoSources {
  zones?: unknown;
  sites?: unknown;
  route?: unknown;
}

/** Build from parsed GeoJSON objects; throws naming the file and feature that is wrong. */
export function buildGeo(src: GeoSources, corridorM: number, names: Record<keyof GeoSources, string>): Geo {
  const zones: Zone[] = src.zones
    ? places(src.zones, names.zones).map(({ props, ...p }) => {
        const lim = props.speedLimitKmh;
        if (lim !== undefined && !(typeof lim === 'number' && lim >= 5 && lim <= 150))
          throw new Error(`${names.zones}: zone ${p.id}: speedLimitKmh must be a number 5..150`);
        return {
          ...p,
          speedLimitKmh: lim as number | undefined,
          restricted: props.restricted === true,
          allowed: parseHours(props.allowedHours, `${names.zones}: zone ${p.id}`),
        };
      })
    : [];
  const sites = src.sites ? places(src.sites, names.sites).map(({ props: _p, ...p }) => p) : [];
  const geo: Geo = { zones, sites };
  if (src.route) {
    const lines = features(src.route, names.route).filter(
      (f) => f.geometry?.type === 'LineString' || f.geometry?.type === 'MultiLineString',
    ) as Feature<LineString | MultiLineString>[];
    if (!lines.length) throw new Error(`${names.route}: no LineString feature`);
    geo.route = lines;
    const buffered = lines.map((l) => turf.buffer(l, corridorM, { units: 'meters' }) as Area);
    geo.corridor =
      buffered.length === 1 ? buffered[0] : (turf.union(turf.featureCollection(buffered)) as Area);
    geo.corridorBbox = turf.bbox(geo.corridor) as BBox;
  }
  return geo;
}

/** A configured place: a GeoJSON file's path (relative to baseDir) or the GeoJSON inline. */
export type GeoSource = string | { type: 'FeatureCollection' | 'Feature' };

/** Read the configured files (relative to baseDir), take inline GeoJSON as it is, and build. */
export function loadGeo(
  sources: { zones?: GeoSource; sites?: GeoSource; route?: GeoSource },
  corridorM: number,
  baseDir: string,
): Geo {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const read = (p: string) => {
    try {
      return JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
      throw new Error(`cannot read GeoJSON ${p}: ${(e as Error).message}`);
    }
  };
  const src: GeoSources = {};
  const names = { zones: '', sites: '', route: '' };
  for (const k of ['zones', 'sites', 'route'] as const) {
    const v = sources[k];
    if (v === undefined) continue;
    names[k] = typeof v === 'string' ? abs(v) : `vehicle config geo.${k} (inline GeoJSON)`;
    src[k] = typeof v === 'string' ? read(names[k]) : v;
  }
  return buildGeo(src, corridorM, names);
}

const inBox = (b: BBox, lon: number, lat: number) => lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];
const inside = (p: Place, lon: number, lat: number) =>
  inBox(p.bbox, lon, lat) && turf.booleanPointInPolygon([lon, lat], p.area);

export function zonesAt(geo: Geo, lat: number, lon: number): Zone[] {
  return geo.zones.filter((z) => inside(z, lon, lat));
}

export function siteAt(geo: Geo, lat: number, lon: number): Place | undefined {
  return geo.sites.find((s) => inside(s, lon, lat));
}

/** True when there is no route to keep to. */
export function inCorridor(geo: Geo, lat: number, lon: number): boolean {
  if (!geo.corridor) return true;
  return inBox(geo.corridorBbox!, lon, lat) && turf.booleanPointInPolygon([lon, lat], geo.corridor);
}

/** Metres from the nearest route line. */
export function routeDistanceM(geo: Geo, lat: number, lon: number): number | undefined {
  if (!geo.route) return undefined;
  return Math.min(
    ...geo.route.map((l) =>
      turf.pointToLineDistance([lon, lat], l as Feature<LineString>, { units: 'meters' }),
    ),
  );
}

/** Whether a restricted zone is open at local minute-of-day `min`. */
export function allowedAt(z: Zone, min: number): boolean {
  if (!z.restricted) return true;
  if (!z.allowed) return false;
  const [from, to] = z.allowed;
  return from <= to ? min >= from && min < to : min >= from || min < to;
}
