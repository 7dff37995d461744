/**
 * The console's server side through `app.request()`: static files (no traversal, deep links
 * fall back to the shell), the workflow vocabulary, and the live stream's role filter.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadUsers } from '../central/auth/index.js';
import type { CaseRecord } from '../central/cases/model.js';
import { consoleRoutes } from '../central/console/index.js';
import { MemoryCaseStore } from '../central/store/index.js';
import { ROOT } from './central-helpers.js';

const users = loadUsers(join(ROOT, 'central/seed/users.json'));
const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

function caseRecord(id: string, unitId: string | undefined, state: CaseRecord['state']): CaseRecord {
  const at = new Date().toISOString();
  return {
    id,
    createdAt: at,
    updatedAt: at,
    source: 'ai',
    reporter: { id: 'cp-01', role: 'system' },
    refs: { incidentIds: [] },
    state,
    category: '01.04',
    description: '',
    location: {},
    unitId,
    deadlineSpec: { value: 1, unit: 'workDays' },
    counts: { dispatches: 0, returns: 0, reworks: 0, extensions: 0 },
    evidence: [],
    verificationEvidence: [],
    duplicateCandidates: [],
    mergedFrom: [],
    history: [],
  };
}

/** Read SSE frames from a response until `n` case events arrived or the stream is cancelled. */
async function caseEvents(res: Response, n: number): Promise<{ id: string }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: { id: string }[] = [];
  let buf = '';
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    for (const m of buf.matchAll(/event: case\ndata: (.*)\n\n/g)) out.push(JSON.parse(m[1]));
    buf = buf.replace(/[\s\S]*\n\n/, '');
  }
  await reader.cancel();
  return out;
}

describe('console - static app', () => {
  // a built console's shape (index.html + hashed assets), written here so the test needs no build
  const dir = mkdtempSync(join(tmpdir(), 'cg-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<div id="app"></div><script type="module" src="/console/assets/index-abc.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'export {}');
  writeFileSync(join(dir, 'assets', 'index-abc.css'), 'body{}');
  const app = consoleRoutes({ users, dir });
  it('serves the shell, modules with their types, and deep links', async () => {
    const html = await app.request('/console/');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('/console/assets/index-abc.js');
    const js = await app.request('/console/assets/index-abc.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect((await app.request('/console/assets/index-abc.css')).headers.get('content-type')).toContain(
      'text/css',
    );
    const etag = js.headers.get('etag')!;
    expect(
      (await app.request('/console/assets/index-abc.js', { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    expect(await (await app.request('/console/cases')).text()).toContain('<div id="app">');
  });
  it('says how to build it when the console is not built', async () => {
    const empty = consoleRoutes({ users, dir: join(dir, 'nothing-here') });
    const r = await empty.request('/console/');
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('npm run console:build');
    rmSync(dir, { recursive: true, force: true });
  });
  it('never serves files outside its folder', async () => {
    for (const p of [
      '/console/../central.ts',
      '/console/%2e%2e/app.ts',
      '/console/assets/../../index.ts',
      '/console/nope.js',
      '/console/%E0%A4%A.js',
    ])
      expect((await app.request(p)).status).toBe(404);
  });
  it('publishes the workflow table it hides actions by', async () => {
    const meta = await (await app.request('/console/meta.json')).json();
    expect(meta.transitions.feedback).toMatchObject({ roles: ['unit_handler'], ownUnit: true });
    expect(meta.states.reported.zh).toBe('待确认');
    expect(meta.rejectReasons).toContain('false_positive');
    // no base map configured: the console draws grids from GeoJSON, in WGS-84
    expect(meta.map).toMatchObject({ crs: 'wgs84' });
    const gcj = await (
      await consoleRoutes({
        users,
        map: { tiles: 'http://tiles.local/{z}/{x}/{y}.png', crs: 'gcj02' },
      }).request('/console/meta.json')
    ).json();
    expect(gcj.map).toEqual({ tiles: 'http://tiles.local/{z}/{x}/{y}.png', crs: 'gcj02' });
  });
});

describe('console - live stream', () => {
  it('refuses a missing or unknown token', async () => {
    const app = consoleRoutes({ users, store: new MemoryCaseStore() });
    const anon = await app.request('/api/console/events');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toBe('application/problem+json');
    expect((await app.request('/api/console/events', auth('nope'))).status).toBe(401);
  });
  it("sends committed cases; a unit handler gets only its own unit's", async () => {
    const store = new MemoryCaseStore();
    const app = consoleRoutes({ users, store, keepAliveMs: 50 });
    const handler = await app.request('/api/console/events', auth('demo-handler-hwc'));
    const operator = await app.request('/api/console/events', auth('demo-operator'));
    expect(handler.headers.get('content-type')).toContain('text/event-stream');
    await store.commit({ cases: [caseRecord('c-other', 'ylc', 'dispatched')] });
    await store.commit({ cases: [caseRecord('c-new', undefined, 'reported')] });
    await store.commit({ cases: [caseRecord('c-mine', 'hwc', 'dispatched')] });
    expect((await caseEvents(handler, 1)).map((e) => e.id)).toEqual(['c-mine']);
    expect((await caseEvents(operator, 3)).map((e) => e.id)).toEqual(['c-other', 'c-new', 'c-mine']);
  });
});
