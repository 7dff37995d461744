/**
 * @module central/http/validate
 * Read and validate request input with zod; failures become 400/422 problem details. Text
 * with control or bidi characters is refused first (http/text.ts).
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { ProblemError } from './problem.js';
import { assertCleanText } from './text.js';

/**
 * The schemas each request was validated with, by its context: central/openapi.test.ts asks,
 * for each route, whether the document names the schema the route really uses.
 */
const used = new WeakMap<Context, { body?: z.ZodType; query?: z.ZodType }>();
export const validatedWith = (c: Context) => used.get(c) ?? {};
const record = (c: Context, part: 'body' | 'query', schema: z.ZodType) =>
  used.set(c, { ...used.get(c), [part]: schema });

const issues = (e: z.ZodError) =>
  e.issues
    .slice(0, 10)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ');

/** JSON body: 415 if not JSON, 400 if it does not parse, 422 if it fails the schema. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const ct = c.req.header('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(ct))
    throw new ProblemError(
      415,
      'unsupported-media-type',
      `expected application/json, got ${ct || 'nothing'}`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch (e) {
    throw new ProblemError(400, 'invalid-json', `request body is not valid JSON: ${(e as Error).message}`);
  }
  assertCleanText(raw);
  record(c, 'body', schema);
  const r = schema.safeParse(raw);
  if (!r.success) throw new ProblemError(422, 'invalid-input', issues(r.error));
  return r.data;
}

/** Optional JSON body (actions): empty body = {}. */
export async function optionalJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ProblemError(400, 'invalid-json', `request body is not valid JSON: ${(e as Error).message}`);
  }
  assertCleanText(raw);
  return raw;
}

export function query<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  assertCleanText(c.req.query());
  record(c, 'query', schema);
  const r = schema.safeParse(c.req.query());
  if (!r.success) throw new ProblemError(400, 'invalid-query', issues(r.error));
  return r.data;
}
