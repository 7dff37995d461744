/**
 * @module central/openapi
 * The OpenAPI 3.1 document served at GET /api/openapi.json. Paths are written here; request
 * body schemas come from the same zod schemas the routes validate with, so they stay true.
 */
import { z } from 'zod';
import { ACTION_INPUTS } from './cases/actions.js';
import { SOURCE_NAMES } from './cases/model.js';
import { IntakeInput } from './cases/service.js';
import { ACTIONS, CASE_STATE_NAMES, TRANSITIONS } from './cases/workflow.js';
import { scoringOpenApiPaths } from './scoring/openapi.js';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const problem = { $ref: '#/components/responses/Problem' };
const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const q = (name: string, description: string, extra: object = {}) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'string', ...extra },
});
const errors = {
  '400': problem,
  '401': problem,
  '403': problem,
  '404': problem,
  '409': problem,
  '422': problem,
};

let cached: object | undefined;

export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'citygrid central 数字城管中心',
      version: '1.0.0',
      description:
        'Cases from edge incidents and every intake source, the seven-step workflow, reference data. Errors are RFC 7807 problem details. Auth: `Authorization: Bearer <token>`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      responses: {
        Problem: {
          description: 'problem details',
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
        },
      },
      schemas: {
        IntakeInput: schema(IntakeInput),
        ...Object.fromEntries(ACTIONS.map((a) => [`Action_${a}`, schema(ACTION_INPUTS[a])])),
        Case: {
          type: 'object',
          description: 'The case record; see central/README.md "The case record" for every field.',
          properties: {
            id: { type: 'string' },
            state: { enum: CASE_STATE_NAMES },
            source: { enum: SOURCE_NAMES },
            category: { type: 'string' },
            unitId: { type: 'string' },
            deadline: { type: 'string', format: 'date-time' },
            overdue: { type: 'boolean' },
            counts: { type: 'object' },
            evaluation: { type: 'object' },
            history: { type: 'array', items: { type: 'object' } },
          },
          additionalProperties: true,
        },
      },
    },
    paths: {
      '/api/health': {
        get: { summary: 'liveness and NATS link', security: [], responses: { '200': { description: 'ok' } } },
      },
      '/api/metrics': {
        get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'text' } } },
      },
      '/api/me': {
        get: {
          summary: 'the authenticated user',
          responses: { '200': { description: 'user' }, '401': problem },
        },
      },
      '/api/cases': {
        get: {
          summary: 'list cases (filters, pagination); handlers and reporters see their own only',
          parameters: [
            q('state', 'comma-separated states', { example: 'reported,registered' }),
            q('unitId', 'responsible unit'),
            q('gridCode', '15-digit grid code'),
            q('category', 'category code MM.SS'),
            q('source', `comma-separated: ${SOURCE_NAMES.join(', ')}`),
            q('reporterId', 'user or gateway id that reported'),
            q('collectorId', 'collector id (城管通 reports)'),
            q('from', 'created at or after (ISO time)'),
            q('to', 'created before (ISO time)'),
            q('overdue', 'true/false (computed now)'),
            q('before', 'cursor: cases older than this case id (the previous page’s `next`)'),
            q('offset', '0-10000, default 0 (deeper: before=)', { type: 'integer' }),
            q('limit', '1-500, default 50', { type: 'integer' }),
          ],
          responses: { '200': { description: '{ total, offset, limit, items, next? }' }, ...errors },
        },
        post: {
          summary: 'report a problem (collector, 12345, citizen, WeChat, leader); Idempotency-Key supported',
          parameters: [
            { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: json('IntakeInput') },
          responses: {
            '201': { description: 'the new case (or the first answer replayed)', content: json('Case') },
            '413': problem,
            '415': problem,
            ...errors,
          },
        },
      },
      '/api/cases/{id}': {
        get: {
          summary: 'one case with history, incident revisions and evidence links',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'case', content: json('Case') }, ...errors },
        },
      },
      ...Object.fromEntries(
        ACTIONS.map((a) => [
          `/api/cases/{id}/actions/${a}`,
          {
            post: {
              summary: `${TRANSITIONS[a].zh} ${a}: from ${TRANSITIONS[a].from.join('/')} to ${TRANSITIONS[a].to}; roles ${TRANSITIONS[a].roles.join(', ')}${TRANSITIONS[a].ownUnit ? ' (own unit)' : ''}`,
              parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
              requestBody: { required: false, content: json(`Action_${a}`) },
              responses: { '200': { description: 'the updated case', content: json('Case') }, ...errors },
            },
          },
        ]),
      ),
      '/api/attachments': {
        post: {
          summary:
            'upload a photo (JPEG/PNG) or voice note (MP3/OGG/WAV/AMR/M4A) as the raw body; type sniffed',
          requestBody: {
            required: true,
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          responses: {
            '201': { description: '{ name, contentType, kind, size, sha256, url }' },
            '413': problem,
            '415': problem,
            ...errors,
          },
        },
      },
      '/api/evidence/{name}': {
        get: {
          summary: 'an evidence image or attachment, to users who may see a case carrying it',
          parameters: [
            {
              name: 'name',
              in: 'path',
              required: true,
              schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
            },
          ],
          responses: {
            '200': { description: 'the bytes with their content type' },
            '503': problem,
            ...errors,
          },
        },
      },
      '/api/workflow': {
        get: {
          summary: 'states and the transition table',
          security: [],
          responses: { '200': { description: 'workflow' } },
        },
      },
      '/api/devices': {
        get: {
          summary: 'gateways, devices, online state, vehicles',
          responses: { '200': { description: 'board' }, ...errors },
        },
      },
      '/api/devices/vehicles/{id}/track': {
        get: {
          summary: 'recent track of a vehicle',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'track' }, ...errors },
        },
      },
      '/api/devices/{gatewayId}/commands/{verb}': {
        post: {
          summary:
            'call a gateway over NATS: ping, where (vehicle position), snapshot (fresh camera frame), reload_config, message (text to a JT/T 808 terminal)',
          parameters: [
            { name: 'gatewayId', in: 'path', required: true, schema: { type: 'string' } },
            {
              name: 'verb',
              in: 'path',
              required: true,
              schema: { type: 'string', enum: ['ping', 'where', 'snapshot', 'reload_config', 'message'] },
            },
          ],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { deviceId: { type: 'string' }, text: { type: 'string', maxLength: 512 } },
                },
              },
            },
          },
          responses: {
            '200': { description: '{ reply: CommandReply }' },
            '504': { description: 'the gateway, or the device behind it, did not answer (recorded)' },
            ...errors,
          },
        },
      },
      '/api/devices/calls': {
        get: {
          summary: 'calls made to gateways, answered or not (设备未应答)',
          parameters: [{ name: 'gatewayId', in: 'query', required: false, schema: { type: 'string' } }],
          responses: { '200': { description: 'calls per gateway' }, ...errors },
        },
      },
      ...scoringOpenApiPaths(),
      '/api/city/catalog': {
        get: {
          summary: 'categories with deadlines and routing rules',
          responses: { '200': { description: 'catalog' } },
        },
      },
      '/api/city/grids': {
        get: {
          summary: 'community grids (GeoJSON)',
          responses: { '200': { description: 'FeatureCollection' } },
        },
      },
      '/api/city/org': {
        get: {
          summary: 'organisation tree (flat, parentId)',
          responses: { '200': { description: 'units' } },
        },
      },
      '/api/city/collectors': {
        get: { summary: 'collectors and their grids', responses: { '200': { description: 'collectors' } } },
      },
      '/open311/v2/services.json': {
        get: {
          summary: 'Open311 GeoReport v2 service list',
          security: [],
          responses: { '200': { description: 'services' } },
        },
      },
      '/open311/v2/requests.json': {
        post: {
          summary: 'Open311 POST service request (api_key = integration token)',
          security: [],
          responses: {
            '201': { description: '[{ service_request_id }]' },
            '400': { description: '[{ code, description }]' },
            '403': { description: 'bad api_key' },
          },
        },
        get: {
          summary: 'Open311 requests by service_request_id (comma-separated)',
          security: [],
          responses: { '200': { description: 'requests' } },
        },
      },
      '/open311/v2/requests/{id}.json': {
        get: {
          summary: 'Open311 request status',
          security: [],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'request' }, '404': { description: 'not found' } },
        },
      },
    },
  };
  return cached;
}
