/**
 * Issue 13, finding 3: no case change is lost when changes race. Central in-process (memory
 * store, real attachment files on disk, so the attachment check really awaits the file system):
 * - two concurrent `feedback` calls with photos: every 200 is in the history;
 * - an operator action (with an attachment) racing the edge's revision 1: both are kept;
 * - concurrent `register` and `reject`: exactly one wins, the other gets 409;
 * - a client sending the version it read (If-Match or body `version`) after the case moved on
 *   gets 409 with `current`, the case as GET answers it;
 * - an attachment can be cited only by its uploader, and only once.
 * Each race prints runs / lost / duplicated.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { Incident } from '../protocol/index.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { fakeJpeg, litterIncident, TOKENS } from './central-helpers.js';
import { type AppRequestInit, appRequest } from './support/app-request.js';

let central: Central;
const op = TOKENS.operator;

beforeAll(async () => {
  central = await createCentral({ demo: true, logLevel: 'silent' });
});
afterAll(async () => {
  await central?.stop();
});

const call = (path: string, token: string, init: AppRequestInit = {}) =>
  appRequest(central.app, path, token, init);
const act = (
  id: string,
  action: string,
  token: string,
  body: unknown = {},
  headers?: Record<string, string>,
) => call(`/api/cases/${id}/actions/${action}`, token, { body, headers });
let fill = 0;
async function upload(token: string): Promise<string> {
  const r = await call('/api/attachments', token, { raw: fakeJpeg(600, ++fill % 250) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.name;
}
async function report(): Promise<string> {
  const r = await call('/api/cases', TOKENS.hotline, {
    body: {
      source: 'hotline_12345',
      category: '01.04',
      description: '路面垃圾',
      location: { ...ZHENGXIANG },
    },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}
async function processing(): Promise<{ id: string; handler: string }> {
  const id = await report();
  expect((await act(id, 'register', op)).status).toBe(200);
  const d = await act(id, 'dispatch', op);
  expect(d.status, JSON.stringify(d.body)).toBe(200);
  const handler = TOKENS.handler(d.body.unitId);
  expect((await act(id, 'accept', handler)).status).toBe(200);
  return { id, handler };
}

describe('fault - racing case changes lose nothing', () => {
  it('two concurrent feedbacks with photos: every 200 is in the history', async () => {
    let lost = 0;
    let ok = 0;
    for (let run = 0; run < 20; run++) {
      const { id, handler } = await processing();
      const [p1, p2] = [await upload(handler), await upload(handler)];
      const rs = await Promise.all([
        act(id, 'feedback', handler, { note: '已处理 1', attachments: [p1] }),
        act(id, 'feedback', handler, { note: '已处理 2', attachments: [p2] }),
      ]);
      const wins = rs.filter((r) => r.status === 200).length;
      for (const r of rs) expect([200, 409]).toContain(r.status);
      const k = central.embedded!.getCase(id)!;
      const feedbacks = k.history.filter((h) => h.action === 'feedback').length;
      ok += wins;
      lost += wins - feedbacks;
      expect(feedbacks).toBe(wins);
    }
    console.log(`[fault] concurrent feedback: 20 runs, ${ok} answered 200, lost ${lost}`);
    expect(lost).toBe(0);
  });

  it("an operator's action racing the edge's revision 1 keeps both", async () => {
    let lost = 0;
    for (let run = 0; run < 30; run++) {
      const inc0 = Incident.parse(litterIncident());
      await central.svc.ingestIncident(inc0);
      const caseId = central.embedded!.getIncident(inc0.id)!.caseId;
      const photo = await upload(op);
      // the service directly, so the revision lands while the action awaits its attachment check
      const operator = central.users.byToken(op)!;
      await Promise.all([
        central.svc.act(caseId, 'register', { note: '属实', attachments: [photo] }, operator),
        central.svc.ingestIncident(
          Incident.parse({ ...litterIncident({ id: inc0.id }), rev: 1, lifecycle: 'update' }),
        ),
      ]);
      const k = central.embedded!.getCase(caseId)!;
      const kept = ['register', 'incident_update'].filter((a) => k.history.some((h) => h.action === a));
      lost += 2 - kept.length;
      expect(k.state).toBe('registered');
    }
    console.log(`[fault] operator vs edge revision: 30 runs, lost ${lost}`);
    expect(lost).toBe(0);
  });

  it('concurrent register and reject: one wins, the other gets 409, history has exactly the winner', async () => {
    for (let run = 0; run < 10; run++) {
      const id = await report();
      const photo = await upload(op);
      const rs = await Promise.all([
        act(id, 'register', op, { attachments: [photo] }),
        act(id, 'reject', op, { reason: 'invalid' }),
      ]);
      expect(rs.map((r) => r.status).sort()).toEqual([200, 409]);
      const k = central.embedded!.getCase(id)!;
      const decided = k.history.filter((h) => h.action === 'register' || h.action === 'reject');
      expect(decided).toHaveLength(1);
      expect(k.state).toBe(decided[0].action === 'register' ? 'registered' : 'rejected');
    }
  });

  it('a stale version (If-Match or body) gets 409 with the current case; the current one applies', async () => {
    const id = await report();
    const read = await call(`/api/cases/${id}`, op);
    expect(read.etag).toBe(`"${read.body.version}"`);
    const v = read.body.version as number;
    const ok = await act(id, 'register', op, {}, { 'if-match': `"${v}"` });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(v + 1);
    const stale = await act(id, 'dispatch', op, {}, { 'if-match': `"${v}"` });
    expect(stale.status).toBe(409);
    expect(stale.body.type).toMatch(/stale-case$/);
    const now = await call(`/api/cases/${id}`, op);
    expect(stale.body.current).toEqual(now.body);
    const staleBody = await act(id, 'dispatch', op, { version: v });
    expect(staleBody.status).toBe(409);
    expect((await act(id, 'dispatch', op, { version: v + 1 })).status).toBe(200);
    expect((await act(id, 'dispatch', op, {}, { 'if-match': 'soon' })).status).toBe(400);
  });

  it('an attachment is cited only by its uploader, and only once', async () => {
    const { id, handler } = await processing();
    const theirs = await upload(TOKENS.collector);
    const foreign = await act(id, 'feedback', handler, { note: '已处理', attachments: [theirs] });
    expect(foreign.status).toBe(403);
    expect(foreign.body.type).toMatch(/attachment-not-yours$/);
    const intake = await call('/api/cases', TOKENS.hotline, {
      body: {
        source: 'hotline_12345',
        category: '01.04',
        description: '垃圾',
        location: { ...ZHENGXIANG },
        photos: [theirs],
      },
    });
    expect(intake.status).toBe(403);
    const mine = await upload(handler);
    expect((await act(id, 'feedback', handler, { note: '已处理', attachments: [mine] })).status).toBe(200);
    const other = await processing();
    const again = await act(other.id, 'feedback', other.handler, { note: '再用', attachments: [mine] });
    expect(again.status).toBe(other.handler === handler ? 409 : 403);
    const k = central.embedded!.getCase(id)!;
    expect(k.evidence.filter((e) => e.name === mine)).toHaveLength(1);
  });
});
