/**
 * Every call to central in one place, with the bearer token. Errors are problem details
 * (`ApiError` keeps the body: a stale case action's 409 carries `current`). A failed network
 * call marks central unreachable (the banner) and is retried with `whenReachable`.
 */
import { ref } from 'vue';

const TOKEN_KEY = 'cg.token';
export const reachable = ref(true);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail || `HTTP ${status}`);
  }
}

export const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

let probe: ReturnType<typeof setInterval> | undefined;
/** While central is unreachable, ask /api/health every 3 s; the banner goes when it answers. */
function markUnreachable(): void {
  reachable.value = false;
  if (probe) return;
  probe = setInterval(() => void checkReachable(), 3000);
}
export async function checkReachable(): Promise<boolean> {
  try {
    const r = await fetch('/api/health', { cache: 'no-store' });
    if (r.ok) {
      reachable.value = true;
      clearInterval(probe);
      probe = undefined;
    }
    return r.ok;
  } catch {
    return false;
  }
}

export interface RequestOptions {
  /** the case version this action was decided on (`If-Match`) */
  version?: number;
  headers?: Record<string, string>;
}

export async function request<T = any>(
  method: string,
  path: string,
  body?: unknown,
  o: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token()}`, ...o.headers };
  if (o.version !== undefined) headers['if-match'] = `"${o.version}"`;
  let payload: BodyInit | undefined;
  if (body instanceof Blob) {
    headers['content-type'] = body.type || 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    markUnreachable();
    throw new ApiError(0, (e as Error).message);
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    // a proxy in front of a stopped central answers 502; central itself answers 503/504 with detail
    if (!(res.headers.get('content-type') ?? '').includes('json')) markUnreachable();
  } else reachable.value = true;
  if (!res.ok) {
    let p: Record<string, unknown> = {};
    try {
      p = await res.json();
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, String(p.detail ?? p.title ?? ''), p);
  }
  if (res.status === 204) return null as T;
  const ct = res.headers.get('content-type') ?? '';
  return (ct.includes('json') ? res.json() : res.text()) as Promise<T>;
}

const get = <T = any>(p: string) => request<T>('GET', p);
export const qs = (o: Record<string, unknown> = {}) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};
const enc = encodeURIComponent;

export const api = {
  meta: () => get('/console/meta.json'),
  me: () => get('/api/me'),
  refdata: () => get('/api/console/refdata'),
  dashboard: () => get('/api/console/dashboard'),
  cases: (filter: Record<string, unknown>) => get(`/api/cases${qs(filter)}`),
  case: (id: string) => get(`/api/cases/${enc(id)}`),
  act: (id: string, action: string, body: unknown, version?: number) =>
    request('POST', `/api/cases/${enc(id)}/actions/${action}`, body ?? {}, { version }),
  upload: (file: Blob) => request<{ name: string }>('POST', '/api/attachments', file),
  catalog: () => get('/api/city/catalog'),
  org: () => get('/api/city/org'),
  grids: () => get('/api/city/grids'),
  devices: () => get('/api/devices'),
  command: (gatewayId: string, verb: string, deviceId?: string) =>
    request('POST', `/api/devices/${enc(gatewayId)}/commands/${verb}`, { deviceId }),
  track: (vehicleId: string) => get(`/api/devices/vehicles/${enc(vehicleId)}/track`),
  gateways: () => get('/api/gateways'),
  gatewayConfig: (id: string) => get(`/api/gateways/${enc(id)}/config`),
  putGatewayConfig: (id: string, config: unknown) =>
    request('PUT', `/api/gateways/${enc(id)}/config`, config),
  models: () => get('/api/models'),
  publishedModels: () => get('/api/gateways/models'),
  rolloutModel: (b: { gatewayIds: string[]; name: string; version: string; replace?: string }) =>
    request('POST', '/api/gateways/models/rollout', b),
  rollbackModel: (b: { gatewayIds: string[]; name: string }) =>
    request('POST', '/api/gateways/models/rollback', b),
  levels: () => get('/api/scoring/levels'),
  scores: (month: string, level?: string) => get(`/api/scoring/months/${month}${qs({ level })}`),
  annual: (year: string, level?: string) => get(`/api/scoring/years/${year}${qs({ level })}`),
  bonuses: (month?: string) => get(`/api/scoring/bonus${qs({ month })}`),
  proposeBonus: (b: unknown) => request('POST', '/api/scoring/bonus', b),
  decideBonus: (id: string, decision: 'approve' | 'reject', note?: string) =>
    request('POST', `/api/scoring/bonus/${enc(id)}/${decision}`, note ? { note } : {}),
  exportUrl: (month: string, format: string, level?: string) =>
    `/api/scoring/months/${month}/export.${format}${qs({ level })}`,
};

/** Evidence needs the token, so images are fetched and shown as blob URLs (cached). */
const blobs = new Map<string, Promise<string>>();
export function imageUrl(name: string): Promise<string> {
  let p = blobs.get(name);
  if (!p) {
    p = fetch(`/api/evidence/${enc(name)}`, { headers: { authorization: `Bearer ${token()}` } }).then(
      async (r) => {
        if (!r.ok) throw new ApiError(r.status, `evidence ${name}`);
        return URL.createObjectURL(await r.blob());
      },
    );
    p.catch(() => blobs.delete(name));
    blobs.set(name, p);
  }
  return p;
}

/** Download with the token (a plain link could not send it). */
export async function download(url: string, filename: string): Promise<void> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token()}` } });
  if (!r.ok) throw new ApiError(r.status, `export ${url}`);
  saveBlob(await r.blob(), filename);
}
export function saveBlob(b: Blob, filename: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(b);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}

export const items = <T = any>(r: any): T[] => (Array.isArray(r) ? r : (r?.items ?? []));
