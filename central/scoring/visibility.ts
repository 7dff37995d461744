/**
 * @module central/scoring/visibility
 * What a unit handler may see of a month: the ranking table (every member's score and item
 * deductions) and the detail — events with their cases, devices and collectors, bonus items
 * with their reasons — of its own unit's subtree only. Operators, leaders and admins see all.
 */
import type { User } from '../auth/index.js';
import type { BonusItem, LevelResult, UnitScore } from './engine.js';
import type { OrgTree } from './org.js';
import { ITEM_KEYS } from './rules.js';

/** The unit whose subtree the user may see in detail; undefined: everything. */
export function detailScope(user: User): string | undefined {
  return user.role === 'unit_handler' ? user.unitId : undefined;
}

export const inScope = (tree: OrgTree, unitId: string, scope: string | undefined): boolean =>
  scope === undefined || tree.path(unitId).includes(scope);

/** A member with only the detail in the scope kept (the numbers of the ranking stay). */
export function redactMember(m: UnitScore, tree: OrgTree, scope: string | undefined): UnitScore {
  if (inScope(tree, m.unitId, scope)) return m;
  const items = { ...m.items };
  for (const k of ITEM_KEYS)
    items[k] = { ...items[k], events: items[k].events.filter((e) => inScope(tree, e.unitId, scope)) };
  return {
    ...m,
    items,
    bonusItems: m.bonusItems.filter((b) => inScope(tree, b.unitId, scope)),
    collectors: m.collectors.filter((c) => inScope(tree, c.unitId, scope)),
  };
}

export function redactResult(r: LevelResult, tree: OrgTree, scope: string | undefined): LevelResult {
  return scope === undefined ? r : { ...r, members: r.members.map((m) => redactMember(m, tree, scope)) };
}

export function visibleBonuses(items: BonusItem[], tree: OrgTree, scope: string | undefined): BonusItem[] {
  return items.filter((b) => inScope(tree, b.unitId, scope));
}
