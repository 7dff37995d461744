/**
 * @module central/cases/workflow
 * The case lifecycle in one place: states with their group, predicates, and the explicit
 * transition table (which action moves which state to which, and who may do it).
 *
 * Lifecycle (the city's seven steps):
 *   1 collect   — every source (AI/vehicle incident, collector, 12345, citizen/WeChat, leader,
 *                 Open311) opens a case in `reported`.
 *   2 register  — an operator registers it (`register`, 立案) → `registered`, or rejects it
 *                 (`reject`: false positive, invalid, duplicate, out of scope) → `rejected`,
 *                 or merges it into an open case (`merge`) → `merged`.
 *   3 dispatch  — `dispatch` to the responsible unit with a deadline → `dispatched`.
 *   4 process   — the unit accepts (`accept`, 签收) → `processing`; it may send a wrongly
 *                 dispatched case back (`return`, 回退) → `returned` (the centre re-dispatches),
 *                 or ask for more time (`request_extension`, 延期) → `extension_pending`, which
 *                 the centre approves (deadline moves) or refuses; either way back to `processing`.
 *   5 feedback  — the unit reports the result with photos (`feedback`) → `feedback`.
 *   6 verify    — the centre verifies: done → `close` → `closed`; not done → `rework`
 *                 (返工, counted) → `dispatched` again to the same unit.
 *   7 evaluate  — on close the system writes the evaluation (on time, rework, returns) that
 *                 scoring reads; it is an `evaluate` history entry, not a separate state.
 * Beside the main line: `suspend` (挂账) parks an open case and `resume` puts it back where it
 * was (the deadline moves by the parked time); `cancel` (作废) ends any open case.
 */
import { keysOf, type Label, labels } from '../../protocol/index.js';
import type { Role } from '../auth/roles.js';

export const CASE_STATES = labels({
  reported: { zh: '待确认', en: 'Reported, awaiting registration', step: 1, group: 'intake' },
  registered: { zh: '已立案', en: 'Registered, awaiting dispatch', step: 2, group: 'centre' },
  dispatched: { zh: '已派遣', en: 'Dispatched, awaiting the unit', step: 3, group: 'unit' },
  processing: { zh: '处理中', en: 'Being handled by the unit', step: 4, group: 'unit' },
  extension_pending: { zh: '延期待批', en: 'Extension requested', step: 4, group: 'unit' },
  returned: { zh: '已回退', en: 'Returned by the unit', step: 4, group: 'centre' },
  feedback: { zh: '已反馈待核查', en: 'Handled, awaiting verification', step: 5, group: 'centre' },
  suspended: { zh: '挂账', en: 'Suspended', step: 0, group: 'parked' },
  closed: { zh: '已结案', en: 'Closed', step: 6, group: 'done' },
  rejected: { zh: '不予立案', en: 'Rejected', step: 2, group: 'done' },
  merged: { zh: '已合并', en: 'Merged into another case', step: 2, group: 'done' },
  cancelled: { zh: '已作废', en: 'Cancelled', step: 0, group: 'done' },
});

export type CaseState = keyof typeof CASE_STATES;
export const CASE_STATE_NAMES = keysOf(CASE_STATES);

/** Not finished: still needs someone to act. */
export function isOpen(s: CaseState): boolean {
  return CASE_STATES[s].group !== 'done';
}
/** The unit holds the case; its deadline runs and it can be overdue. */
export function isWithUnit(s: CaseState): boolean {
  return CASE_STATES[s].group === 'unit';
}
/** Registered at some point (valid report) — rejected/merged reports are not. */
export function wasRegistered(s: CaseState): boolean {
  return s !== 'reported' && s !== 'rejected' && s !== 'merged';
}

export const ACTIONS = [
  'register',
  'reject',
  'merge',
  'dispatch',
  'accept',
  'return',
  'request_extension',
  'approve_extension',
  'refuse_extension',
  'feedback',
  'close',
  'rework',
  'suspend',
  'resume',
  'cancel',
] as const;
export type CaseAction = (typeof ACTIONS)[number];

/** A move of the table; its `zh`/`en` name it on its button and in the case history. */
export interface Transition extends Label {
  from: readonly CaseState[];
  /** 'previous' = the state saved when the case was suspended. */
  to: CaseState | 'previous';
  roles: readonly Role[];
  /** the actor must belong to the case's responsible unit (unit handlers). */
  ownUnit?: boolean;
}

