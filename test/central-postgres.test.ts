/**
 * central on PostgreSQL (`--store postgres://…`), as a real process with a real nats-server, on a
 * fresh database of its own (created and dropped here; skipped with a message when
 * 127.0.0.1:5432 does not answer): a hotline report walked through the workflow over HTTP (an
 * Idempotency-Key answered once, a stale If-Match refused with 409), an AI incident over NATS
 * opening one case and a replayed revision opening none, case numbers continuing after a
 * restart; PostgreSQL unreachable at start (503, not 500, and one log line per try) and a
 * failing migration (central refuses to start and names it).
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, Incident, incidentMsgId, subjects } from '../protocol/index.js';
import type { Link } from '../protocol/transport.js';
import { connectNats, provisionStreams } from '../protocol/transport.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import {
  api,
  type CentralProcess,
  fakeJpeg,
  litterIncident,
  publishIncident,
  spawnCentral,
  TOKENS,
} from './central-helpers.js';
import { createTestDatabase, postgresUnreachable, type TestDatabase } from './support/postgres.js';
import { until } from './support/until.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`central on PostgreSQL: skipped: ${pgDown}`);

let server: NatsServerHandle;
let nc: Link;
let db: TestDatabase;
let sql: postgres.Sql;
let central: CentralProcess;
const op = TOKENS.operator;

describe.skipIf(!!pgDown)('central on PostgreSQL', () => {
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: 'test', log: { info() {}, warn() {} } });
    await provisionStreams(nc);
    db = await createTestDatabase('central_http');
    sql = postgres(db.url, { max: 2, onnotice: () => {} });
    central = await spawnCentral({ natsUrl: server.url, storeUrl: db.url });
  }, 60_000);
  afterAll(async () => {
    await central?.stop();
    await sql?.end();
    await db?.drop();
    await nc?.close();
    await server?.dispose();
  });

  const act = (id: string, action: string, token: string, body: unknown = {}, headers = {}) =>
    api(central.url, `/api/cases/${id}/actions/${action}`, token, { method: 'POST', body, headers });
  async function upload(token: string) {
    const r = await api(central.url, '/api/attachments', token, {
      method: 'POST',
      raw: fakeJpeg(300, Math.floor(Math.random() * 200)) as Uint8Array<ArrayBuffer>,
      headers: { 'content-type': 'image/jpeg' },
    });
    expect(r.status).toBe(201);
    return r.body.name as string;
  }

  it('walks a hotline report from intake to close over HTTP, every step in PostgreSQL', async () => {
    const report = {
      source: 'hotline_12345',
      category: '01.04',
      description: '市民来电：人行道垃圾堆积 litter on the sidewalk',
      location: { ...ZHENGXIANG, address: '蒸湘区解放西路' },
    };
    const first = await api(central.url, '/api/cases', op, {
      body: report,
      headers: { 'idempotency-key': 'call-0001' },
    });
    expect(first.status).toBe(201);
    const again = await api(central.url, '/api/cases', op, {
      body: report,
      headers: { 'idempotency-key': 'call-0001' },
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const reused = await api(central.url, '/api/cases', op, {
      body: { ...report, description: '另一件事 something else' },
      headers: { 'idempotency-key': 'call-0001' },
    });
    expect(reused.status).toBe(409);
    const k = first.body;
    expect(k.caseNumber).toMatch(/^\d{13}$/);
    expect(k.proposedUnitId).toBe('bs-hw');
    const handler = TOKENS.handler('bs-hw');

    expect((await act(k.id, 'register', op, { note: '属实' })).body.state).toBe('registered');
    // a change made against the version read before the registration: 409 with the case as it is
    const stale = await act(k.id, 'dispatch', op, {}, { 'if-match': '"1"' });
    expect(stale.status).toBe(409);
    expect(stale.body.current.state).toBe('registered');
    expect((await act(k.id, 'dispatch', op, {}, { 'if-match': '"2"' })).body.state).toBe('dispatched');
    expect((await act(k.id, 'accept', handler)).body.state).toBe('processing');
    const photo = await upload(handler);
    expect((await act(k.id, 'feedback', handler, { note: '已清理', attachments: [photo] })).body.state).toBe(
      'feedback',
    );
    const closed = await act(k.id, 'close', op, { note: '核查属实' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ state: 'closed', evaluation: { unitId: 'bs-hw' } });
    // an upload is the evidence of one case: a second report citing it is refused
    const own = await upload(op);
    expect((await api(central.url, '/api/cases', op, { body: { ...report, photos: [own] } })).status).toBe(
      201,
    );
    const twice = await api(central.url, '/api/cases', op, { body: { ...report, photos: [own] } });
    expect(twice.status).toBe(409);
    expect(twice.body.type ?? twice.body.title).toMatch(/already-cited|already cited/);

    const [row] = await sql<{ state: string; version: number; n: number }[]>`
      select state, version, (select count(*)::int from case_history where case_id = ${k.id}) as n
      from cases where id = ${k.id}`;
    expect(row).toEqual({ state: 'closed', version: 6, n: 7 }); // close + evaluate: two entries, one version
    const list = await api(central.url, `/api/cases?state=closed&caseNumber=${k.caseNumber}`, op);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([k.id]);
    const seen = await api(central.url, '/api/cases?q=解放西路', TOKENS.collector);
    expect(seen.body.total).toBe(0); // a collector sees only their own reports
  });

  it('one Idempotency-Key sent five times at once makes one case: the lost unique race is a replay, not a 500', async () => {
    const body = {
      source: 'citizen',
      category: '01.04',
      description: '并发重试 retried at once',
      location: { ...ZHENGXIANG },
    };
    const all = await Promise.all(
      Array.from({ length: 5 }, () =>
        api(central.url, '/api/cases', op, { body, headers: { 'idempotency-key': 'burst-0001' } }),
      ),
    );
    expect(all.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
    const [row] = await sql<{ n: number }[]>`
      select count(*)::int as n from cases where doc->>'description' = ${body.description}`;
    expect(row!.n).toBe(1);
  });

  it('an incident over NATS opens one case in PostgreSQL; a replayed revision opens none', async () => {
    const inc = litterIncident();
    await publishIncident(nc, inc);
    const k = await until(async () => {
      const r = await api(central.url, '/api/cases?source=ai', op);
      return r.body.items?.find((c: { refs: { incidentIds: string[] } }) =>
        c.refs.incidentIds.includes(inc.id),
      );
    }, 'AI case');
    expect(k.state).toBe('reported');
    // the same revision again under another JetStream id (a gateway's resend): central's own check
    await nc.publishStored(subjects.incident(inc.gatewayId), encode(Incident, inc), {
      msgId: `${incidentMsgId(inc)}-resend`,
    });
    const update = { ...inc, rev: 1, lifecycle: 'update' as const, confidence: 0.91 };
    await publishIncident(nc, update);
    await until(async () => {
      const [r] = await sql<{ n: number }[]>`
        select count(*)::int as n from incident_revisions where incident_id = ${inc.id}`;
      return r!.n === 2;
    }, 'rev 1 applied');
    const [cases] = await sql<{ n: number }[]>`
      select count(*)::int as n from cases where doc->'refs'->'incidentIds' ? ${inc.id}`;
    expect(cases!.n).toBe(1);
    const detail = await api(central.url, `/api/cases/${k.id}`, op);
    expect(detail.body.history.map((h: { action: string }) => h.action)).toEqual([
      'report',
      'incident_update',
    ]);
    expect(detail.body.incidents[0].latest).toMatchObject({ rev: 1, kind: 'litter', origin: 'camera' });
    expect(detail.body.source).toBe('ai');
  });

  it('case numbers continue after a restart on the same database', async () => {
    const before = await api(central.url, '/api/cases?limit=1', op);
    const last = before.body.items[0].caseNumber as string;
    await central.stop();
    central = await spawnCentral({ natsUrl: server.url, storeUrl: db.url });
    const r = await api(central.url, '/api/cases', op, {
      body: { source: 'citizen', category: '01.04', description: '又有垃圾', location: { ...ZHENGXIANG } },
    });
    expect(r.status).toBe(201);
    expect(Number(r.body.caseNumber)).toBeGreaterThan(Number(last));
  }, 60_000);
});

describe.skipIf(!!pgDown)('central on PostgreSQL - bad starts', () => {
  it('PostgreSQL unreachable at start: serves, the API answers 503 (not 500), one log line per try', async () => {
    const down = await spawnCentral({
      natsUrl: 'nats://127.0.0.1:1',
      storeUrl: 'postgres://postgres@127.0.0.1:1/none',
    });
    try {
      const r = await api(down.url, '/api/cases', op);
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      const health = await api(down.url, '/api/health', undefined);
      expect(health.status).toBe(503);
      expect(health.body.status).toBe('degraded');
      // one line per try, and it keeps trying
      const tries = () =>
        down.output().match(/PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:1\/none unreachable/g) ?? [];
      await until(async () => tries().length >= 2, 'a second try logged');
      expect((await api(down.url, '/api/cases', op)).status).toBe(503);
    } finally {
      await down.stop();
    }
  }, 60_000);

  it('a failing migration: central refuses to start and names it', async () => {
    const bad = await createTestDatabase('central_badmig');
    const s = postgres(bad.url, { max: 1, onnotice: () => {} });
    try {
      await s`create table cases (id text primary key)`; // in the way of 001_cases
      const err = await spawnCentral({ natsUrl: 'nats://127.0.0.1:1', storeUrl: bad.url }).then(
        (c) => c.stop().then(() => new Error('central started')),
        (e: Error) => e,
      );
      expect(err.message).toMatch(/exited 4/);
      expect(err.message).toMatch(/migration 001_cases failed/);
    } finally {
      await s.end();
      await bad.drop();
    }
  }, 60_000);
});
