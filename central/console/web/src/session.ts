/**
 * Who is signed in, central's vocabulary (`/console/meta.json`) and the city's reference data,
 * loaded once per sign-in: every id the console shows goes through one of the name functions
 * here (units, users, cameras, vehicles by plate, categories, grids).
 */
import { reactive } from 'vue';
import { api, items } from './api';
import { label, lang, t } from './i18n';

export interface Me {
  id: string;
  name?: string;
  role: string;
  unitId?: string;
}
interface Named {
  zh?: string;
  en?: string;
  name?: string;
}
export interface Meta {
  states: Record<string, Named & { group: string; step: number }>;
  transitions: Record<string, Named & { from: string[]; to: string; roles: string[]; ownUnit?: boolean }>;
  sources: Record<string, Named>;
  roles: Record<string, Named>;
  rejectReasons: string[];
  reasons: Record<string, Named>;
  kinds: Record<string, Named & { category: string }>;
  map?: { tiles?: string; crs?: 'wgs84' | 'gcj02' };
}
export interface Camera {
  id: string;
  name?: string;
  gatewayId: string;
  lat?: number;
  lon?: number;
  address?: string;
}
export interface Vehicle {
  id: string;
  plate?: string;
  gatewayId: string;
}

export const session = reactive({
  me: undefined as Me | undefined,
  meta: undefined as Meta | undefined,
  units: new Map<string, Named & { id: string; kind?: string }>(),
  users: new Map<string, Me>(),
  categories: new Map<string, Named & { code: string }>(),
  grids: [] as any[],
  grid: new Map<string, { code: string; name: string }>(),
  cameras: new Map<string, Camera>(),
  vehicles: new Map<string, Vehicle>(),
  gateways: new Map<string, { id: string; name?: string; kind?: string }>(),
});

const soft = <T>(p: Promise<T>) => p.catch(() => undefined);

export async function loadSession(): Promise<void> {
  const [me, meta] = await Promise.all([api.me(), api.meta()]);
  session.me = me;
  session.meta = meta;
  const [ref, cat, org, grids] = await Promise.all([
    soft(api.refdata()),
    soft(api.catalog()),
    soft(api.org()),
    soft(api.grids()),
  ]);
  session.users = new Map(items<Me>(ref?.users).map((u) => [u.id, u]));
  const cats = cat?.categories ?? items(cat);
  session.categories = new Map(cats.map((c: any) => [c.code, c]));
  session.units = new Map(items(org?.units ?? org).map((u: any) => [u.id, u]));
  session.grids = grids?.features ?? [];
  session.grid = new Map(session.grids.map((f: any) => [f.properties.code, f.properties]));
  for (const c of items<Camera>(ref?.cameras)) session.cameras.set(c.id, c);
  for (const v of items<Vehicle>(ref?.vehicles)) session.vehicles.set(v.id, v);
  for (const g of items<any>(ref?.gateways)) session.gateways.set(g.id, g);
  if (seesAll()) await loadGatewayNames();
}

/** Camera names, vehicle plates and gateway names from the gateways' synced configurations. */
export async function loadGatewayNames(): Promise<void> {
  const list = await soft(api.gateways());
  await Promise.all(
    items<any>(list?.gateways).map(async (g) => {
      const id: string = g.gatewayId;
      const view = await soft(api.gatewayConfig(id));
      const cfg = view?.desired?.config;
      if (!cfg) return;
      session.gateways.set(id, { id, name: cfg.name, kind: cfg.kind });
      for (const c of cfg.cameras?.list ?? [])
        session.cameras.set(c.id, {
          id: c.id,
          name: c.name,
          gatewayId: id,
          lat: c.location?.lat,
          lon: c.location?.lon,
          address: c.location?.address,
        });
      if (cfg.vehicle?.id)
        session.vehicles.set(cfg.vehicle.id, { id: cfg.vehicle.id, plate: cfg.vehicle.plate, gatewayId: id });
    }),
  );
}

export function clearSession(): void {
  session.me = undefined;
}

export const seesAll = () => ['operator', 'leader', 'admin'].includes(session.me?.role ?? '');

const PAGES: Record<string, string[]> = {
  operator: ['dashboard', 'queue', 'cases', 'map', 'devices', 'scores'],
  admin: ['dashboard', 'queue', 'cases', 'map', 'devices', 'zones', 'models', 'scores'],
  leader: ['dashboard', 'cases', 'map', 'devices', 'scores'],
  unit_handler: ['cases', 'map'],
  collector: ['cases'],
};
export const pages = () => PAGES[session.me?.role ?? ''] ?? [];

/** May the signed-in person take `action` on case `c` now (role, own unit, state)? */
export function can(action: string, c?: { state: string; unitId?: string }): boolean {
  const tr = session.meta?.transitions[action];
  const me = session.me;
  if (!tr || !me || !tr.roles.includes(me.role)) return false;
  if (tr.ownUnit && (!me.unitId || me.unitId !== c?.unitId)) return false;
  return !c || tr.from.includes(c.state);
}
export const actionsFor = (c: { state: string; unitId?: string }) =>
  Object.keys(session.meta?.transitions ?? {}).filter((a) => can(a, c));

// ---- names: never a raw id on screen ----
const en = () => lang.value === 'en';
export const stateName = (s: string) => label(session.meta?.states[s], s);
export const sourceName = (s: string) => label(session.meta?.sources[s], s);
export const roleName = (r: string) => label(session.meta?.roles[r], r);
export const kindName = (k?: string) => (k ? label(session.meta?.kinds[k], k) : '—');
export const isOpen = (s: string) => session.meta?.states[s]?.group !== 'done';
export function unitName(id?: string): string {
  if (!id) return '—';
  const u = session.units.get(id);
  return u ? ((en() ? u.en : u.name) ?? u.name ?? u.zh ?? t('unit')) : t('unit');
}
export function catName(code?: string): string {
  if (!code) return '—';
  const c = session.categories.get(code);
  return c ? `${(en() ? c.en : c.zh) ?? c.name ?? ''}` : code;
}
export function gridName(code?: string): string {
  if (!code) return '—';
  const g = session.grid.get(code);
  return g ? `${g.name}（${code}）` : code;
}
export function userName(id?: string, role?: string): string {
  if (!id) return '—';
  const u = session.users.get(id);
  if (u?.name) return u.name;
  if (role === 'system') return t('edgeDevice');
  return role ? roleName(role) : t('system');
}
export function cameraName(id?: string): string {
  if (!id) return '—';
  const c = session.cameras.get(id);
  return c?.name ?? (c?.address || t('camera'));
}
export function plateOf(id?: string, incidentPlate?: { text?: string }): string {
  if (incidentPlate?.text) return incidentPlate.text;
  if (!id) return '—';
  return session.vehicles.get(id)?.plate ?? t('vehicle');
}
export function gatewayName(id?: string): string {
  if (!id) return '—';
  return session.gateways.get(id)?.name ?? id;
}

export const reasonName = (r: string) => label(session.meta?.reasons[r], r);
