/**
 * @module console/roles
 * What the signed-in person may see and do, from the server's transition table
 * (`/console/meta.json`, built from central/cases/workflow.ts). Hidden actions are a courtesy:
 * the API enforces the same table.
 */
import { label } from './i18n.js';

const PAGES_BY_ROLE = {
  operator: ['queue', 'cases', 'map', 'devices', 'scores'],
  admin: ['queue', 'cases', 'map', 'devices', 'scores'],
  leader: ['cases', 'map', 'devices', 'scores'],
  unit_handler: ['cases', 'map'],
  collector: ['cases'],
  integration: [],
};

export function makeCtx(me, meta) {
  const ctx = {
    me,
    meta,
    pages: PAGES_BY_ROLE[me.role] ?? [],
    roleLabel: '',
    seesAll: ['operator', 'leader', 'admin'].includes(me.role),
    relabel() {
      ctx.roleLabel = label(meta.roles?.[me.role], me.role);
    },
    /** May this person take `action` on case `c` now (role, own unit, state)? */
    can(action, c) {
      const tr = meta.transitions?.[action];
      if (!tr?.roles.includes(me.role)) return false;
      if (tr.ownUnit && (!me.unitId || me.unitId !== c?.unitId)) return false;
      return !c || tr.from.includes(c.state);
    },
    /** Actions for a case, in the table's order. */
    actionsFor(c) {
      return Object.keys(meta.transitions ?? {}).filter((a) => ctx.can(a, c));
    },
    stateLabel: (s) => label(meta.states?.[s], s),
    sourceLabel: (s) => label(meta.sources?.[s], s),
    kindLabel: (k) => label(meta.kinds?.[k], k),
    isOpen: (s) => meta.states?.[s]?.group !== 'done',
    actionLabel: (a, t) => t(`action.${a}`),
  };
  ctx.relabel();
  return ctx;
}
