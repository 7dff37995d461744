/** store - lowdb journal + month partitions: reopen sees every commit, torn journal lines are skipped. */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../cases/model.js';
import { LowdbCaseStore } from './lowdb.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeCase(id: string, createdAt: string, state: CaseRecord['state'] = 'reported'): CaseRecord {
  return {
    id,
    createdAt,
    updatedAt: createdAt,
    source: 'citizen',
    reporter: { id: 'u', role: 'operator' },
    refs: { incidentIds: [] },
    state,
    category: '01.02',
    description: 'x',
    location: {},
    deadlineSpec: { value: 1, unit: 'workDays' },
    counts: { dispatches: 0, returns: 0, reworks: 0, extensions: 0 },
    evidence: [
      {
        name: `ev-${id}.jpg`,
        contentType: 'image/jpeg',
        role: 'photo',
        origin: 'upload',
        addedAt: createdAt,
      },
    ],
    verificationEvidence: [],
    duplicateCandidates: [],
    mergedFrom: [],
    history: [],
  };
}

describe('store - lowdb', () => {
  it('partitions by month, survives reopen from journal and from partitions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-store-'));
    dirs.push(dir);
    const a = new LowdbCaseStore({ dir, checkpointMs: 60_000 });
    await a.open();
    await a.commit({
      cases: [fakeCase('A1', '2026-10-03T00:00:00.000Z'), fakeCase('B1', '2026-11-03T00:00:00.000Z')],
    });
    await a.commit({ cases: [fakeCase('A1', '2026-10-03T00:00:00.000Z', 'registered')] });
    expect(readdirSync(dir).filter((f) => f.startsWith('journal-'))).toHaveLength(1);
    // a crash mid-append leaves a torn line; it never answered 2xx, so skipping it is right
    appendFileSync(
      join(dir, readdirSync(dir).find((f) => f.startsWith('journal-'))!),
      '{"cases":[{"id":"torn',
    );

    const b = new LowdbCaseStore({ dir, checkpointMs: 60_000 });
    await b.open(); // replays the journal, writes partitions, drops the journal
    expect(b.getCase('A1')?.state).toBe('registered');
    expect(b.getCase('B1')?.state).toBe('reported');
    expect(b.casesByEvidence('ev-B1.jpg')).toEqual(['B1']);
    expect(readdirSync(dir).sort()).toEqual(['2026-10.json', '2026-11.json']);
    await b.commit({ cases: [fakeCase('B1', '2026-11-03T00:00:00.000Z', 'closed')] });
    await b.close();

    const c = new LowdbCaseStore({ dir });
    await c.open();
    expect(c.getCase('B1')?.state).toBe('closed');
    expect(c.allCases().map((x) => x.id)).toEqual(['B1', 'A1']);
    await c.close();
  });
});

describe('store - onCommit', () => {
  it('tells listeners after the change is durable, and survives a throwing listener', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-store-'));
    dirs.push(dir);
    const s = new LowdbCaseStore({ dir });
    await s.open();
    const seen: string[] = [];
    s.onCommit(() => {
      throw new Error('broken listener');
    });
    const off = s.onCommit((ch) => {
      seen.push(...(ch.cases ?? []).map((c) => c.id));
      expect(readdirSync(dir).some((f) => f.startsWith('journal-'))).toBe(true);
    });
    await s.commit({ cases: [fakeCase('C1', '2026-11-03T00:00:00.000Z')] });
    off();
    await s.commit({ cases: [fakeCase('C2', '2026-11-03T00:00:00.000Z')] });
    expect(seen).toEqual(['C1']);
    await s.close();
  });
});

describe('store - a failed journal write', () => {
  it('fails its commit, keeps the change for the next write, and durable() waits for that write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cg-store-'));
    dirs.push(dir);
    const a = new LowdbCaseStore({ dir, checkpointMs: 60_000 });
    await a.open();
    // a directory where the journal file goes: every append fails (EISDIR), like a full disk
    const journal = join(dir, 'journal-000001.jsonl');
    mkdirSync(journal);
    await expect(a.commit({ cases: [fakeCase('D1', '2026-11-03T00:00:00.000Z')] })).rejects.toThrow();
    expect(a.getCase('D1')?.state).toBe('reported'); // memory has it: a re-delivery sees a duplicate
    await expect(a.durable()).rejects.toThrow();
    rmdirSync(journal);
    await a.durable();
    await a.commit({ cases: [fakeCase('D2', '2026-11-03T00:00:00.000Z')] });
    // a second store over the same files, as after a SIGKILL: the journal holds both
    const b = new LowdbCaseStore({ dir, checkpointMs: 60_000 });
    await b.open();
    expect(b.getCase('D1')?.state).toBe('reported');
    expect(b.getCase('D2')?.state).toBe('reported');
    await b.close();
    await a.close();
  });
});
