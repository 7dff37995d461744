/**
 * A vehicle gateway's places as the zone editor edits them: the approved route lines, the
 * disposal sites and the speed/restricted zones of its `geo` section (inline GeoJSON, WGS-84
 * lon/lat), read into plain lists and written back as the FeatureCollections the gateway's
 * rules load (edge/vehicle/rules/geo.ts). The checks are the gateway's, made before sending.
 */
import type { LonLat } from './geo';
import { selfIntersects } from './zones';

export type PlaceKind = 'route' | 'site' | 'zone';
export interface Place {
  id: string;
  kind: PlaceKind;
  name: string;
  /** a route's points; an area's corners (ring not closed) */
  coords: LonLat[];
  speedLimitKmh?: number;
  restricted?: boolean;
  allowedHours?: string;
  /** other properties, kept as they were */
  props?: Record<string, unknown>;
}
export interface Places {
  list: Place[];
  /** the kinds configured as a file path on the gateway (not editable here until redrawn) */
  fromFile: PlaceKind[];
}

const GEO_KEY: Record<PlaceKind, 'route' | 'sites' | 'zones'> = {
  route: 'route',
  site: 'sites',
  zone: 'zones',
};

/** The section that holds `geo` and `rules`: a serial vehicle's, or a JT/T 808 gateway's (shared by its trucks). */
export const placesOwner = (config: any): any => config?.vehicle ?? config?.jt808;

export function readPlaces(owner: any): Places {
  const list: Place[] = [];
  const fromFile: PlaceKind[] = [];
  for (const kind of ['route', 'site', 'zone'] as PlaceKind[]) {
    const src = owner?.geo?.[GEO_KEY[kind]];
    if (typeof src === 'string') fromFile.push(kind);
    if (!src || typeof src !== 'object') continue;
    const features: any[] = src.type === 'FeatureCollection' ? (src.features ?? []) : [src];
    features.forEach((f, i) => {
      const { id, name, speedLimitKmh, restricted, allowedHours, ...props } = f.properties ?? {};
      const g = f.geometry ?? {};
      const parts: LonLat[][] =
        kind === 'route'
          ? g.type === 'LineString'
            ? [g.coordinates]
            : g.type === 'MultiLineString'
              ? g.coordinates
              : []
          : g.type === 'Polygon'
            ? [g.coordinates[0]]
            : g.type === 'MultiPolygon'
              ? g.coordinates.map((p: LonLat[][]) => p[0])
              : [];
      parts.forEach((c, j) => {
        const coords = c.map((p) => [p[0], p[1]] as LonLat);
        if (kind !== 'route' && coords.length > 1) {
          const [a, b] = [coords[0], coords[coords.length - 1]];
          if (a[0] === b[0] && a[1] === b[1]) coords.pop();
        }
        list.push({
          id: String(id ?? f.id ?? `${kind}-${i}`) + (parts.length > 1 ? `-${j}` : ''),
          kind,
          name: String(name ?? id ?? ''),
          coords,
          speedLimitKmh: typeof speedLimitKmh === 'number' ? speedLimitKmh : undefined,
          restricted: restricted === true || undefined,
          allowedHours: typeof allowedHours === 'string' ? allowedHours : undefined,
          props,
        });
      });
    });
  }
  return { list, fromFile };
}

export const feature = (p: Place) => ({
  type: 'Feature' as const,
  properties: {
    ...p.props,
    id: p.id,
    name: p.name,
    ...(p.kind === 'zone' && p.speedLimitKmh !== undefined ? { speedLimitKmh: p.speedLimitKmh } : {}),
    ...(p.kind === 'zone' && p.restricted
      ? { restricted: true, allowedHours: p.allowedHours || undefined }
      : {}),
  },
  geometry:
    p.kind === 'route'
      ? { type: 'LineString' as const, coordinates: p.coords }
      : { type: 'Polygon' as const, coordinates: [[...p.coords, p.coords[0]]] },
});

/**
 * The owner section with its places replaced (a copy). A kind still read from a file and not
 * drawn here keeps its file; a kind drawn here is sent inline.
 */
export function writePlaces(owner: any, places: Places, corridorM: number): any {
  const next = JSON.parse(JSON.stringify(owner ?? {}));
  next.geo ??= {};
  for (const kind of ['route', 'site', 'zone'] as PlaceKind[]) {
    const mine = places.list.filter((p) => p.kind === kind);
    const key = GEO_KEY[kind];
    if (!mine.length && places.fromFile.includes(kind)) continue;
    if (!mine.length && kind === 'route')
      delete next.geo[key]; // an empty route is no route
    else next.geo[key] = { type: 'FeatureCollection', features: mine.map(feature) };
  }
  next.rules ??= {};
  next.rules.routeDeviation = { ...next.rules.routeDeviation, corridorM };
  return next;
}

const HOURS = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/;
export type PlaceIssue = { place?: Place; kind: 'few' | 'self' | 'fewRoute' | 'needRoute' | 'hours' };

export function placeIssues(owner: any, places: Places): PlaceIssue[] {
  const out: PlaceIssue[] = [];
  for (const p of places.list) {
    if (p.kind === 'route') {
      if (p.coords.length < 2) out.push({ place: p, kind: 'fewRoute' });
    } else if (p.coords.length < 3) out.push({ place: p, kind: 'few' });
    else if (selfIntersects(p.coords)) out.push({ place: p, kind: 'self' });
    if (p.kind === 'zone' && p.restricted && p.allowedHours && !HOURS.test(p.allowedHours))
      out.push({ place: p, kind: 'hours' });
  }
  const routeOn = owner?.rules?.routeDeviation?.enabled !== false;
  if (routeOn && !places.list.some((p) => p.kind === 'route') && !places.fromFile.includes('route'))
    out.push({ kind: 'needRoute' });
  return out;
}
