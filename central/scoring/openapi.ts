/**
 * @module central/scoring/openapi
 * The `/api/scoring` routes for central's OpenAPI document, each naming the zod schemas its
 * route validates with (central/http/openapi.ts converts them). `/api/scoring/bonus` is an
 * older name of `/api/scoring/bonuses`, served and documented alike.
 */
import { z } from 'zod';
import type { Operations } from '../http/openapi.js';
import {
  BonusCreate,
  BonusPatch,
  Close,
  Decision,
  Items,
  LevelQuery,
  Month,
  QUERIES,
  Reopen,
} from './routes.js';

const month = { month: Month };
const bonuses = (base: string): Operations => ({
  [`GET ${base}`]: { summary: '加分项 Bonus items', query: QUERIES.bonuses },
  [`POST ${base}`]: {
    summary: 'Create a bonus item (operator/admin)',
    body: BonusCreate,
    responses: { '201': { description: 'created' } },
  },
  [`PATCH ${base}/{id}`]: { summary: 'Edit a pending item', body: BonusPatch },
  [`DELETE ${base}/{id}`]: {
    summary: 'Delete a pending item',
    responses: { '204': { description: 'deleted' } },
  },
  [`POST ${base}/{id}/approve`]: { summary: 'Approve (leader/admin)', body: Decision, bodyOptional: true },
  [`POST ${base}/{id}/reject`]: { summary: 'Reject (leader/admin)', body: Decision, bodyOptional: true },
});

const PATHS: Operations = {
  'GET /api/scoring/levels': { summary: 'Levels and their assessed members' },
  'GET /api/scoring/rules': { summary: 'The scoring rules in force' },
  'GET /api/scoring/months/{month}': {
    summary: '月度得分 A level’s month',
    params: month,
    query: LevelQuery,
  },
  'GET /api/scoring/months/{month}/export.csv': {
    summary: 'Month scores as CSV',
    params: month,
    query: QUERIES.export,
  },
  'GET /api/scoring/months/{month}/export.xlsx': {
    summary: 'Month scores and deduction detail as Excel',
    params: month,
    query: QUERIES.export,
  },
  'GET /api/scoring/months/{month}/events': {
    summary: '扣分明细 Deduction events',
    params: month,
    query: QUERIES.events,
  },
  'GET /api/scoring/months/{month}/units/{unitId}': {
    summary: 'One unit: items with their events',
    params: { ...month, unitId: z.string().max(64) },
    query: QUERIES.unit,
  },
  'GET /api/scoring/years/{year}': { summary: '年度得分 Annual (year: YYYY)', query: LevelQuery },
  'GET /api/scoring/months/{month}/indicators': {
    summary: '考核指标 Indicators',
    params: month,
    query: LevelQuery,
  },
  'GET /api/scoring/months/{month}/collectors': {
    summary: '采集员有效上报 Collectors against the quota',
    params: month,
    query: QUERIES.collectors,
  },
  'GET /api/scoring/months/{month}/status': { summary: 'Closed or provisional', params: month },
  'POST /api/scoring/months/{month}/close': {
    summary: '关账 Close (leader/admin)',
    params: month,
    body: Close,
    bodyOptional: true,
  },
  'POST /api/scoring/months/{month}/reopen': {
    summary: '重新打开 Reopen, audited (leader/admin)',
    params: month,
    body: Reopen,
  },
  'PUT /api/scoring/months/{month}/items': {
    summary: 'Items assessed this month (leader/admin)',
    params: month,
    body: Items,
  },
  ...bonuses('/api/scoring/bonuses'),
  ...bonuses('/api/scoring/bonus'),
  'GET /api/scoring/audit': { summary: 'Audit log (leader/admin)' },
};

export function scoringOpenApiPaths(): Operations {
  return Object.fromEntries(Object.entries(PATHS).map(([k, v]) => [k, { tags: ['scoring 考核'], ...v }]));
}
