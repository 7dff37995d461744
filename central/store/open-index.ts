/**
 * @module central/store/open-index
 * Where the duplicate search looks: open cases by (category, ~100 m grid cell) and by
 * (category, camera device, zone), kept current on every apply. A search visits only the cells
 * under the radius' bounding box (or the category's open cases when that is fewer), so it costs
 * O(nearby open cases), not O(all cases). It returns a superset; `isDuplicateCandidate` (contract/derive.ts) decides.
 */
import type { CaseRecord } from '../cases/model.js';
import { isOpen } from '../cases/workflow.js';

/** cell edge in degrees (~111 m of latitude) */
const CELL = 0.001;
/** metres per degree of latitude on turf's earth (radius 6371008.8 m), padded for rounding */
const M_PER_DEG = (6371008.8 * Math.PI) / 180;
const PAD = 1.01;

interface Entry {
  cat: string;
  cell?: string;
  zone?: string;
}

const cellKey = (cat: string, cy: number, cx: number) => `${cat}|${cy}|${cx}`;
const zoneKey = (c: CaseRecord) =>
  c.refs.zoneId ? JSON.stringify([c.category, c.refs.deviceId ?? null, c.refs.zoneId]) : undefined;

/** add to a multimap of id sets */
export function addTo(m: Map<string, Set<string>>, k: string, id: string): void {
  const s = m.get(k);
  if (s) s.add(id);
  else m.set(k, new Set([id]));
}
function remove(m: Map<string, Set<string>>, k: string, id: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(id);
  if (!s.size) m.delete(k);
}

export class OpenCaseIndex {
  readonly #entries = new Map<string, Entry>();
  readonly #byCat = new Map<string, Set<string>>();
  readonly #byCell = new Map<string, Set<string>>();
  readonly #byZone = new Map<string, Set<string>>();

  /** the case's latest version: indexed while open, dropped once closed/rejected/merged */
  set(c: CaseRecord): void {
    const old = this.#entries.get(c.id);
    if (old) {
      this.#entries.delete(c.id);
      remove(this.#byCat, old.cat, c.id);
      if (old.cell) remove(this.#byCell, old.cell, c.id);
      if (old.zone) remove(this.#byZone, old.zone, c.id);
    }
    if (!isOpen(c.state)) return;
    const { lat, lon } = c.location;
    const e: Entry = {
      cat: c.category,
      cell:
        lat !== undefined && lon !== undefined
          ? cellKey(c.category, Math.floor(lat / CELL), Math.floor(lon / CELL))
          : undefined,
      zone: zoneKey(c),
    };
    this.#entries.set(c.id, e);
    addTo(this.#byCat, e.cat, c.id);
    if (e.cell) addTo(this.#byCell, e.cell, c.id);
    if (e.zone) addTo(this.#byZone, e.zone, c.id);
  }

  /** ids of open cases of c's category in c's camera zone or possibly within `metres` */
  candidates(c: CaseRecord, metres: number): Set<string> {
    const out = new Set<string>();
    const cat = this.#byCat.get(c.category);
    if (!cat) return out;
    const zk = zoneKey(c);
    for (const id of (zk && this.#byZone.get(zk)) || []) out.add(id);
    const { lat, lon } = c.location;
    if (lat === undefined || lon === undefined) return out;
    const dLat = (metres * PAD) / M_PER_DEG;
    const cos = Math.cos((Math.min(90, Math.abs(lat) + dLat) * Math.PI) / 180);
    const dLon = cos > 1e-6 ? dLat / cos : 360;
    const [y0, y1] = [Math.floor((lat - dLat) / CELL), Math.floor((lat + dLat) / CELL)];
    const [x0, x1] = [Math.floor((lon - dLon) / CELL), Math.floor((lon + dLon) / CELL)];
    // a wide radius (or near a pole, or across the antimeridian): the category's open cases are fewer
    if ((y1 - y0 + 1) * (x1 - x0 + 1) > cat.size || lon - dLon < -180 || lon + dLon > 180) {
      for (const id of cat) out.add(id);
      return out;
    }
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++)
        for (const id of this.#byCell.get(cellKey(c.category, y, x)) ?? []) out.add(id);
    return out;
  }
}
