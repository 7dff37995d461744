/**
 * attachments - two central instances on one PostgreSQL database (a database of its own,
 * created and dropped here; skipped with a message when 127.0.0.1:5432 does not answer): an
 * upload made on A is cited in a report on B and downloaded from B, byte for byte; citing it
 * again on A is refused (cited once holds across instances); its bytes, sha256, size and
 * uploader are in the shared table, not on either instance's disk.
 */
import { createHash } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';
import { ZHENGXIANG } from '../sim/city-points.js';
import { fakeJpeg, TOKENS } from './central-helpers.js';
import { createTestDatabase, postgresUnreachable, type TestDatabase } from './support/postgres.js';

const pgDown = await postgresUnreachable();
if (pgDown) console.warn(`attachments on two centrals: skipped: ${pgDown}`);

let db: TestDatabase;
let a: Central;
let b: Central;

async function call(central: Central, path: string, body?: unknown, raw?: Uint8Array) {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKENS.collector}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (raw) headers['content-type'] = 'image/jpeg';
  const r = await central.app.request(path, {
    method: body !== undefined || raw ? 'POST' : 'GET',
    headers,
    body:
      (raw as Uint8Array<ArrayBuffer> | undefined) ?? (body !== undefined ? JSON.stringify(body) : undefined),
  });
  return r;
}
const report = (central: Central, photos: string[]) =>
  call(central, '/api/cases', {
    source: 'collector',
    category: '01.04',
    description: '人行道有垃圾',
    location: { ...ZHENGXIANG },
    photos,
  });

describe.skipIf(!!pgDown)('attachments - two centrals on one PostgreSQL', () => {
  beforeAll(async () => {
    db = await createTestDatabase('attachments');
    // one after the other: the second finds the schema applied
    a = await createCentral({ demo: true, storeUrl: db.url, logLevel: 'silent' });
    b = await createCentral({ demo: true, storeUrl: db.url, logLevel: 'silent' });
  }, 60_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('an upload on A is cited and served on B, and cited once across both', async () => {
    const photo = fakeJpeg(600);
    const up = await call(a, '/api/attachments', undefined, photo);
    expect(up.status).toBe(201);
    const ref = (await up.json()) as { name: string; sha256: string; size: number };

    const made = await report(b, [ref.name]);
    expect(made.status, await made.clone().text()).toBe(201);
    const got = await call(b, `/api/evidence/${ref.name}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/jpeg');
    const bytes = new Uint8Array(await got.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(ref.sha256);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(photo))).toBe(0);

    // the other instance refuses a second citation of the same upload
    const again = await report(a, [ref.name]);
    expect(again.status).toBe(409);
    expect(((await again.json()) as { type: string }).type).toMatch(/attachment-already-cited/);

    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ sha256: string; size: number; uploaded_by: string; n: number }[]>`
        select sha256, size, uploaded_by, length(bytes)::int as n from attachments where name = ${ref.name}`;
      expect(row).toEqual({
        sha256: ref.sha256,
        size: photo.byteLength,
        uploaded_by: 'u-collector',
        n: photo.byteLength,
      });
    } finally {
      await sql.end();
    }
  });

  it('an unknown upload is refused on either instance, nothing stored', async () => {
    const r = await report(b, ['att-0123456789abcdef0123456789abcdef.jpg']);
    expect(r.status).toBe(422);
    expect((await call(a, '/api/evidence/att-0123456789abcdef0123456789abcdef.jpg')).status).toBe(404);
  });
});
