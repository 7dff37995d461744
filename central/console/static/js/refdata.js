/**
 * @module console/refdata
 * The city's reference data (categories, units, grids), loaded once per sign-in and cached.
 * Missing endpoints degrade to empty lists so a page still works with codes instead of names.
 */
import { api, items } from './api.js';
import { getLang } from './i18n.js';

let cache;

async function soft(p) {
  try {
    return await p;
  } catch {
    return null;
  }
}

export async function refdata() {
  if (cache) return cache;
  const [cats, units, grids] = await Promise.all([
    soft(api.categories()),
    soft(api.units()),
    soft(api.grids()),
  ]);
  const categories = items(cats?.categories ?? cats);
  const unitList = items(units?.units ?? units);
  const features = grids?.features ?? items(grids);
  cache = {
    categories,
    units: unitList,
    grids: features,
    category: new Map(categories.map((c) => [c.code, c])),
    unit: new Map(unitList.map((u) => [u.id, u])),
    grid: new Map(features.map((f) => [f.properties?.code ?? f.code, f.properties ?? f])),
  };
  return cache;
}

export function catName(rd, code) {
  const c = rd.category.get(code);
  if (!c) return code ?? '—';
  return `${code} ${getLang() === 'en' ? c.en : c.zh}`;
}
export function unitName(rd, id) {
  const u = rd.unit.get(id);
  if (!u) return id ?? '—';
  return getLang() === 'en' ? u.en || u.name : u.name;
}
export function gridName(rd, code) {
  const g = rd.grid.get(code);
  return g ? `${g.name} (${code})` : (code ?? '—');
}
