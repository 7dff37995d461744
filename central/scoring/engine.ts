/**
 * @module central/scoring/engine
 * The plan's formula, pure: `(month inputs, rules, organisation) → scores of one level`.
 *
 *   deductions D = Σ over the month's included items of Σ points of the item's events
 *   raw          = 100 − min(D, 100) + B        (bonusLiftsFullyDeducted = true, the default)
 *                = max(0, 100 + B − D)          (bonusLiftsFullyDeducted = false)
 *   raw          = min(raw, 100)                (bonusCap = allotted, the default)
 *   monthly      = raw × weight                 (B = the unit's approved bonus points)
 *
 * An item not included deducts 0 (its events are still listed). Members are ranked by raw
 * score (weights differ between bureau units and districts), ties share a rank.
 * @example
 *   const { events, validReports } = extractEvents({ cases }, monthWindow('2026-11', 480), tree, rules);
 *   const level = scoreLevel({ month: '2026-11', levelId: 'bureau', events, validReports, bonuses: [] }, tree, rules);
 */
import type { ScoreEvent, ValidReport } from './events.js';
import type { OrgTree } from './org.js';
import { ITEM_KEYS, ITEMS, type ItemKey, type Rules } from './rules.js';

export const BONUS_STATES = ['pending', 'approved', 'rejected'] as const;
export type BonusState = (typeof BONUS_STATES)[number];

export interface BonusItem {
  id: string;
  /** the month whose score it adds to */
  month: string;
  unitId: string;
  points: number;
  reason: string;
  /** uploads backing the proposal (POST /api/attachments by its proposer), each cited once */
  attachments?: { name: string; contentType: string }[];
  state: BonusState;
  createdBy: string;
  createdAt: string;
  decidedBy?: string;
  decidedAt?: string;
  decisionNote?: string;
}

export interface LevelInput {
  month: string;
  /** the unit whose members are scored (bureau, a district or unit, a street) */
  levelId: string;
  events: readonly ScoreEvent[];
  validReports: readonly ValidReport[];
  bonuses: readonly BonusItem[];
  /** items assessed this month; default: the rules' defaultIncludedItems */
  includedItems?: readonly ItemKey[];
  /**
   * share of the month that has passed (1 for a month that ended): a provisional month's
   * collector quota is pro-rated to it, so day 1 does not deduct the whole month's quota
   */
  elapsed?: number;
}

export interface ItemResult {
  item: ItemKey;
  zh: string;
  included: boolean;
  /** points deducted (0 when not included) */
  deduction: number;
  events: ScoreEvent[];
}

export interface CollectorQuota {
  collectorId: string;
  name: string;
  unitId: string;
  gridCodes: string[];
  valid: number;
  /** the quota as of now: the month's quota pro-rated while the month runs */
  quota: number;
  /** the whole month's quota */
  monthQuota: number;
  shortfall: number;
  caseIds: string[];
}

export interface UnitScore {
  unitId: string;
  name: string;
  kind: string;
  weight: number;
  items: Record<ItemKey, ItemResult>;
  deductions: number;
  bonus: number;
  bonusItems: BonusItem[];
  raw: number;
  weighted: number;
  rank: number;
  collectors: CollectorQuota[];
  reports: { valid: number; quota: number };
}

export interface LevelResult {
  month: string;
  levelId: string;
  levelName: string;
  includedItems: ItemKey[];
  bonusLiftsFullyDeducted: boolean;
  members: UnitScore[];
}

export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round((x + Number.EPSILON) * f) / f;
}

/** Combine deductions and bonus by the plan's formula and the bonus settings. */
export function rawScore(
  deductions: number,
  bonus: number,
  bonusLiftsFullyDeducted: boolean,
  bonusCap: Rules['bonusCap'] = 'allotted',
): number {
  const raw = bonusLiftsFullyDeducted
    ? 100 - Math.min(deductions, 100) + bonus
    : Math.max(0, 100 + bonus - deductions);
  return bonusCap === 'allotted' ? Math.min(100, raw) : raw;
}

/** Collectors' valid reports against the quota, each with the unit they report for. */
export function collectorQuotas(
  validReports: readonly ValidReport[],
  tree: OrgTree,
  rules: Rules,
  elapsed = 1,
): CollectorQuota[] {
  const byCollector = new Map<string, string[]>();
  for (const r of validReports) {
    const list = byCollector.get(r.collectorId) ?? [];
    list.push(r.caseId);
    byCollector.set(r.collectorId, list);
  }
  const monthQuota = rules.items.reports.quota;
  const quota = Math.floor(monthQuota * Math.min(1, Math.max(0, elapsed)));
  const out: CollectorQuota[] = [];
  for (const c of tree.collectors) {
    const unitId = tree.collectorUnit(c);
    if (!unitId) continue;
    const caseIds = byCollector.get(c.id) ?? [];
    out.push({
      collectorId: c.id,
      name: c.name,
      unitId,
      gridCodes: c.gridCodes,
      valid: caseIds.length,
      quota,
      monthQuota,
      shortfall: Math.max(0, quota - caseIds.length),
      caseIds,
    });
  }
  return out;
}

