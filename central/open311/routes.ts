/**
 * @module central/open311/routes
 * Open311 GeoReport v2 (JSON format) so existing citizen apps can report: the services list,
 * POST a request (form-encoded or JSON, `api_key` of an integration account), and the status
 * of requests. Errors use the GeoReport error shape `[{ code, description }]`, as its clients
 * expect. A request becomes a case in `reported` with source `open311`; its id is the case id.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { UserDirectory } from '../auth/index.js';
import type { CaseRecord } from '../cases/model.js';
import { actorOf, type CaseService } from '../cases/service.js';
import { isOpen } from '../cases/workflow.js';
import { ProblemError } from '../http/problem.js';

const PostRequest = z.object({
  api_key: z.string().min(1),
  service_code: z.string().regex(/^\d{2}\.\d{2}$/, 'service_code is a category code such as 01.02'),
  lat: z.coerce.number().min(-90).max(90),
  long: z.coerce.number().min(-180).max(180),
  address_string: z.string().max(256).optional(),
  description: z.string().trim().min(1).max(2000),
  email: z.string().max(128).optional(),
  first_name: z.string().max(64).optional(),
  last_name: z.string().max(64).optional(),
  phone: z.string().max(32).optional(),
  media_url: z.string().max(512).optional(),
});

const fail = (status: 400 | 403 | 404 | 413 | 415 | 500, description: string) =>
  new Response(JSON.stringify([{ code: status, description }]), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });

export function open311Routes(svc: CaseService, users: UserDirectory): Hono {
  const app = new Hono();
  app.onError((e) =>
    e instanceof ProblemError
      ? fail(e.status === 422 ? 400 : (e.status as 400), e.detail)
      : fail(500, 'internal error'),
  );

  const services = () =>
    svc.city.catalog.categories.map((k) => ({
      service_code: k.code,
      service_name: `${k.zh} ${k.en}`,
      description: `${k.zh} / ${k.en}`,
      metadata: false,
      type: 'realtime',
      keywords: k.en.toLowerCase(),
      group: svc.city.catalog.majors[k.code.slice(0, 2)]?.zh ?? k.code.slice(0, 2),
    }));

  const status = (c: CaseRecord) => ({
    service_request_id: c.id,
    status: isOpen(c.state) ? 'open' : 'closed',
    status_notes: c.rejection ? `不予立案 rejected: ${c.rejection.reason}` : c.state,
    service_name: svc.city.categoryName(c.category),
    service_code: c.category,
    description: c.description,
    agency_responsible: c.unitId ? svc.city.units.get(c.unitId)?.name : undefined,
    requested_datetime: c.createdAt,
    updated_datetime: c.updatedAt,
    expected_datetime: c.deadline,
    address: c.location.address,
    lat: c.location.lat,
    long: c.location.lon,
  });

  app.get('/services.json', (c) => c.json(services()));

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
      if (!r.success)
        return fail(400, r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const user = users.byToken(r.data.api_key);
      if (user?.role !== 'integration') return fail(403, 'invalid api_key');
      const p = r.data;
      const name = [p.first_name, p.last_name].filter(Boolean).join(' ') || undefined;
      const k = await svc.openReport(
        {
          source: 'open311',
          reporter: { id: user.id, role: user.role, name, contact: p.email ?? p.phone },
          category: p.service_code,
          description: p.media_url ? `${p.description}\n${p.media_url}` : p.description,
          location: { lat: p.lat, lon: p.long, address: p.address_string },
        },
        actorOf(user),
      );
      k.refs.open311Id = k.id;
      await svc.store.commit({ cases: [k] });
      return c.json(
        [{ service_request_id: k.id, service_notice: '已受理，等待立案 received, awaiting registration' }],
        201,
      );
    },
  );

  app.get('/requests/:file', (c) => {
    const id = c.req.param('file').replace(/\.json$/, '');
    const k = svc.store.getCase(id);
    if (k?.source !== 'open311') return fail(404, `no request ${id}`);
    return c.json([status(k)]);
  });

  app.get('/requests.json', (c) => {
    const ids = (c.req.query('service_request_id') ?? '').split(',').filter(Boolean);
    const found = ids
      .map((id) => svc.store.getCase(id))
      .filter((k): k is CaseRecord => k?.source === 'open311');
    return c.json(found.map(status));
  });
  return app;
}
