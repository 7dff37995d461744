/**
 * @module central/cases/transitions
 * One workflow action on a case: check the transition table (role, unit, state), validate the
 * input, apply its effects, record history, commit at the version read. The store refuses a
 * commit when the case moved on since it was read (`StaleVersion`): with the client's version
 * (If-Match / body `version`) that is a 409 with the case as it is now; without one the action
 * is read, checked and applied again on the new state, so two concurrent changes (or an edge
 * revision) never overwrite each other.
 */
import type { User } from '../auth/roles.js';
import { ProblemError } from '../http/problem.js';
import { StaleVersion, type StoredCase } from '../store/contract/index.js';
import { ACTION_INPUTS, applyAction } from './actions.js';
import {
  actorOf,
  assertUncited,
  type CaseContext,
  citedByAnother,
  StaleCaseError,
  uploadedEvidence,
} from './context.js';
import { liveCase } from './from-incident.js';
import type { CaseRecord } from './model.js';
import { addEvidence, addHistory, bumpVersion } from './records.js';
import { canSee } from './visibility.js';
import { type CaseAction, checkTransition, isOpen } from './workflow.js';

/** How often an action without a client version is applied again after losing a race. */
const STALE_RETRIES = 5;

/** The case as it is now, and the transition the action makes from its state (or the problem). */
async function current(ctx: CaseContext, id: string, action: CaseAction, u: User) {
  const cur = await ctx.store.cases.get(id);
  if (!cur) throw new ProblemError(404, 'case-not-found', `no case ${id}`);
  if (u.role === 'unit_handler' && !canSee(u, cur.case))
    throw new ProblemError(403, 'not-your-unit', `case ${id} is not dispatched to your unit (${u.unitId})`);
  const chk = checkTransition(action, cur.case.state, { role: u.role, unitId: u.unitId }, cur.case.unitId);
  if (!chk.ok)
    throw new ProblemError(chk.status, chk.status === 409 ? 'illegal-transition' : 'forbidden', chk.reason, {
      state: cur.case.state,
      action,
    });
  return { cur, to: chk.to };
}

export async function act(
  ctx: CaseContext,
  id: string,
  action: CaseAction,
  rawInput: unknown,
  u: User,
  expectedVersion?: number,
): Promise<CaseRecord> {
  await current(ctx, id, action, u);
  const parsed = ACTION_INPUTS[action].safeParse(rawInput ?? {});
  if (!parsed.success)
    throw new ProblemError(
      422,
      'invalid-input',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
    );
  const input = parsed.data;
  const expected = expectedVersion ?? input.version;
  const attachments = await uploadedEvidence(
    ctx,
    input.attachments,
    action === 'feedback' ? 'photo' : 'any',
    action,
    u,
  );
  for (let attempt = 1; ; attempt++) {
    const { cur, to: target } = await current(ctx, id, action, u);
    if (expected !== undefined && expected !== cur.version) throw new StaleCaseError(cur.case, expected);
    await assertUncited(ctx, attachments);
    const now = ctx.now();
    const c = structuredClone(cur.case);
    const writes = [{ case: c, expectedVersion: cur.version }];
    let data: Record<string, unknown>;
    if (action === 'merge') {
      const into = await mergeTarget(ctx, c, (input as unknown as { into: string }).into);
      data = { into: into.case.id };
      writes.push({ case: mergedInto(into.case, c, u, now), expectedVersion: into.version });
    } else
      data = applyAction(c, action, input, { city: ctx.city, now, actorId: u.id, actorUnitId: u.unitId });
    const from = c.state;
    const to = target === 'previous' ? c.suspendedFrom! : target;
    if (action === 'resume') c.suspendedFrom = undefined;
    c.state = to;
    addEvidence(action === 'close' ? c.verificationEvidence : c.evidence, attachments);
    addHistory(c, {
      action,
      from,
      to,
      actor: actorOf(u),
      at: now.toISOString(),
      note: input.note,
      attachments: input.attachments.length ? input.attachments : undefined,
      data: Object.keys(data).length ? data : undefined,
    });
    if (action === 'close')
      addHistory(c, {
        action: 'evaluate',
        actor: { id: 'system', role: 'system' },
        at: now.toISOString(),
        data: { ...c.evaluation },
      });
    bumpVersion(c);
    try {
      await ctx.store.cases.commit({ cases: writes, claims: attachments.map((e) => e.name) });
      return c;
    } catch (e) {
      if (!(e instanceof StaleVersion)) throw citedByAnother(e);
      // the client's version was current when read, and the case moved on before the write
      if (expected !== undefined && e.caseId === id) {
        const now2 = await ctx.store.cases.get(id);
        throw new StaleCaseError(now2?.case ?? cur.case, expected);
      }
      if (attempt >= STALE_RETRIES)
        throw new ProblemError(409, 'stale-case', `case ${e.caseId} keeps changing; try again`);
    }
  }
}

async function mergeTarget(ctx: CaseContext, c: CaseRecord, into: string): Promise<StoredCase> {
  const target = await liveCase((id) => ctx.store.cases.get(id), into);
  if (!target || target.case.id === c.id)
    throw new ProblemError(422, 'invalid-merge-target', `cannot merge into ${into}`);
  if (!isOpen(target.case.state))
    throw new ProblemError(
      409,
      'merge-target-closed',
      `case ${target.case.id} is ${target.case.state}; merge needs an open case`,
    );
  c.mergedInto = target.case.id;
  return target;
}

/** The merge target after taking in the merged case's evidence, incidents and links. */
function mergedInto(target: CaseRecord, c: CaseRecord, u: User, now: Date): CaseRecord {
  const t = structuredClone(target);
  addEvidence(t.evidence, c.evidence);
  addEvidence(t.verificationEvidence, c.verificationEvidence);
  t.mergedFrom.push(c.id);
  t.refs.incidentIds = [...new Set([...t.refs.incidentIds, ...c.refs.incidentIds])];
  t.duplicateCandidates = t.duplicateCandidates.filter((d) => d !== c.id);
  bumpVersion(t);
  addHistory(t, {
    action: 'merged_in',
    actor: actorOf(u),
    at: now.toISOString(),
    data: { from: c.id, evidence: c.evidence.length },
  });
  return t;
}
