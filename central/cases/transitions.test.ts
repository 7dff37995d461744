/**
 * transitions - workflow actions at the version read: a client's stale version is a 409 with the
 * case as it is; two actions racing without one never overwrite each other (one wins, the other
 * is checked again on the new state); a merge moves evidence and incident links to its target; a
 * close writes the evaluation as a second history entry under one version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ZHENGXIANG } from '../../sim/city-points.js';
import { caseService, USERS } from '../../test/support/case-service.js';
import { StaleCaseError } from './context.js';

let t: ReturnType<typeof caseService>;
afterEach(() => t?.done());

async function reported(photos: string[] = []) {
  const r = await t.svc.intake(
    { source: 'hotline_12345', category: '01.04', description: '垃圾', location: { ...ZHENGXIANG }, photos },
    USERS.operator,
  );
  return r.case;
}

describe('transitions', () => {
  it('a stale client version is a 409 carrying the case as it is; nothing changes', async () => {
    t = caseService();
    const k = await reported();
    const reg = await t.svc.act(k.id, 'register', {}, USERS.operator, 1);
    expect(reg.version).toBe(2);
    const err = await t.svc.act(k.id, 'dispatch', {}, USERS.operator, 1).catch((e) => e);
    expect(err).toBeInstanceOf(StaleCaseError);
    expect((err as StaleCaseError).current).toMatchObject({ state: 'registered', version: 2 });
    expect((await t.store.cases.get(k.id))!.case.history.map((h) => h.action)).toEqual([
      'report',
      'register',
    ]);
  });

  it('register and reject at once: one wins, the other is 409 on the new state; the history has the winner only', async () => {
    t = caseService();
    const k = await reported();
    const r = await Promise.allSettled([
      t.svc.act(k.id, 'register', {}, USERS.operator),
      t.svc.act(k.id, 'reject', { reason: 'invalid' }, USERS.operator),
    ]);
    expect(r.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = r.find((x) => x.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ status: 409, slug: 'illegal-transition' });
    const h = (await t.store.cases.get(k.id))!.case.history;
    expect(h).toHaveLength(2);
  });

  it('two actions racing without a version: each success is in the history, the second applied on the first', async () => {
    t = caseService();
    const k = await reported();
    await t.svc.act(k.id, 'register', {}, USERS.operator);
    const r = await Promise.allSettled([
      t.svc.act(k.id, 'suspend', { note: '等待' }, USERS.operator),
      t.svc.act(k.id, 'cancel', { note: '重复' }, USERS.leader),
    ]);
    const ok = r.filter((x) => x.status === 'fulfilled').length;
    expect(ok).toBeGreaterThanOrEqual(1);
    const c = (await t.store.cases.get(k.id))!.case;
    const after = c.history.slice(2);
    expect(after).toHaveLength(ok);
    expect(after[0]!.from).toBe('registered');
    if (ok === 2) expect(after[1]!.from).toBe(after[0]!.to); // never both applied to 'registered'
    expect(c.version).toBe(2 + ok);
  });

  it('merge moves evidence and links; close writes the evaluation under the same version', async () => {
    t = caseService();
    const p = await t.photo(USERS.operator);
    const a = await reported([p]);
    const b = await reported();
    const merged = await t.svc.act(a.id, 'merge', { into: b.id }, USERS.operator);
    expect(merged).toMatchObject({ state: 'merged', mergedInto: b.id });
    const target = (await t.store.cases.get(b.id))!.case;
    expect(target.mergedFrom).toEqual([a.id]);
    expect(target.evidence.map((e) => e.name)).toEqual([p]);
    expect(target.history.at(-1)!.action).toBe('merged_in');

    const handler = USERS.handler(target.proposedUnitId!);
    await t.svc.act(b.id, 'register', {}, USERS.operator);
    await t.svc.act(b.id, 'dispatch', {}, USERS.operator);
    await t.svc.act(b.id, 'accept', {}, handler);
    const done = await t.photo(handler, 7);
    await t.svc.act(b.id, 'feedback', { note: '已清理', attachments: [done] }, handler);
    const closed = await t.svc.act(b.id, 'close', {}, USERS.operator);
    expect(closed.history.slice(-2).map((h) => h.action)).toEqual(['close', 'evaluate']);
    expect((await t.store.cases.get(b.id))!.version).toBe(closed.version);
    // the feedback photo is this case's evidence: citing it again is refused
    await expect(
      t.svc.act(b.id, 'cancel', { note: 'x', attachments: [done] }, USERS.leader),
    ).rejects.toMatchObject({
      status: 409,
    });
  });
});