const CENTRE: readonly Role[] = ['operator', 'admin'];
const CENTRE_LEAD: readonly Role[] = ['operator', 'leader', 'admin'];
const SUSPENDABLE: readonly CaseState[] = [
  'registered',
  'dispatched',
  'processing',
  'extension_pending',
  'returned',
  'feedback',
];

/** The one transition table. An action not listed for a state is refused with 409. */
export const TRANSITIONS: Record<CaseAction, Transition> = {
  register: { from: ['reported'], to: 'registered', roles: CENTRE, zh: '立案', en: 'Register' },
  reject: { from: ['reported'], to: 'rejected', roles: CENTRE, zh: '不予立案', en: 'Reject' },
  merge: { from: ['reported', 'registered'], to: 'merged', roles: CENTRE, zh: '合并', en: 'Merge' },
  dispatch: { from: ['registered', 'returned'], to: 'dispatched', roles: CENTRE, zh: '派遣', en: 'Dispatch' },
  accept: {
    from: ['dispatched'],
    to: 'processing',
    roles: ['unit_handler'],
    ownUnit: true,
    zh: '签收',
    en: 'Accept',
  },
  return: {
    from: ['dispatched', 'processing'],
    to: 'returned',
    roles: ['unit_handler'],
    ownUnit: true,
    zh: '回退',
    en: 'Return',
  },
  request_extension: {
    from: ['processing'],
    to: 'extension_pending',
    roles: ['unit_handler'],
    ownUnit: true,
    zh: '申请延期',
    en: 'Ask for more time',
  },
  approve_extension: {
    from: ['extension_pending'],
    to: 'processing',
    roles: CENTRE_LEAD,
    zh: '批准延期',
    en: 'Approve the extension',
  },
  refuse_extension: {
    from: ['extension_pending'],
    to: 'processing',
    roles: CENTRE_LEAD,
    zh: '驳回延期',
    en: 'Refuse the extension',
  },
  feedback: {
    from: ['processing', 'extension_pending'],
    to: 'feedback',
    roles: ['unit_handler'],
    ownUnit: true,
    zh: '处理反馈',
    en: 'Report it done',
  },
  close: { from: ['feedback'], to: 'closed', roles: CENTRE, zh: '核查结案', en: 'Verify and close' },
  rework: {
    from: ['feedback'],
    to: 'dispatched',
    roles: CENTRE,
    zh: '核查不通过，返工',
    en: 'Send back for rework',
  },
  suspend: { from: SUSPENDABLE, to: 'suspended', roles: CENTRE_LEAD, zh: '挂账', en: 'Suspend' },
  resume: { from: ['suspended'], to: 'previous', roles: CENTRE_LEAD, zh: '恢复', en: 'Resume' },
  cancel: {
    from: ['reported', ...SUSPENDABLE, 'suspended'],
    to: 'cancelled',
    roles: ['leader', 'admin'],
    zh: '作废',
    en: 'Cancel',
  },
};

export type Refusal = { status: 403 | 409; reason: string };

/** Check an action against the table; returns the target state or why it is refused. */
export function checkTransition(
  action: CaseAction,
  state: CaseState,
  actor: { role: Role; unitId?: string },
  caseUnitId: string | undefined,
): { ok: true; to: CaseState | 'previous' } | ({ ok: false } & Refusal) {
  const t = TRANSITIONS[action];
  if (!t.roles.includes(actor.role))
    return {
      ok: false,
      status: 403,
      reason: `role ${actor.role} may not ${action} (allowed: ${t.roles.join(', ')})`,
    };
  if (t.ownUnit && (!actor.unitId || actor.unitId !== caseUnitId))
    return {
      ok: false,
      status: 403,
      reason: `the case is not dispatched to your unit (${actor.unitId ?? 'none'})`,
    };
  if (!t.from.includes(state))
    return {
      ok: false,
      status: 409,
      reason: `cannot ${action} a case in state ${state} (${CASE_STATES[state].zh}); allowed from: ${t.from.join(', ')}`,
    };
  return { ok: true, to: t.to };
}
