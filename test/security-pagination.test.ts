/**
 * Issue 13, finding 9: the case list and the queues refuse pages that would make central walk
 * a year of cases per request (limit over 500, offset over 10,000 → 422 naming the cursor), and
 * the cursor (`before`, each page's `next`) reads every case exactly once, newest first, also
 * while new cases arrive between pages. Central in-process on its memory store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { Incident } from '../protocol/index.js';
import { TOKENS } from './central-helpers.js';
import { incidents } from './fault-kit.js';

let central: Central;
const N = 1234;

beforeAll(async () => {
  central = await createCentral({ demo: true, logLevel: 'silent' });
  for (const inc of incidents(N, 'cp-pg')) await central.svc.ingestIncident(Incident.parse(inc));
  // every 4th case registered, so the queues hold a part of the cases
  const all = central.embedded!.allCases();
  for (let i = 0; i < all.length; i += 4) {
    const r = await get(`/api/cases/${all[i]!.id}/actions/register`, 'POST');
    expect(r.status).toBe(200);
  }
});
afterAll(async () => {
  await central?.stop();
});

async function get(path: string, method = 'GET') {
  const r = await central.app.request(path, {
    method,
    headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' },
    body: method === 'POST' ? '{}' : undefined,
  });
  return { status: r.status, body: (await r.json()) as any };
}

/** Every page of a query by the cursor; the ids in order. */
async function byCursor(query: string, limit: number): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let total = -1;
  for (let before = ''; ; ) {
    const r = await get(`/api/cases?${query}&limit=${limit}${before && `&before=${before}`}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    if (total < 0) total = r.body.total;
    ids.push(...r.body.items.map((c: { id: string }) => c.id));
    if (!r.body.next) break;
    expect(r.body.next).toBe(r.body.items.at(-1).id);
    before = r.body.next;
  }
  return { ids, total };
}

describe('security - pagination limits', () => {
  it('refuses a limit over 500 and an offset over 10,000 with 422 naming the cursor', async () => {
    for (const q of ['limit=501', 'state=reported&limit=100000', 'source=ai&limit=501']) {
      const r = await get(`/api/cases?${q}`);
      expect(r.status, q).toBe(422);
      expect(r.body.type, q).toMatch(/page-limit/);
    }
    for (const q of ['offset=10001', 'state=reported&offset=50000', 'source=ai&offset=10001']) {
      const r = await get(`/api/cases?${q}`);
      expect(r.status, q).toBe(422);
      expect(r.body.detail, q).toMatch(/before=/);
    }
    expect((await get('/api/cases?offset=10000&limit=500')).status).toBe(200);
    expect((await get('/api/cases?before=not-an-id')).status).toBe(400);
  });

  it('reads every case once, newest first, by the cursor (list, queue, filtered)', async () => {
    const all = central.embedded!.allCases();
    const expected = {
      '': all,
      'state=reported': all.filter((c) => c.state === 'reported'),
      'state=registered,reported': all,
      'source=ai&state=registered': all.filter((c) => c.state === 'registered'),
      'source=ai': all,
    };
    for (const [q, cases] of Object.entries(expected)) {
      const { ids, total } = await byCursor(q || 'offset=0', 200);
      expect(total, q).toBe(cases.length);
      expect(ids, q).toEqual(cases.map((c) => c.id));
    }
    expect(all.length).toBe(N);
  });

  it('misses nothing and repeats nothing while cases arrive between pages', async () => {
    const before = central.embedded!.allCases().map((c) => c.id);
    const first = await get('/api/cases?state=reported&limit=300');
    const seen: string[] = first.body.items.map((c: { id: string }) => c.id);
    for (const inc of incidents(20, 'cp-pg2')) await central.svc.ingestIncident(Incident.parse(inc));
    for (let next = first.body.next; next; ) {
      const r = await get(`/api/cases?state=reported&limit=300&before=${next}`);
      seen.push(...r.body.items.map((c: { id: string }) => c.id));
      next = r.body.next;
    }
    const reported = new Set(before.filter((id) => central.embedded!.getCase(id)!.state === 'reported'));
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(reported);
  });
});
