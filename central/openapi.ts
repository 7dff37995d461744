/**
 * @module central/openapi
 * The OpenAPI 3.1 document served at GET /api/openapi.json: one line per route the app serves,
 * each naming the zod schemas that route validates its body, query and path with (converted by
 * central/http/openapi.ts). `central/openapi.test.ts` checks that every route under /api and
 * /open311 is here and that each schema is the one its route validates with.
 */

import { z } from 'zod';
import { CommandVerb, Token } from '../protocol/index.js';
import { ACTION_INPUTS } from './cases/actions.js';
import { SOURCE_NAMES } from './cases/model.js';
import { CaseQuery } from './cases/query.js';
import { IntakeInput } from './cases/service.js';
import { ACTIONS, CASE_STATE_NAMES, TRANSITIONS } from './cases/workflow.js';
import { Filter } from './datasets/routes.js';
import { Beat } from './devices/handsets.js';
import { CommandBody } from './devices/routes.js';
import { Rollback, Rollout } from './gateways/model-routes.js';
import { openApiDocument as build, jsonSchema, type Operations } from './http/openapi.js';
import { ListQuery } from './open311/requests.js';
import { PostRequest } from './open311/routes.js';
import { scoringOpenApiPaths } from './scoring/openapi.js';

const ops = (tag: string, o: Operations): Operations =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { tags: [tag], ...v }]));

const actions: Operations = Object.fromEntries(
  ACTIONS.map((a) => {
    const t = TRANSITIONS[a];
    return [
      `POST /api/cases/{id}/actions/${a}`,
      {
        summary: `${t.zh} ${a}: from ${t.from.join('/')} to ${t.to}; roles ${t.roles.join(', ')}${t.ownUnit ? ' (own unit)' : ''}`,
        body: ACTION_INPUTS[a],
        bodyName: `Action_${a}`,
        bodyOptional: true,
        headers: { 'If-Match': 'the case version this change is based on, e.g. "3" (409 when stale)' },
        ok: 'the updated case',
      },
    ];
  }),
);

