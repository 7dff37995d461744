/**
 * @module central/scoring/openapi
 * The `/api/scoring` paths for central's OpenAPI document, request bodies from the same zod
 * schemas the routes validate with. Merge with `paths: { ...scoringOpenApiPaths() }`.
 */
import { z } from 'zod';
import { BonusCreate, BonusPatch, Close, Decision, Items, Reopen } from './routes.js';

const body = (s: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) } },
});
const p = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const q = (name: string, description: string, extra: object = {}) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'string', ...extra },
});
const month = p('month', 'YYYY-MM (local month in the city’s offset)');
const level = q('level', 'the assessing unit (default: the bureau)');
const format = q('format', 'json (default), csv (UTF-8 with BOM) or xlsx', { enum: ['json', 'csv', 'xlsx'] });
const ok = (description: string) => ({
  '200': { description },
  '400': { description: 'problem+json' },
  '401': { description: 'problem+json' },
  '403': { description: 'problem+json' },
  '404': { description: 'problem+json' },
  '409': { description: 'problem+json' },
  '422': { description: 'problem+json' },
});
const tags = ['scoring 考核'];

export function scoringOpenApiPaths(): Record<string, object> {
  return {
    '/api/scoring/levels': {
      get: { tags, summary: 'Levels and their assessed members', responses: ok('levels') },
    },
    '/api/scoring/rules': { get: { tags, summary: 'The scoring rules in force', responses: ok('rules') } },
    '/api/scoring/months/{month}': {
      get: {
        tags,
        summary: '月度得分 A level’s month',
        parameters: [month, level, format],
        responses: ok('scores'),
      },
    },
    '/api/scoring/months/{month}/export.csv': {
      get: { tags, summary: 'Month scores as CSV', parameters: [month, level], responses: ok('text/csv') },
    },
    '/api/scoring/months/{month}/export.xlsx': {
      get: {
        tags,
        summary: 'Month scores and deduction detail as Excel',
        parameters: [month, level],
        responses: ok('xlsx'),
      },
    },
    '/api/scoring/months/{month}/events': {
      get: {
        tags,
        summary: '扣分明细 Deduction events',
        parameters: [month, level, q('unit', 'one member'), format],
        responses: ok('events'),
      },
    },
    '/api/scoring/months/{month}/units/{unitId}': {
      get: {
        tags,
        summary: 'One unit: items with their events',
        parameters: [month, p('unitId', 'unit id'), level],
        responses: ok('unit'),
      },
    },
    '/api/scoring/years/{year}': {
      get: {
        tags,
        summary: '年度得分 Annual',
        parameters: [p('year', 'YYYY'), level, format],
        responses: ok('annual'),
      },
    },
    '/api/scoring/months/{month}/indicators': {
      get: {
        tags,
        summary: '考核指标 Indicators',
        parameters: [month, level, format],
        responses: ok('indicators'),
      },
    },
    '/api/scoring/months/{month}/collectors': {
      get: {
        tags,
        summary: '采集员有效上报 Collectors against the quota',
        parameters: [month, q('unit', 'a unit’s subtree'), format],
        responses: ok('collectors'),
      },
    },
    '/api/scoring/months/{month}/status': {
      get: { tags, summary: 'Closed or provisional', parameters: [month], responses: ok('status') },
    },
    '/api/scoring/months/{month}/close': {
      post: {
        tags,
        summary: '关账 Close (leader/admin)',
        parameters: [month],
        requestBody: { ...body(Close), required: false },
        responses: ok('closed'),
      },
    },
    '/api/scoring/months/{month}/reopen': {
      post: {
        tags,
        summary: '重新打开 Reopen, audited (leader/admin)',
        parameters: [month],
        requestBody: body(Reopen),
        responses: ok('reopened'),
      },
    },
    '/api/scoring/months/{month}/items': {
      put: {
        tags,
        summary: 'Items assessed this month (leader/admin)',
        parameters: [month],
        requestBody: body(Items),
        responses: ok('items'),
      },
    },
    '/api/scoring/bonuses': {
      get: {
        tags,
        summary: '加分项 Bonus items',
        parameters: [q('month', 'YYYY-MM')],
        responses: ok('bonus items'),
      },
      post: {
        tags,
        summary: 'Create a bonus item (operator/admin)',
        requestBody: body(BonusCreate),
        responses: ok('created (201)'),
      },
    },
    '/api/scoring/bonuses/{id}': {
      patch: {
        tags,
        summary: 'Edit a pending item',
        parameters: [p('id', 'bonus id')],
        requestBody: body(BonusPatch),
        responses: ok('updated'),
      },
      delete: {
        tags,
        summary: 'Delete a pending item',
        parameters: [p('id', 'bonus id')],
        responses: ok('deleted (204)'),
      },
    },
    '/api/scoring/bonuses/{id}/approve': {
      post: {
        tags,
        summary: 'Approve (leader/admin)',
        parameters: [p('id', 'bonus id')],
        requestBody: { ...body(Decision), required: false },
        responses: ok('approved'),
      },
    },
    '/api/scoring/bonuses/{id}/reject': {
      post: {
        tags,
        summary: 'Reject (leader/admin)',
        parameters: [p('id', 'bonus id')],
        requestBody: { ...body(Decision), required: false },
        responses: ok('rejected'),
      },
    },
    '/api/scoring/audit': { get: { tags, summary: 'Audit log (leader/admin)', responses: ok('audit') } },
  };
}