export function scoreLevel(input: LevelInput, tree: OrgTree, rules: Rules): LevelResult {
  const level = tree.units.get(input.levelId);
  if (!level) throw new Error(`unknown level unit ${input.levelId}`);
  const members = tree.members(level.id, rules);
  const memberIds = new Set(members.map((m) => m.id));
  const included = new Set(input.includedItems ?? rules.defaultIncludedItems);
  const dp = rules.decimals;

  const eventsOf = new Map<string, ScoreEvent[]>();
  const memberOf = new Map<string, string | undefined>();
  const push = (unitId: string, e: ScoreEvent) => {
    if (!memberOf.has(unitId)) memberOf.set(unitId, tree.memberFor(unitId, memberIds));
    const m = memberOf.get(unitId);
    if (!m) return;
    const list = eventsOf.get(m) ?? [];
    list.push(e);
    eventsOf.set(m, list);
  };
  for (const e of input.events) push(e.unitId, e);

  const collectorsOf = new Map<string, CollectorQuota[]>();
  for (const q of collectorQuotas(input.validReports, tree, rules, input.elapsed)) {
    const m = tree.memberFor(q.unitId, memberIds);
    if (!m) continue;
    const list = collectorsOf.get(m) ?? [];
    list.push(q);
    collectorsOf.set(m, list);
    if (q.shortfall > 0)
      push(q.unitId, {
        key: `reportShortfall:${q.collectorId}:${input.month}`,
        item: 'reports',
        kind: 'reportShortfall',
        at: input.month,
        unitId: q.unitId,
        collectorId: q.collectorId,
        quantity: q.shortfall,
        points: q.shortfall * rules.items.reports.perMissingReport,
      });
  }

  const scores: UnitScore[] = members.map((m) => {
    const byItem = new Map<ItemKey, ScoreEvent[]>(ITEM_KEYS.map((k) => [k, []]));
    for (const e of eventsOf.get(m.id) ?? []) byItem.get(e.item)?.push(e);
    const items = {} as Record<ItemKey, ItemResult>;
    for (const k of ITEM_KEYS) {
      const mine = (byItem.get(k) as ScoreEvent[]).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      const sum = mine.reduce((s, e) => s + e.points, 0);
      items[k] = {
        item: k,
        zh: ITEMS[k].zh,
        included: included.has(k),
        deduction: included.has(k) ? round(sum, dp) : 0,
        events: mine,
      };
    }
    const deductions = round(
      ITEM_KEYS.reduce((s, k) => s + items[k].deduction, 0),
      dp,
    );
    const bonusItems = input.bonuses.filter(
      (b) => b.state === 'approved' && b.unitId === m.id && b.month === input.month,
    );
    const bonus = round(
      bonusItems.reduce((s, b) => s + b.points, 0),
      dp,
    );
    const raw = round(rawScore(deductions, bonus, rules.bonusLiftsFullyDeducted, rules.bonusCap), dp);
    const weight = tree.weight(m, rules);
    const collectors = collectorsOf.get(m.id) ?? [];
    return {
      unitId: m.id,
      name: m.name,
      kind: m.kind,
      weight,
      items,
      deductions,
      bonus,
      bonusItems,
      raw,
      weighted: round(raw * weight, dp),
      rank: 0,
      collectors,
      reports: {
        valid: collectors.reduce((s, c) => s + c.valid, 0),
        quota: collectors.reduce((s, c) => s + c.quota, 0),
      },
    };
  });
  // competition ranking (1, 2, 2, 4): a member's rank is 1 + how many scored strictly higher
  const raws = scores.map((s) => s.raw).sort((a, b) => b - a);
  for (const s of scores) s.rank = 1 + raws.findIndex((r) => r <= s.raw);
  scores.sort((a, b) => a.rank - b.rank || a.unitId.localeCompare(b.unitId));
  return {
    month: input.month,
    levelId: level.id,
    levelName: level.name,
    includedItems: ITEM_KEYS.filter((k) => included.has(k)),
    bonusLiftsFullyDeducted: rules.bonusLiftsFullyDeducted,
    members: scores,
  };
}
