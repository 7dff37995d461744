/**
 * @module protocol/kinds
 * What an incident is about, and its default category. Defined once; edge rules and central
 * routing both use these names.
 */
import { z } from 'zod';
import { keysOf, labels } from './labels.js';

export const INCIDENT_KINDS = labels({
  illegal_parking: { category: '05.05', zh: '违法停车', en: 'Illegal parking' },
  litter: { category: '01.04', zh: '垃圾/杂物', en: 'Litter' },
  exposed_garbage: { category: '01.02', zh: '暴露垃圾', en: 'Exposed garbage' },
  uniform_violation: { category: '91.01', zh: '未按规定着装', en: 'Out of uniform' },
  absence_from_post: { category: '91.02', zh: '脱岗', en: 'Absent from post' },
  overspeed: { category: '92.01', zh: '超速', en: 'Overspeed' },
  route_deviation: { category: '92.02', zh: '偏离路线', en: 'Route deviation' },
  dumping_outside_site: { category: '92.03', zh: '违规倾倒', en: 'Dumping outside approved site' },
  cover_open: { category: '92.04', zh: '未密闭行驶', en: 'Moving with cover open' },
  restricted_zone: { category: '92.05', zh: '违规进入限行区', en: 'In restricted zone/hours' },
  device_offline: { category: '93.01', zh: '设备离线', en: 'Device offline' },
});

export type IncidentKind = keyof typeof INCIDENT_KINDS;
export const IncidentKind = z.enum(keysOf(INCIDENT_KINDS));

/** Incident lifecycle, as Frigate's events: one id, revisions new → update* → end. */
export const Lifecycle = z.enum(['new', 'update', 'end']);
export type Lifecycle = z.infer<typeof Lifecycle>;
