/**
 * @module central/http/openapi
 * Builds OpenAPI 3.1 operations from a table of routes whose request parts are the zod schemas
 * the routes validate with, converted by zod 4's own `z.toJSONSchema` (input side: what a
 * client sends). Route groups write their table (central/openapi.ts, central/scoring/openapi.ts);
 * a test checks every route the app serves is in the document with the schema it validates with.
 * @example
 *   const ops: Operations = { 'GET /api/things/{id}': { summary: 'one thing', query: ThingQuery } };
 *   const doc = openApiDocument({ title: 'things', version: '1' }, ops);
 */
import { z } from 'zod';

export interface Operation {
  summary: string;
  tags?: string[];
  /** the JSON body schema the route validates with */
  body?: z.ZodType;
  /** put the body schema under components.schemas with this name and refer to it */
  bodyName?: string;
  /** a body that may be left out (default: required when `body` is given) */
  bodyOptional?: boolean;
  /** the query schema the route validates with (one parameter per key) */
  query?: z.ZodObject;
  /** path parameters' schemas; a `{name}` of the path not listed is a plain string */
  params?: Record<string, z.ZodType>;
  /** request headers the route reads */
  headers?: Record<string, string>;
  /** a body that is not JSON (uploads), as OpenAPI content */
  content?: Record<string, object>;
  /** answered without a token */
  open?: boolean;
  /** what a 200 holds (default 'ok'); `responses` adds or replaces codes */
  ok?: string;
  responses?: Record<string, object>;
}

/** `METHOD /path/{param}` → operation. */
export type Operations = Record<string, Operation>;

export const jsonSchema = (s: z.ZodType) =>
  z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, any>;

const PROBLEM = { $ref: '#/components/responses/Problem' };
const ERRORS = Object.fromEntries(['400', '401', '403', '404', '409', '422'].map((k) => [k, PROBLEM]));

function operation(path: string, op: Operation, schemas: Record<string, object>): object {
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const query = op.query ? jsonSchema(op.query) : undefined;
  const parameters = [
    ...names.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: op.params?.[name] ? jsonSchema(op.params[name]) : { type: 'string' },
    })),
    ...Object.entries(query?.properties ?? {}).map(([name, s]: [string, any]) => {
      const { description, ...schema } = s;
      return { name, in: 'query', required: !!query?.required?.includes(name), description, schema };
    }),
    ...Object.entries(op.headers ?? {}).map(([name, description]) => ({
      name,
      in: 'header',
      required: false,
      description,
      schema: { type: 'string' },
    })),
  ];
  let body: object | undefined;
  if (op.body && op.bodyName) {
    schemas[op.bodyName] = jsonSchema(op.body);
    body = { $ref: `#/components/schemas/${op.bodyName}` };
  } else if (op.body) body = jsonSchema(op.body);
  const content = body ? { 'application/json': { schema: body } } : op.content;
  return {
    summary: op.summary,
    ...(op.tags ? { tags: op.tags } : {}),
    ...(op.open ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(content ? { requestBody: { required: !op.bodyOptional, content } } : {}),
    responses: { '200': { description: op.ok ?? 'ok' }, ...(op.open ? {} : ERRORS), ...op.responses },
  };
}

/** The whole document: `paths` from the operations, the schemas they name, problem details. */
export function openApiDocument(info: object, ops: Operations, schemas: Record<string, object> = {}): object {
  const paths: Record<string, Record<string, object>> = {};
  const named = { ...schemas };
  for (const [key, op] of Object.entries(ops)) {
    const [method, path] = key.split(' ') as [string, string];
    paths[path] = { ...paths[path], [method.toLowerCase()]: operation(path, op, named) };
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      responses: { Problem: PROBLEM_RESPONSE },
      schemas: named,
    },
    paths,
  };
}

const PROBLEM_RESPONSE = {
  description: 'problem details (RFC 7807)',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          instance: { type: 'string' },
        },
      },
    },
  },
};
