/**
 * @module central/scoring/rules
 * The city's scoring rules: points per deduction event for each of the six assessment items,
 * the collectors' quota, weights per unit kind, the bonus setting and which items a month
 * includes by default. Loaded from `rules.json` (the city edits it) and validated with zod;
 * unknown keys are refused and every error names the field.
 * @example
 *   const rules = loadRules(); // central/scoring/rules.json
 *   rules.items.muck.categories['92.03']; // points per confirmed dumping violation
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { keysOf, labels } from '../../protocol/index.js';
import { SOURCE_NAMES } from '../cases/model.js';

export const ITEMS = labels({
  cases: { zh: '案件办理', en: 'Case handling' },
  offsite: { zh: '场外监控点', en: 'Off-site camera points' },
  discipline: { zh: '队容风纪', en: 'Uniform & discipline' },
  muck: { zh: '渣土', en: 'Muck trucks' },
  equipment: { zh: '设备', en: 'Equipment' },
  reports: { zh: '信息采集有效数量', en: 'Valid reports collected' },
});
export type ItemKey = keyof typeof ITEMS;
export const ITEM_KEYS = keysOf(ITEMS);

const Points = z.number().min(0).max(100);
const CategoryCode = z.string().regex(/^\d{2}\.\d{2}$/, 'a category code like 92.03');

/** Deductions for how a unit handled the cases of one item (case handling, off-site cameras). */
const Handling = z.strictObject({
  closedOverdue: Points.describe('a case closed after its deadline (evaluation.onTime = false)'),
  rework: Points.describe('each 返工: the centre found the feedback not done and sent it back'),
  wrongfulReturn: Points.describe('a 回退 after which the centre re-dispatched the case to the same unit'),
  openOverdueAtMonthEnd: Points.describe('a case with the unit, past its deadline, at the end of the month'),
});

export const RulesSchema = z.strictObject({
  version: z.literal(1),
  description: z.string().optional(),
  items: z.strictObject({
    cases: Handling.extend({
      sources: z.array(z.enum(SOURCE_NAMES)).min(1).describe('case sources that belong to 案件办理'),
    }),
    offsite: Handling.extend({
      sources: z
        .array(z.enum(SOURCE_NAMES))
        .min(1)
        .describe('sources of 场外监控点 (camera/vehicle incidents)'),
      confirmedProblem: Points.describe('each problem a camera found and an operator confirmed'),
    }),
    discipline: z.strictObject({
      categories: z.record(CategoryCode, Points).describe('confirmed uniform violation / absence from post'),
    }),
    muck: z.strictObject({
      categories: z.record(CategoryCode, Points).describe('confirmed muck-truck violation by kind'),
    }),
    equipment: z.strictObject({
      offlineThresholdHours: z.number().min(0).max(744).describe('offline hours a device may have per month'),
      perOfflineHour: Points.describe('per device, each offline hour beyond the threshold'),
      unansweredCall: Points.describe('each call of the command centre the gateway did not answer'),
      categories: z
        .record(CategoryCode, z.enum(['offline', 'unanswered']))
        .describe('equipment case categories (confirmed cases become equipment facts)'),
      owners: z
        .record(z.string(), z.string())
        .default({})
        .describe('gateway id → the unit that operates it (for offline hours from heartbeats)'),
      handsetFinding: Points.default(1).describe(
        'a 城管通 handset whose SIM changed, or used by another collector without record',
      ),
      offlineCase: Points.describe(
        'each confirmed offline case (the edge reports a device offline past its threshold)',
      ),
    }),
    reports: z.strictObject({
      quota: z.number().int().min(0).max(1000).describe('valid reports each collector must file a month'),
      perMissingReport: Points.describe('each report a collector is short of the quota'),
    }),
  }),
  /** Whether an approved bonus lifts a month whose deductions used up the 100. */
  bonusLiftsFullyDeducted: z.boolean(),
  bonusCap: z
    .enum(['allotted', 'none'])
    .default('allotted')
    .describe('allotted: a bonus never lifts the score above 100 (the unit’s allotted points once weighted)'),
  goLiveMonth: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
    .nullable()
    .default(null)
    .describe(
      'first assessed month; earlier months are not assessed. null: the month of the first case central holds',
    ),
  annualDivisor: z
    .enum(['twelve', 'assessedMonths'])
    .default('twelve')
    .describe(
      'twelve: Σ of the assessed months ÷ 12 (the plan); assessedMonths: ÷ the number of assessed months',
    ),
  defaultIncludedItems: z
    .array(z.enum(ITEM_KEYS))
    .describe('items assessed in a month unless the month says otherwise'),
  weights: z.strictObject({
    byKind: z.record(z.string(), z.number().min(0).max(1)),
    byUnit: z.record(z.string(), z.number().min(0).max(1)).default({}),
    default: z.number().min(0).max(1),
  }),
  skipKinds: z.array(z.string()).describe('org kinds never assessed (the command centre)'),
  decimals: z.number().int().min(0).max(6),
});
export type Rules = z.infer<typeof RulesSchema>;

export const DEFAULT_RULES_FILE = fileURLToPath(new URL('./rules.json', import.meta.url));

/** Validate a rules object; throws one Error naming every bad field. */
export function parseRules(raw: unknown, origin = 'rules'): Rules {
  const r = RulesSchema.safeParse(raw);
  if (!r.success)
    throw new Error(
      `${origin}: invalid scoring rules: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  const cats = new Map<string, string>();
  for (const item of ['discipline', 'muck', 'equipment'] as const)
    for (const code of Object.keys(r.data.items[item].categories)) {
      const seen = cats.get(code);
      if (seen) throw new Error(`${origin}: category ${code} is listed under both ${seen} and ${item}`);
      cats.set(code, item);
    }
  return r.data;
}

export function loadRules(file = DEFAULT_RULES_FILE): Rules {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read scoring rules: ${(e as Error).message}`);
  }
  return parseRules(raw, file);
}
