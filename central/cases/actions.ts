/**
 * @module central/cases/actions
 * What each workflow action needs as input (zod schemas, served in the OpenAPI document) and
 * what it does to the case beyond the state change (deadline, counters, evaluation). The table
 * of who may move which state where is in `workflow.ts`; this file never decides legality.
 */
import { z } from 'zod';
import { handlesCases } from '../city/handling.js';
import type { City } from '../city/index.js';
import { ProblemError } from '../http/problem.js';
import type { CaseRecord, DispatchData, RejectReason } from './model.js';
import { REJECT_REASONS } from './model.js';
import { dispatchDeadline } from './redispatch.js';
import type { CaseAction } from './workflow.js';

const Note = z.string().trim().max(2000);
const Attachments = z.array(z.string().max(128)).max(9).default([]);
const Base = z.strictObject({
  note: Note.optional(),
  attachments: Attachments,
  version: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('the case version the change was made against (as If-Match); stale → 409 with `current`'),
});
const NoteRequired = Base.extend({ note: Note.min(1, 'a note (reason) is required') });
const Span = { value: z.number().positive().max(1000), unit: z.enum(['workHours', 'workDays']) };

export const ACTION_INPUTS = {
  register: Base.extend({
    category: z
      .string()
      .regex(/^\d{2}\.\d{2}$/)
      .optional()
      .describe('correct the category while registering'),
    gridCode: z
      .string()
      .regex(/^\d{15}$/)
      .optional()
      .describe('correct the grid while registering'),
  }),
  reject: Base.extend({ reason: z.enum(REJECT_REASONS) }),
  merge: Base.extend({ into: z.string().min(1).max(64).describe('the open case that absorbs this one') }),
  dispatch: Base.extend({ unitId: z.string().max(64).optional().describe('default: the routed unit') }),
  accept: Base,
  return: NoteRequired,
  request_extension: NoteRequired.extend(Span),
  approve_extension: Base,
  refuse_extension: Base,
  feedback: NoteRequired.extend({
    attachments: z.array(z.string().max(128)).min(1, 'feedback needs a photo').max(9),
  }),
  close: Base,
  rework: NoteRequired,
  suspend: NoteRequired,
  resume: Base,
  cancel: NoteRequired,
} satisfies Record<CaseAction, z.ZodType>;

export type ActionInput<A extends CaseAction> = z.infer<(typeof ACTION_INPUTS)[A]>;
type AnyInput = z.infer<(typeof ACTION_INPUTS)[CaseAction]>;

export interface ActionContext {
  city: City;
  now: Date;
  actorId: string;
  actorUnitId?: string;
}

/** Side effects of an allowed action on a cloned case (state is set by the caller). */
export function applyAction(
  c: CaseRecord,
  action: CaseAction,
  input: AnyInput,
  ctx: ActionContext,
): Record<string, unknown> {
  const { city, now } = ctx;
  const iso = now.toISOString();
  const i = input as Record<string, unknown>;
  switch (action) {
    case 'register': {
      if (typeof i.category === 'string') {
        if (!city.categories.has(i.category))
          throw new ProblemError(422, 'unknown-category', `unknown category ${i.category}`);
        c.category = i.category;
        c.deadlineSpec = city.deadlineOf(i.category);
      }
      if (typeof i.gridCode === 'string') {
        const g = city.grids.get(i.gridCode);
        if (!g) throw new ProblemError(422, 'unknown-grid', `unknown grid ${i.gridCode}`);
        Object.assign(c.location, { gridCode: g.code, streetId: g.streetId, areaId: g.areaId });
      }
      c.proposedUnitId = city.route(c.category, c.location.gridCode);
      return { category: c.category, gridCode: c.location.gridCode, proposedUnitId: c.proposedUnitId };
    }
    case 'reject':
      c.rejection = {
        reason: i.reason as RejectReason,
        note: i.note as string | undefined,
        at: iso,
        by: ctx.actorId,
      };
      return { reason: i.reason };
    case 'dispatch': {
      const unitId = (i.unitId as string | undefined) ?? city.route(c.category, c.location.gridCode);
      if (!unitId)
        throw new ProblemError(
          422,
          'no-responsible-unit',
          'no unit routes for this category and grid; give unitId',
        );
      const unit = city.units.get(unitId);
      if (!unit) throw new ProblemError(422, 'unknown-unit', `unknown unit ${unitId}`);
      if (!handlesCases(unit))
        throw new ProblemError(
          422,
          'unit-cannot-handle',
          `${unit.name} (${unitId}, ${unit.kind}) does not handle cases; dispatch to a bureau unit, district bureau, zone brigade or street office`,
        );
      c.deadline = dispatchDeadline(c, unitId, city, now);
      c.unitId = unitId;
      c.counts.dispatches++;
      c.firstDispatchedAt ??= iso;
      c.lastDispatchedAt = iso;
      return { unitId, deadline: c.deadline } satisfies DispatchData;
    }
    case 'return': {
      const from = c.unitId;
      const deadline = c.deadline;
      c.counts.returns++;
      c.unitId = undefined;
      c.deadline = undefined;
      // the clock it had: a re-dispatch to the same unit keeps it (cases/redispatch.ts)
      return { returnedBy: from, deadline };
    }
    case 'request_extension':
      c.extensionRequest = {
        value: i.value as number,
        unit: i.unit as 'workHours' | 'workDays',
        reason: i.note as string,
        at: iso,
      };
      return { ...c.extensionRequest };
    case 'approve_extension': {
      const req = c.extensionRequest!;
      const base = c.deadline && Date.parse(c.deadline) > now.getTime() ? new Date(c.deadline) : now;
      c.deadline = city.calendar.addWorkingTime(base, { value: req.value, unit: req.unit }).toISOString();
      c.counts.extensions++;
      c.extensionRequest = undefined;
      return { deadline: c.deadline };
    }
    case 'refuse_extension':
      c.extensionRequest = undefined;
      return {};
    case 'feedback':
      c.lastFeedbackAt = iso;
      return {};
    case 'rework':
      // same unit, same deadline: a rework does not buy time
      c.counts.reworks++;
      c.lastDispatchedAt = iso;
      c.lastFeedbackAt = undefined;
      return { unitId: c.unitId!, deadline: c.deadline } satisfies DispatchData;
    case 'close':
      c.closedAt = iso;
      c.evaluation = {
        onTime: !!c.deadline && !!c.lastFeedbackAt && c.lastFeedbackAt <= c.deadline,
        reworkCount: c.counts.reworks,
        returnCount: c.counts.returns,
        extensionCount: c.counts.extensions,
        firstDispatchedAt: c.firstDispatchedAt!,
        finishedAt: c.lastFeedbackAt!,
        closedAt: iso,
        deadline: c.deadline!,
        unitId: c.unitId!,
        handlingWorkMinutes: Math.round(
          city.calendar.workingMinutesBetween(new Date(c.firstDispatchedAt!), new Date(c.lastFeedbackAt!)),
        ),
      };
      return {};
    case 'suspend':
      c.suspendedFrom = c.state;
      c.suspendedAt = iso;
      return { from: c.state };
    case 'resume': {
      // the parked working time does not count against the unit
      if (c.deadline && c.suspendedAt) {
        const parked = city.calendar.workingMinutesBetween(new Date(c.suspendedAt), now);
        const d = { value: parked / 60, unit: 'workHours' as const };
        c.deadline = city.calendar.addWorkingTime(new Date(c.deadline), d).toISOString();
      }
      c.suspendedAt = undefined;
      return { deadline: c.deadline };
    }
    default:
      return {};
  }
}
