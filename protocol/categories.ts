/**
 * @module protocol/categories
 * Event categories, GB/T 30428 / CJ/T 214 style: a 2-digit major class and a 2-digit small class,
 * written "MM.SS". Classes 90+ are this project's extensions for what the standard does not cover
 * (uniform and discipline, absence from post, muck-truck violations, equipment).
 * Central's catalog adds responsible-unit rules and deadlines to these codes.
 */
import { z } from 'zod';

export const CategoryCode = z
  .string()
  .regex(/^\d{2}\.\d{2}$/, 'must be a category code "MM.SS", e.g. "05.05"');
export type CategoryCode = z.infer<typeof CategoryCode>;

export interface CategoryDef {
  code: CategoryCode;
  zh: string;
  en: string;
  major: { code: string; zh: string; en: string };
  /** true where the code is this project's extension, not in GB/T 30428. */
  extension: boolean;
}

const MAJORS = {
  '01': { zh: '市容环境', en: 'City appearance & environment' },
  '05': { zh: '街面秩序', en: 'Street order' },
  '91': { zh: '队容风纪', en: 'Uniform & discipline' },
  '92': { zh: '渣土管理', en: 'Muck trucks' },
  '93': { zh: '设备运行', en: 'Equipment' },
} as const;

function def(code: string, zh: string, en: string): CategoryDef {
  const m = code.slice(0, 2) as keyof typeof MAJORS;
  return { code, zh, en, major: { code: m, ...MAJORS[m] }, extension: Number(m) >= 90 };
}

/** The categories the edge can produce automatically, and the common manual ones. */
export const CATEGORIES: readonly CategoryDef[] = [
  def('01.02', '暴露垃圾', 'Exposed garbage'),
  def('01.03', '积存垃圾渣土', 'Accumulated garbage / spoil'),
  def('01.04', '道路不洁', 'Unclean road (litter)'),
  def('01.12', '道路遗撒', 'Spillage on road'),
  def('05.04', '店外经营', 'Business outside shop'),
  def('05.05', '机动车乱停放', 'Illegal motor-vehicle parking'),
  def('05.06', '非机动车乱停放', 'Illegal non-motor-vehicle parking'),
  def('91.01', '未按规定着装', 'Out of uniform'),
  def('91.02', '脱岗', 'Absent from post'),
  def('92.01', '渣土车超速', 'Muck truck overspeed'),
  def('92.02', '渣土车偏离路线', 'Muck truck off approved route'),
  def('92.03', '渣土违规倾倒', 'Dumping outside approved site'),
  def('92.04', '渣土车未密闭', 'Muck truck moving uncovered'),
  def('92.05', '渣土车违规进入限行区', 'Muck truck in restricted zone/hours'),
  def('93.01', '设备离线', 'Device offline'),
  def('93.02', '设备未应答', 'Device did not answer a call'),
];

const byCode = new Map(CATEGORIES.map((c) => [c.code, c]));
export function categoryOf(code: string): CategoryDef | undefined {
  return byCode.get(code);
}
