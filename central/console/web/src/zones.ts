/** Zone polygons in camera-frame pixels: the checks the gateway would make, before sending. */
import { kinks, polygon } from '@turf/turf';

export type Pt = [number, number];
export interface Zone {
  id: string;
  name?: string;
  type: 'no_parking' | 'litter' | 'post';
  polygon: Pt[];
  schedule?: { days: number[]; from: string; to: string }[];
  dwellS?: number;
  persistS?: number;
  absenceS?: number;
  [k: string]: unknown;
}

/** true when two edges of the ring cross (a bow-tie): the gateway's point-in-zone would lie */
export function selfIntersects(ring: Pt[]): boolean {
  if (ring.length < 4) return false;
  return kinks(polygon([[...ring, ring[0]]])).features.length > 0;
}

export function problems(zones: Zone[]): { zone?: Zone; kind: 'few' | 'self' | 'dup' }[] {
  const out: { zone?: Zone; kind: 'few' | 'self' | 'dup' }[] = [];
  for (const z of zones) {
    if (z.polygon.length < 3) out.push({ zone: z, kind: 'few' });
    else if (selfIntersects(z.polygon)) out.push({ zone: z, kind: 'self' });
  }
  if (new Set(zones.map((z) => z.id)).size !== zones.length) out.push({ kind: 'dup' });
  return out;
}
