import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/support/data-dir.js';
import { Outbox, OutboxDamagedError } from './index.js';

const tmp = tempDirs('cg-outbox-');

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

describe('outbox - append-only log and faults (issue 13, finding 6)', () => {
  it('an add appends one line; the log is not rewritten (same inode, grows by that line)', async () => {
    const dir = tmp();
    const ob = await Outbox.open({ dir, budgetBytes: 100_000_000 });
    for (let i = 0; i < 2000; i++) await ob.add('incident', 's.i', `i${i}`, { n: i });
    const log = join(dir, 'incidents.log');
    const before = statSync(log);
    const e = await ob.add('incident', 's.i', 'last', { n: 'x' });
    const after = statSync(log);
    expect(after.ino).toBe(before.ino);
    expect(after.size - before.size).toBe(Buffer.byteLength(`${JSON.stringify({ a: e })}\n`));
  });

  it('over budget: drops telemetry, then images, then incidents — every incident accounted for', async () => {
    const dir = tmp();
    const ob = await Outbox.open({ dir, budgetBytes: 1024 * 1024 });
    for (let i = 0; i < 200; i++) await ob.add('telemetry', 's.t', `t${i}`, { p: 'x'.repeat(200) });
    for (let i = 0; i < 3500; i++)
      await ob.add('incident', 's.i', `i${i}`, { n: i, pad: 'x'.repeat(400) }, [img(`i${i}.jpg`, 2000)]);
    const s = ob.stats();
    console.log(
      `[fault] outbox 1 MiB budget, 3500 incidents: pending ${s.incidents}, dropped ${s.droppedIncidents}, images dropped ${s.droppedEvidence}, telemetry dropped ${s.droppedTelemetry}`,
    );
    expect(s.droppedTelemetry).toBe(200);
    expect(s.droppedEvidence).toBeGreaterThan(0);
    expect(s.droppedIncidents).toBeGreaterThan(0);
    expect(s.incidents + s.droppedIncidents).toBe(3500); // lost = 0: each is pending or reported
    expect(s.bytes).toBeLessThanOrEqual(1024 * 1024);
    const again = await Outbox.open({ dir, budgetBytes: 1024 * 1024 });
    expect(again.stats()).toMatchObject({ incidents: s.incidents, droppedIncidents: s.droppedIncidents });
  });

  it('a deleted log is detected at open (file named), and repair opens it', async () => {
    const dir = tmp();
    const ob = await Outbox.open({ dir, budgetBytes: 10_000_000 });
    for (let i = 0; i < 400; i++) await ob.add('incident', 's.i', `i${i}`, { n: i });
    rmSync(join(dir, 'incidents.log'));
    const e = await Outbox.open({ dir, budgetBytes: 10_000_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OutboxDamagedError);
    expect((e as Error).message).toContain(`${join(dir, 'incidents.log')} at byte 0: the log is missing`);
    const repaired = await Outbox.open({ dir, budgetBytes: 10_000_000, repair: true });
    expect(repaired.stats().incidents).toBe(0);
  });

  it('garbage in the middle of a log is refused with its byte offset; repair keeps the rest and moves it aside', async () => {
    const dir = tmp();
    const ob = await Outbox.open({ dir, budgetBytes: 10_000_000 });
    for (let i = 0; i < 10; i++) await ob.add('incident', 's.i', `i${i}`, { n: i });
    const log = join(dir, 'incidents.log');
    const text = readFileSync(log, 'utf8');
    const lines = text.split('\n');
    const offset = Buffer.byteLength(`${lines.slice(0, 4).join('\n')}\n`);
    const bad = `${lines.slice(0, 4).join('\n')}\n\u0000garbage\n${lines.slice(4).join('\n')}`;
    writeFileSync(log, bad);
    const e = await Outbox.open({ dir, budgetBytes: 10_000_000 }).catch((x: unknown) => x);
    expect((e as OutboxDamagedError).damages).toEqual([expect.objectContaining({ file: log, offset })]);
    const repaired = await Outbox.open({ dir, budgetBytes: 10_000_000, repair: true });
    expect(repaired.stats().incidents).toBe(10);
    const moved = readdirSync(dir).filter((f) => f.startsWith('incidents.log.damaged-'));
    expect(moved).toHaveLength(1);
    expect(readFileSync(join(dir, moved[0]!), 'utf8')).toBe(bad);
  });

  it('a write that fails (a directory where the log should be) does not throw; the entry waits and is written later', async () => {
    const dir = tmp();
    const ob = await Outbox.open({ dir, budgetBytes: 10_000_000 });
    await ob.add('incident', 's.i', 'i0', { n: 0 });
    const log = join(dir, 'incidents.log');
    rmSync(log);
    mkdirSync(log); // appends and the rename of a rewrite fail with EISDIR
    const e = await ob.add('incident', 's.i', 'i1', { n: 1 });
    expect(ob.stats()).toMatchObject({ incidents: 2, writeFailures: 1 });
    expect(ob.peek()!.msgId).toBe('i0');
    rmSync(log, { recursive: true });
    await ob.add('incident', 's.i', 'i2', { n: 2 });
    const back = await Outbox.open({ dir, budgetBytes: 10_000_000 });
    expect(back.stats().incidents).toBe(3);
    expect(back.peek()!.seq).toBeLessThan(e.seq);
  });
});
