/**
 * @module central/http/problem
 * Errors as RFC 7807 problem details (`application/problem+json`). Route code throws
 * `ProblemError`; the app's error handler turns it (and anything unexpected) into the response.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const PROBLEM_BASE = 'https://citygrid.example/problems/';

export class ProblemError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    /** short slug: becomes the problem `type` URI */
    readonly slug: string,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export function problemResponse(c: Context, e: ProblemError): Response {
  return c.body(
    JSON.stringify({
      type: PROBLEM_BASE + e.slug,
      title: e.slug.replace(/-/g, ' '),
      status: e.status,
      detail: e.detail,
      instance: c.req.path,
      ...e.extra,
    }),
    e.status,
    { 'content-type': 'application/problem+json' },
  );
}
