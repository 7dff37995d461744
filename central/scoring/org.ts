/**
 * @module central/scoring/org
 * The organisation tree as scoring sees it: who belongs to which assessed unit at a level, the
 * weight of each member, and which unit a collector reports for. A level is a parent node (the
 * bureau, a district or unit, a street); its members are its direct children; every event of a
 * member's subtree counts for that member. Pure, built once per computation.
 */
import type { City } from '../city/index.js';
import type { Rules } from './rules.js';

export interface OrgUnit {
  id: string;
  name: string;
  kind: string;
  parentId?: string;
  /** weight from the organisation file (10% bureau units, 20% districts) */
  weight?: number;
}
export interface OrgGrid {
  code: string;
  communityId: string;
  streetId: string;
  areaId: string;
}
export interface OrgCollector {
  id: string;
  name: string;
  gridCodes: string[];
}
/** Everything scoring needs from the city's reference data; plain data so the engine stays pure. */
export interface OrgInput {
  units: OrgUnit[];
  grids: OrgGrid[];
  collectors: OrgCollector[];
}

export function orgFromCity(city: City): OrgInput {
  return {
    units: [...city.units.values()].map((u) => ({
      id: u.id,
      name: u.name,
      kind: u.kind,
      parentId: u.parentId,
      weight: u.weight,
    })),
    grids: [...city.grids.values()].map((g) => ({
      code: g.code,
      communityId: g.communityId,
      streetId: g.streetId,
      areaId: g.areaId,
    })),
    collectors: [...city.collectors.values()].map((c) => ({
      id: c.id,
      name: c.name,
      gridCodes: c.gridCodes,
    })),
  };
}

export class OrgTree {
  readonly units = new Map<string, OrgUnit>();
  readonly children = new Map<string, OrgUnit[]>();
  readonly grids = new Map<string, OrgGrid>();
  readonly collectors: OrgCollector[];

  constructor(input: OrgInput) {
    for (const u of input.units) this.units.set(u.id, u);
    for (const u of input.units)
      if (u.parentId) {
        const list = this.children.get(u.parentId) ?? [];
        list.push(u);
        this.children.set(u.parentId, list);
      }
    for (const g of input.grids) this.grids.set(g.code, g);
    this.collectors = input.collectors;
  }

  /** The root (the bureau): the unit without a parent. */
  root(): OrgUnit {
    const r = [...this.units.values()].find((u) => !u.parentId);
    if (!r) throw new Error('organisation tree has no root unit');
    return r;
  }

  /** Members assessed at the level of `parentId`: its children, except skipped kinds. */
  members(parentId: string, rules: Rules): OrgUnit[] {
    return (this.children.get(parentId) ?? []).filter((u) => !rules.skipKinds.includes(u.kind));
  }

  /** Every unit with assessed members: the levels a city can ask for. */
  levels(rules: Rules): OrgUnit[] {
    return [...this.units.values()].filter((u) => this.members(u.id, rules).length > 0);
  }

  /** Ancestors of a unit, nearest first, the unit itself included. */
  path(unitId: string): string[] {
    const out: string[] = [];
    let u = this.units.get(unitId);
    while (u && out.length < 32) {
      out.push(u.id);
      u = u.parentId ? this.units.get(u.parentId) : undefined;
    }
    return out;
  }

  /** Which member of a level an event of `unitId` counts for, if any. */
  memberFor(unitId: string, memberIds: ReadonlySet<string>): string | undefined {
    for (const id of this.path(unitId)) if (memberIds.has(id)) return id;
    return undefined;
  }

  /**
   * A member's weight: the rules' per-unit weight, else the organisation file's weight — which is
   * the unit's share of the city's assessment and so applies at the root level only — else the
   * rules' weight for its kind. Every member of a lower level is weighted by kind, so `?level=dc`
   * weighs its bureaus and its streets alike.
   */
  weight(u: OrgUnit, rules: Rules): number {
    const orgWeight = u.parentId === this.root().id ? u.weight : undefined;
    return rules.weights.byUnit[u.id] ?? orgWeight ?? rules.weights.byKind[u.kind] ?? rules.weights.default;
  }

  /**
   * The unit that did the work: a case routed to a street office is refined to the community
   * of its grid, so a street can assess its communities with the same events.
   */
  workUnit(unitId: string, gridCode: string | undefined): string {
    const u = this.units.get(unitId);
    if (u?.kind !== 'street' || !gridCode) return unitId;
    const g = this.grids.get(gridCode);
    const community = g ? this.units.get(g.communityId) : undefined;
    return community?.parentId === unitId ? community.id : unitId;
  }

  /** The community (or lowest known unit) a collector reports for: their first grid's community. */
  collectorUnit(c: OrgCollector): string | undefined {
    for (const code of c.gridCodes) {
      const g = this.grids.get(code);
      if (g)
        return this.units.has(g.communityId)
          ? g.communityId
          : this.units.has(g.streetId)
            ? g.streetId
            : g.areaId;
    }
    return undefined;
  }
}
