import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from './index.js';

const dirs: string[] = [];
function tmp() {
  const d = mkdtempSync(join(tmpdir(), 'cg-outbox-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const img = (name: string, size: number) => ({
  name,
  role: 'annotated' as const,
  contentType: 'image/jpeg' as const,
  bytes: new Uint8Array(size),
});

describe('outbox - durability and order', () => {
  it('keeps entries across a reopen, incidents first and in creation order', async () => {
    const dir = tmp();
    const a = await Outbox.open({ dir, budgetBytes: 10_000_000 });
    await a.add('telemetry', 's.t', 't1', { n: 1 });
    await a.add('incident', 's.i', 'i1', { n: 2 }, [img('i1.jpg', 1000)]);
    await a.add('incident', 's.i', 'i2', { n: 3 });
    const b = await Outbox.open({ dir, budgetBytes: 10_000_000 });
    expect(b.stats()).toMatchObject({ depth: 3, incidents: 2, telemetry: 1 });
    const first = b.peek()!;
    expect(first.msgId).toBe('i1');
    await b.ack(first);
    expect(b.peek()!.msgId).toBe('i2');
    await b.ack(b.peek()!);
    expect(b.peek()!.msgId).toBe('t1');
    expect(readdirSync(join(dir, 'evidence'))).toEqual([]);
    // sequence numbers keep growing after a reopen, so order survives restarts
    const c = await Outbox.open({ dir, budgetBytes: 10_000_000 });
    const e = await c.add('incident', 's.i', 'i3', {});
    expect(e.seq).toBeGreaterThan(first.seq + 1); // t1, i1, i2 were 1..3
  });

  it('drops telemetry before evidence before incidents when over budget, and counts it', async () => {
    const ob = await Outbox.open({ dir: tmp(), budgetBytes: 5000 });
    for (let i = 0; i < 5; i++) await ob.add('telemetry', 's.t', `t${i}`, { pad: 'x'.repeat(500) });
    expect(ob.stats().droppedTelemetry).toBe(0);
    await ob.add('incident', 's.i', 'i1', { a: 1 }, [img('i1.jpg', 2500)]);
    let s = ob.stats();
    expect(s.droppedTelemetry).toBeGreaterThan(0);
    expect(s.incidents).toBe(1);
    expect(s.droppedEvidence).toBe(0);
    await ob.add('incident', 's.i', 'i2', { a: 2 }, [img('i2.jpg', 4000)]);
    s = ob.stats();
    expect(s.telemetry).toBe(0);
    expect(s.droppedEvidence).toBe(1); // the older incident's image went, both incidents stay
    expect(s.incidents).toBe(2);
    expect(ob.peek()!.evidence[0].file).toBeUndefined();
    expect(s.bytes).toBeLessThanOrEqual(5000);
  });
});
