/**
 * SIGKILL durability of a real central process (tsx): every change answered 2xx is there after
 * a kill -9 and a restart — both from the journal (killed before a checkpoint) and from the
 * month partitions (killed after one).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, type CentralProcess, spawnCentral, TOKENS } from './central-helpers.js';
import { until } from './support/until.js';

// no NATS needed for HTTP intake; central keeps retrying in the background
const NATS = 'nats://127.0.0.1:1';
const op = TOKENS.operator;
let proc: CentralProcess | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  await proc?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function burst(url: string, n: number, tag: string): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const r = await api(url, '/api/cases', op, {
      body: {
        source: 'hotline_12345',
        category: '01.02',
        description: `${tag} ${i}`,
        location: { lat: 26.84 + i * 0.0001, lon: 112.55 }, // 高新区 grids of the seed
        ticketNo: `${tag}-${i}`,
      },
      headers: { 'idempotency-key': `${tag}-${i}` },
    });
    expect(r.status).toBe(201);
    expected.set(r.body.id, 'reported');
    if (i % 2 === 0) {
      expect(
        (await api(url, `/api/cases/${r.body.id}/actions/register`, op, { method: 'POST', body: {} })).status,
      ).toBe(200);
      const d = await api(url, `/api/cases/${r.body.id}/actions/dispatch`, op, { method: 'POST', body: {} });
      expect(d.status).toBe(200);
      expected.set(r.body.id, 'dispatched');
    }
  }
  return expected;
}

async function verify(url: string, expected: Map<string, string>) {
  for (const [id, state] of expected) {
    const r = await api(url, `/api/cases/${id}`, op);
    expect(r.status, `case ${id}`).toBe(200);
    expect(r.body.state).toBe(state);
  }
}

describe('central durability - SIGKILL', () => {
  it('loses nothing answered 2xx, from the journal and from partitions', async () => {
    proc = await spawnCentral({ natsUrl: NATS });
    dataDir = proc.dataDir;
    const first = await burst(proc.url, 12, 'a');
    // NATS unreachable: a clear retry line, and the HTTP API served meanwhile
    expect(proc.output()).toMatch(/NATS not reachable, retrying/);
    await proc.kill(); // right after the last 2xx
    expect(proc.child.signalCode).toBe('SIGKILL');
    // the killed pid is central itself (no launcher in between): it is gone
    expect(() => process.kill(proc!.child.pid!, 0)).toThrow(/ESRCH/);

    proc = await spawnCentral({ natsUrl: NATS, dataDir });
    await verify(proc.url, first);
    // replaying an idempotency key after the restart still answers the same case
    const again = await api(proc.url, '/api/cases', op, {
      body: {
        source: 'hotline_12345',
        category: '01.02',
        description: 'a 0',
        location: { lat: 26.84, lon: 112.55 },
        ticketNo: 'a-0',
      },
      headers: { 'idempotency-key': 'a-0' },
    });
    expect(first.has(again.body.id)).toBe(true);

    // wait for a checkpoint (journal folded into month partitions), then more, then kill again
    const casesDir = join(dataDir, 'cases');
    await until(
      async () => !readdirSync(casesDir).some((f) => f.startsWith('journal-')),
      'checkpoint',
      15_000,
    );
    expect(readdirSync(casesDir).some((f) => /^\d{4}-\d{2}\.json$/.test(f))).toBe(true);
    const second = await burst(proc.url, 6, 'b');
    await proc.kill();

    proc = await spawnCentral({ natsUrl: NATS, dataDir });
    await verify(proc.url, new Map([...first, ...second]));
    const list = await api(proc.url, '/api/cases?limit=100', op);
    expect(list.body.total).toBe(first.size + second.size);
    await proc.stop();
    expect(proc.child.exitCode).toBe(0);
    proc = undefined;
  });
});
