/**
 * Map coordinates: storage and the API are WGS-84; 高德/腾讯 tiles are GCJ-02, so positions are
 * shifted (gcoord) only for drawing on such a base map, never for anything sent back.
 */
import gcoord from 'gcoord';
import { ref } from 'vue';
import { session } from './session';

const saved = () => {
  try {
    return JSON.parse(localStorage.getItem('cg.map') ?? 'null') as { tiles?: string; crs?: string } | null;
  } catch {
    return null;
  }
};
/** the base map: what the person set on the map page, else what central is configured with */
export const baseMap = ref<{ tiles: string; crs: 'wgs84' | 'gcj02' }>({
  tiles: saved()?.tiles ?? session.meta?.map?.tiles ?? '',
  crs: (saved()?.crs ?? session.meta?.map?.crs) === 'gcj02' ? 'gcj02' : 'wgs84',
});
export function saveBaseMap(): void {
  localStorage.setItem('cg.map', JSON.stringify(baseMap.value));
}

export type LonLat = [number, number];
export function toMap(p: LonLat): LonLat {
  if (baseMap.value.crs !== 'gcj02' || !baseMap.value.tiles) return p;
  return gcoord.transform(p, gcoord.WGS84, gcoord.GCJ02) as LonLat;
}
/** a position picked on the map back to WGS-84, for what is stored or sent */
export function fromMap(p: LonLat): LonLat {
  if (baseMap.value.crs !== 'gcj02' || !baseMap.value.tiles) return p;
  return gcoord.transform(p, gcoord.GCJ02, gcoord.WGS84) as LonLat;
}
/** every position of a GeoJSON geometry through `toMap` (a copy) */
export function geomToMap<T extends { type: string; coordinates: any }>(g: T): T {
  const walk = (c: any): any => (typeof c[0] === 'number' ? toMap(c as LonLat) : c.map(walk));
  return { ...g, coordinates: walk(g.coordinates) };
}
