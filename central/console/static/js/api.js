/**
 * @module console/api
 * Every call the console makes to central, in one place, with the bearer token attached.
 * Errors are RFC 7807 problem details; `ApiError` carries the detail for the toast.
 */

const TOKEN_KEY = 'cg.token';

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function request(method, path, body) {
  const headers = { authorization: `Bearer ${token()}` };
  let payload;
  if (body instanceof Blob) {
    headers['content-type'] = body.type || 'application/octet-stream';
    payload = body;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload });
  if (!res.ok) {
    let detail = '';
    try {
      const p = await res.json();
      detail = p.detail || p.title || p.message || '';
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, detail);
  }
  if (res.status === 204) return null;
  const ct = res.headers.get('content-type') ?? '';
  return ct.includes('json') ? res.json() : res.text();
}

const get = (p) => request('GET', p);
const qs = (o) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o ?? {}))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};
/** list endpoints answer `{ items, total }`; older shapes (`cases`, a bare array) are accepted too */
export function items(r) {
  if (Array.isArray(r)) return r;
  return r?.items ?? r?.cases ?? r?.data ?? [];
}

export const api = {
  meta: () => get('/console/meta.json'),
  me: () => get('/api/me'),
  cases: (filter) => get(`/api/cases${qs(filter)}`),
  case: (id) => get(`/api/cases/${encodeURIComponent(id)}`),
  act: (id, action, body) =>
    request('POST', `/api/cases/${encodeURIComponent(id)}/actions/${action}`, body ?? {}),
  /** raw body; central sniffs the type and answers `{ name, url }` */
  upload: (file) => request('POST', '/api/attachments', file),
  categories: () => get('/api/city/catalog'),
  units: () => get('/api/city/org'),
  grids: () => get('/api/city/grids'),
  /** `{ gateways, vehicles }` */
  devices: () => get('/api/devices'),
  command: (gatewayId, verb, deviceId) =>
    request('POST', `/api/devices/${encodeURIComponent(gatewayId)}/commands/${verb}`, { deviceId }),
  track: (vehicleId) => get(`/api/devices/vehicles/${encodeURIComponent(vehicleId)}/track`),
  /** a level's month (LevelResult: members with items, events, bonus, raw, weighted, rank) */
  scores: (month, level) => get(`/api/scoring/months/${month}${qs({ level })}`),
  /** `[{ id, name, members }]`: the levels of the organisation tree that assess members */
  levels: () => get('/api/scoring/levels'),
  /** `{ rows: [{ unitId, name, months: [{ month, raw, weighted, status }] }] }` */
  annual: (year, level) => get(`/api/scoring/years/${year}${qs({ level })}`),
  bonuses: (month) => get(`/api/scoring/bonus${qs({ month })}`),
  decideBonus: (id, decision) =>
    request('POST', `/api/scoring/bonus/${encodeURIComponent(id)}/${decision}`, {}),
  exportUrl: (month, format, level) => `/api/scoring/months/${month}/export.${format}${qs({ level })}`,
};

/** Evidence and attachments need the bearer token, so images are fetched and shown as blob URLs. */
const blobCache = new Map();
export async function imageUrl(name) {
  if (blobCache.has(name)) return blobCache.get(name);
  const res = await fetch(`/api/evidence/${encodeURIComponent(name)}`, {
    headers: { authorization: `Bearer ${token()}` },
  });
  if (!res.ok) throw new ApiError(res.status, `evidence ${name}`);
  const url = URL.createObjectURL(await res.blob());
  blobCache.set(name, url);
  return url;
}

/** Download an export with the token (a plain link could not send it). */
export async function download(url, filename) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token()}` } });
  if (!res.ok) throw new ApiError(res.status, `export ${url}`);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}
