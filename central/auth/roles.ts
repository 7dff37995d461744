/**
 * @module central/auth/roles
 * Who can do what, in words: collectors report; operators register, dispatch, verify, close;
 * unit handlers see and act on their own unit's cases only; leaders see everything, approve
 * extensions and bonus items, suspend and cancel; admins do everything. `integration` is a
 * machine account (12345 hotline bridge, WeChat bridge, Open311 apps) that may only submit reports.
 */
import { z } from 'zod';
import { keysOf, labels } from '../../protocol/index.js';

export const ROLES = labels({
  collector: { zh: '信息采集员', en: 'Grid collector' },
  operator: { zh: '值班受理员', en: 'Supervision centre operator' },
  unit_handler: { zh: '处置单位人员', en: 'Disposal unit handler' },
  leader: { zh: '领导', en: 'Leader' },
  admin: { zh: '系统管理员', en: 'Administrator' },
  integration: { zh: '对接系统', en: 'Integration (12345 / WeChat / Open311)' },
});
export type Role = keyof typeof ROLES;
export const Role = z.enum(keysOf(ROLES));

export interface User {
  id: string;
  name: string;
  role: Role;
  /** unit handlers: the unit whose cases they see and handle */
  unitId?: string;
  /** collectors: their collector id (grids are in the collectors seed) */
  collectorId?: string;
}

/** Roles that see every case. */
export function seesAll(role: Role): boolean {
  return role === 'operator' || role === 'leader' || role === 'admin';
}