const OPERATIONS: Operations = {
  ...ops('system', {
    'GET /api/health': { summary: 'liveness, NATS link and each store’s state', open: true },
    'GET /api/metrics': {
      summary: 'Prometheus metrics (loopback without a token, else an admin token)',
      open: true,
      ok: 'text',
    },
    'GET /api/openapi.json': { summary: 'this document', open: true },
    'GET /api/me': { summary: 'the authenticated user' },
    'GET /api/workflow': { summary: 'states and the transition table', open: true },
  }),
  ...ops('cases 案件', {
    'GET /api/cases': {
      summary: 'list cases (filters, pagination); handlers and reporters see their own only',
      query: CaseQuery,
      ok: '{ total, offset, limit, items, next? }',
    },
    'POST /api/cases': {
      summary: 'report a problem (collector, 12345, citizen, WeChat, leader); Idempotency-Key supported',
      body: IntakeInput,
      bodyName: 'IntakeInput',
      headers: { 'Idempotency-Key': '1-128 of letters, digits, _ . : - ; a repeat answers the first case' },
      responses: { '201': { description: 'the new case (or the first answer replayed)' } },
    },
    'GET /api/cases/{id}': { summary: 'one case with history, incident revisions and evidence links' },
    ...actions,
    'POST /api/attachments': {
      summary: 'upload a photo (JPEG/PNG) or voice note (MP3/OGG/WAV/AMR/M4A) as the raw body; type sniffed',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      responses: { '201': { description: '{ name, contentType, kind, size, sha256, url }' } },
    },
    'GET /api/evidence/{name}': {
      summary: 'an evidence image or attachment, to users who may see a case carrying it',
      params: { name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/) },
      ok: 'the bytes with their content type',
    },
  }),
  ...ops('devices 设备', {
    'GET /api/devices': { summary: 'gateways, devices, online state, vehicles' },
    'GET /api/devices/vehicles/{id}/track': { summary: 'recent track of a vehicle' },
    'GET /api/devices/calls': {
      summary: 'calls made to gateways, answered or not (设备未应答)',
      query: z.object({ gatewayId: z.string().optional() }),
    },
    'POST /api/devices/{gatewayId}/commands/{verb}': {
      summary:
        'call a gateway over NATS: ping, where (vehicle position), snapshot (fresh camera frame), reload_config, message (text to a JT/T 808 terminal)',
      params: { gatewayId: Token, verb: CommandVerb },
      body: CommandBody,
      bodyOptional: true,
      ok: '{ reply: CommandReply }',
      responses: {
        '504': { description: 'the gateway, or the device behind it, did not answer (recorded)' },
      },
    },
    'POST /api/handsets/heartbeat': { summary: 'a collector’s 城管通 handset is alive', body: Beat },
    'GET /api/handsets': { summary: 'handsets with their collector and last heartbeat' },
    'GET /api/gateways': { summary: 'gateways with their configuration version and sync state' },
    'GET /api/gateways/{id}/config': {
      summary: 'desired and reported configuration (camera passwords to admins only)',
    },
    'PUT /api/gateways/{id}/config': {
      summary: 'store a new configuration version (validated; 409 when another save won)',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
    'GET /api/gateways/models': { summary: 'models published to the object store' },
    'POST /api/gateways/models/rollout': { summary: 'roll a model out to gateways', body: Rollout },
    'POST /api/gateways/models/rollback': { summary: 'take a model back on gateways', body: Rollback },
    'GET /api/gateways/metrics': { summary: 'the same Prometheus registry as /api/metrics', ok: 'text' },
    'GET /api/models': { summary: 'models running on gateways, with operators’ verdicts on their cases' },
  }),
  ...ops('datasets', {
    'GET /api/datasets/verdicts': { summary: 'operators’ verdicts on AI cases', query: Filter },
    'GET /api/datasets/export': { summary: 'the verdicts and their evidence as a zip', query: Filter },
    'POST /api/datasets/exports': {
      summary: 'start an export job',
      body: Filter,
      bodyOptional: true,
      responses: { '202': { description: '{ id, url }' } },
    },
    'GET /api/datasets/exports/{id}': { summary: 'an export job’s progress' },
    'GET /api/datasets/exports/{id}/zip': { summary: 'a finished export' },
  }),
  ...ops('console', {
    'GET /api/console/events': { summary: 'server-sent events of case changes the user may see' },
    'GET /api/console/refdata': { summary: 'users, cameras, vehicles and gateways by name' },
    'GET /api/console/dashboard': { summary: 'counts for the dashboard' },
  }),
  ...scoringOpenApiPaths(),
  ...ops('city 城市', {
    'GET /api/city/catalog': { summary: 'categories with deadlines and routing rules' },
    'GET /api/city/grids': { summary: 'community grids (GeoJSON)', ok: 'FeatureCollection' },
    'GET /api/city/org': { summary: 'organisation tree (flat, parentId)' },
    'GET /api/city/collectors': { summary: 'collectors and their grids' },
  }),
  ...ops('open311', {
    'GET /open311/v2/services.json': { summary: 'Open311 GeoReport v2 service list', open: true },
    'GET /open311/v2/services/{file}': { summary: 'one service: `<code>.json`', open: true },
    'POST /open311/v2/requests.json': {
      summary: 'Open311 POST service request (api_key = integration token)',
      open: true,
      content: { 'application/x-www-form-urlencoded': { schema: jsonSchema(PostRequest) } },
      responses: {
        '201': { description: '[{ service_request_id }]' },
        '400': { description: '[{ code, description }]' },
        '403': { description: 'bad api_key' },
      },
    },
    'GET /open311/v2/requests.json': { summary: 'Open311 requests', open: true, query: ListQuery },
    'GET /open311/v2/requests/{file}': { summary: 'one request’s status: `<id>.json`', open: true },
  }),
};

let cached: object | undefined;

export function openApiDocument(): object {
  cached ??= build(
    {
      title: 'citygrid central 数字城管中心',
      version: '1.0.0',
      description:
        'Cases from edge incidents and every intake source, the seven-step workflow, reference data. Errors are RFC 7807 problem details. Auth: `Authorization: Bearer <token>`.',
    },
    OPERATIONS,
    {
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
        },
        additionalProperties: true,
      },
    },
  );
  return cached;
}
