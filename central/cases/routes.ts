/**
 * @module central/cases/routes
 * /api/cases: list with filters, intake (Idempotency-Key), one case with its incident
 * revisions and evidence links, and the workflow actions `POST /api/cases/:id/actions/:action`.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import { ProblemError } from '../http/problem.js';
import { jsonBody, optionalJson, query } from '../http/validate.js';
import type { CaseRecord } from './model.js';
import { encodePage, ItemCache, PageCache } from './page-cache.js';
import { CaseQuery, listCases } from './query.js';
import { type CaseService, IntakeInput, StaleCaseError } from './service.js';
import { isOverdue, visibleTo } from './visibility.js';
import { ACTIONS, CASE_STATES, type CaseAction, TRANSITIONS } from './workflow.js';

const tooLarge = (max: number) =>
  bodyLimit({
    maxSize: max,
    onError: () => {
      throw new ProblemError(413, 'payload-too-large', `request body over ${max} bytes`);
    },
  });

export function caseRoutes(svc: CaseService, users: UserDirectory): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use('*', requireUser(users));

  const detail = async (c: CaseRecord) => {
    const incidents = (
      await Promise.all(c.refs.incidentIds.map((id) => svc.store.cases.getIncident(id)))
    ).filter((i) => i !== undefined);
    return {
      ...svc.view(c),
      incidents,
      // the model that produced an AI case (name, version, sha256), for the console
      model: incidents.find((i) => i.id === c.refs.incidentIds[0])?.latest.producer.model,
      evidenceUrls: [...c.evidence, ...c.verificationEvidence].map((e) => `/api/evidence/${e.name}`),
    };
  };

  // identical list requests at one revision share one page, and every page is made of the
  // listed cases' bytes as last sent (page-cache.ts)
  const pages = new PageCache();
  const items = new ItemCache();
  app.get('/', async (c) => {
    const q = query(c, CaseQuery);
    const u = c.get('user');
    const now = svc.now();
    const body = await pages.get(
      JSON.stringify([visibleTo(u) ?? null, q]),
      svc.store.cases.revision?.(),
      now.getTime(),
      async () => {
        const page = await listCases(svc, q, u, now);
        return encodePage(
          page,
          page.items.map((s) =>
            items.get(`${s.id}:${s.version}:${isOverdue(s, now)}`, () =>
              Buffer.from(JSON.stringify(svc.viewListed(s, now))),
            ),
          ),
        );
      },
    );
    return c.body(body, 200, { 'content-type': 'application/json' });
  });

  app.post('/', tooLarge(64 * 1024), async (c) => {
    const input = await jsonBody(c, IntakeInput);
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !/^[\w.:-]{1,128}$/.test(key))
      throw new ProblemError(
        400,
        'invalid-idempotency-key',
        'Idempotency-Key: 1-128 chars of letters, digits, _ . : -',
      );
    const r = await svc.intake(input, c.get('user'), key);
    if (r.replayed) c.header('Idempotent-Replayed', 'true');
    c.header('Location', `/api/cases/${r.case.id}`);
    return c.json(await detail(r.case), r.status as 201);
  });

  app.get('/:id', async (c) => {
    const k = await svc.get(c.req.param('id'), c.get('user'));
    c.header('ETag', `"${svc.view(k).version}"`);
    return c.json(await detail(k));
  });

  app.post('/:id/actions/:action', tooLarge(64 * 1024), async (c) => {
    const action = c.req.param('action') as CaseAction;
    if (!ACTIONS.includes(action))
      throw new ProblemError(
        404,
        'unknown-action',
        `unknown action ${action}; actions: ${ACTIONS.join(', ')}`,
      );
    const body = await optionalJson(c);
    const ifMatch = c.req.header('if-match');
    const m = ifMatch === undefined ? undefined : /^(?:W\/)?"?(\d{1,12})"?$/.exec(ifMatch.trim());
    if (ifMatch !== undefined && !m)
      throw new ProblemError(400, 'invalid-if-match', 'If-Match: the case version in quotes, e.g. "3"');
    try {
      const updated = await svc.act(
        c.req.param('id'),
        action,
        body,
        c.get('user'),
        m ? Number(m[1]) : undefined,
      );
      c.header('ETag', `"${svc.view(updated).version}"`);
      return c.json(await detail(updated));
    } catch (e) {
      if (e instanceof StaleCaseError)
        throw new ProblemError(e.status, e.slug, e.detail, {
          ...e.extra,
          current: await detail(e.current),
        });
      throw e;
    }
  });

  return app;
}

/** The workflow as data, for the console and integrators. */
export function workflowRoutes(): Hono {
  const app = new Hono();
  app.get('/', (c) => c.json({ states: CASE_STATES, transitions: TRANSITIONS }));
  return app;
}
