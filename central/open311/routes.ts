/**
 * @module central/open311/routes
 * Open311 GeoReport v2 (JSON format) so existing citizen apps can report: the services list and
 * each service's definition, POST a request (form-encoded or JSON, `api_key` of an integration
 * account; a position or only an `address_string`; `media_url` kept), one request's status, and
 * the request list with the spec's filters (`service_request_id` list, `service_code`,
 * `start_date`/`end_date`, `status`). Every error — bad input, bad key, unknown request, unknown
 * path under the prefix — uses the GeoReport error array `[{ code, description }]`. A request
 * becomes a case in `reported` with source `open311`; its `service_request_id` is the case's
 * 案卷号 (the case id is accepted too).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { UserDirectory } from '../auth/index.js';
import { actorOf, type CaseService } from '../cases/service.js';
import { ProblemError } from '../http/problem.js';
import { cleanText } from '../http/text.js';
import { addressOnlyCase, findRequest, ListQuery, listRequests, requestId, statusView } from './requests.js';

export const PostRequest = z
  .object({
    api_key: z.string().min(1),
    jurisdiction_id: z.string().max(64).optional(),
    service_code: z.string().regex(/^\d{2}\.\d{2}$/, 'service_code is a category code such as 01.02'),
    lat: z.coerce.number().min(-90).max(90).optional(),
    long: z.coerce.number().min(-180).max(180).optional(),
    address_string: cleanText(256).optional(),
    address_id: z.string().max(64).optional(),
    description: cleanText(2000).pipe(z.string().min(1)),
    email: z.string().max(128).optional(),
    first_name: cleanText(64).optional(),
    last_name: cleanText(64).optional(),
    phone: z.string().max(32).optional(),
    device_id: z.string().max(64).optional(),
    account_id: z.string().max(64).optional(),
    media_url: z
      .url({ protocol: /^https?$/, error: 'media_url must be an http(s) URL' })
      .max(512)
      .optional(),
  })
  .refine((p) => (p.lat === undefined) === (p.long === undefined), {
    message: 'lat and long go together',
    path: ['long'],
  })
  .refine((p) => p.lat !== undefined || p.address_string, {
    message: 'a location is required: lat & long, or address_string',
    path: ['address_string'],
  });

type Code = 400 | 403 | 404 | 405 | 413 | 415 | 500;
const fail = (status: Code, description: string) =>
  new Response(JSON.stringify([{ code: status, description }]), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
const issues = (e: z.ZodError) =>
  e.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');

export function open311Routes(svc: CaseService, users: UserDirectory): Hono {
  const app = new Hono();
  app.onError((e) =>
    e instanceof ProblemError
      ? fail(
          e.status === 422 ? 400 : (([403, 404, 413, 415].includes(e.status) ? e.status : 400) as Code),
          e.detail,
        )
      : fail(500, 'internal error'),
  );

  const service = (code: string) => {
    const k = svc.city.categories.get(code);
    return (
      k && {
        service_code: k.code,
        service_name: `${k.zh} ${k.en}`,
        description: `${k.zh} / ${k.en}`,
        metadata: false,
        type: 'realtime',
        keywords: k.en.toLowerCase(),
        group: svc.city.catalog.majors[k.code.slice(0, 2)]?.zh ?? k.code.slice(0, 2),
      }
    );
  };

  app.get('/services.json', (c) => c.json(svc.city.catalog.categories.map((k) => service(k.code))));
  // a service definition: no extra attributes (metadata: false), so its attribute list is empty
  app.get('/services/:file{.+\\.json}', (c) => {
    const code = c.req.param('file').replace(/\.json$/, '');
    if (!service(code)) return fail(404, `no service ${code}`);
    return c.json({ service_code: code, attributes: [] });
  });

  app.post(
    '/requests.json',
    bodyLimit({ maxSize: 64 * 1024, onError: () => fail(413, 'request too large') }),
    async (c) => {
      const ct = c.req.header('content-type') ?? '';
      let raw: unknown;
      if (/json/i.test(ct)) {
        try {
          raw = await c.req.json();
        } catch {
          return fail(400, 'body is not valid JSON');
        }
      } else if (/x-www-form-urlencoded|multipart\/form-data/i.test(ct)) raw = await c.req.parseBody();
      else return fail(415, 'send application/x-www-form-urlencoded or application/json');
      const r = PostRequest.safeParse(raw);
      if (!r.success) return fail(400, issues(r.error));
      const user = users.byToken(r.data.api_key);
      if (user?.role !== 'integration') return fail(403, 'invalid api_key');
      const p = r.data;
      const name = [p.first_name, p.last_name].filter(Boolean).join(' ') || undefined;
      const report = {
        source: 'open311' as const,
        reporter: { id: user.id, role: user.role, name, contact: p.email ?? p.phone },
        refs: { incidentIds: [], mediaUrl: p.media_url },
        category: p.service_code,
        description: p.description,
        location: { lat: p.lat, lon: p.long, address: p.address_string },
      };
      const k =
        p.lat !== undefined
          ? await svc.openReport(report, actorOf(user))
          : await addressOnlyCase(svc, report, actorOf(user));
      k.refs.open311Id = requestId(k);
      await svc.store.cases.commit({ cases: [{ case: k, expectedVersion: 0 }] });
      return c.json(
        [
          {
            service_request_id: requestId(k),
            service_notice: '已受理，等待立案 received, awaiting registration',
          },
        ],
        201,
      );
    },
  );

  app.get('/requests/:file{.+\\.json}', async (c) => {
    const id = c.req.param('file').replace(/\.json$/, '');
    const k = await findRequest(svc, id);
    if (!k) return fail(404, `no request ${id}`);
    return c.json([statusView(svc, k)]);
  });

  app.get('/requests.json', async (c) => {
    const q = ListQuery.safeParse(c.req.query());
    if (!q.success) return fail(400, issues(q.error));
    return c.json((await listRequests(svc, q.data, svc.now())).map((k) => statusView(svc, k)));
  });

  // every other path or method under the prefix answers in the GeoReport shape too
  app.all('*', (c) =>
    c.req.path.endsWith('.xml')
      ? fail(400, 'only the JSON format is served (.json)')
      : fail(404, `no Open311 endpoint ${c.req.method} ${c.req.path}`),
  );
  return app;
}
