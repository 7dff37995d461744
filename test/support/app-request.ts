/**
 * One request to an in-process central (`createCentral(...).app`, Hono's `app.request`): a bearer
 * token, a JSON body, raw bytes or a form, and the answer with its body parsed as JSON where it is
 * JSON (else its text) and its bytes. The in-process API tests share this instead of each writing it.
 */
export interface AppRequestInit {
  method?: string;
  /** sent as JSON (a string is sent as it is) */
  body?: unknown;
  /** sent as it is, with `type` as its content type */
  raw?: BodyInit | Uint8Array;
  type?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

interface RequestsApp {
  request(path: string, init: RequestInit): Response | Promise<Response>;
}

export async function appRequest(
  app: RequestsApp,
  path: string,
  token: string | undefined,
  init: AppRequestInit = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  } else if (init.raw !== undefined) {
    if (init.type) headers['content-type'] = init.type;
    body = init.raw as BodyInit;
  }
  const r = await app.request(path, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
  const bytes = new Uint8Array(await r.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  const type = r.headers.get('content-type') ?? '';
  return { status: r.status, type, headers: r.headers, etag: r.headers.get('etag'), body: parsed, bytes };
}
