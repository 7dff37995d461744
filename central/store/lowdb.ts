/**
 * @module central/store/lowdb
 * lowdb as the embedded store, shaped so a year of 100k+ cases stays fast:
 * - **Partitions**: one lowdb JSON file per month of creation (`2026-11.json` holds the cases,
 *   incidents and idempotency records created that month). A transition rewrites only its
 *   month's file, and not at once.
 * - **Journal**: every commit is first appended as one JSON line to `journal-<n>.jsonl`
 *   (group commit: commits of the same tick share one write) and the promise resolves after
 *   the write returned — so after a 2xx a SIGKILL loses nothing (`fsync: true` also survives
 *   power loss). Records are whole documents, so replaying a line twice is harmless.
 * - **Checkpoint**: every `checkpointMs` the dirty partitions are written through lowdb
 *   (atomic rename), appends move to the next journal file first, and the old one is removed.
 * At start the partitions are read and the journals replayed, and indexes are rebuilt.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { appendFile, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { CaseRecord, IdempotencyRecord, IncidentRecord } from '../cases/model.js';
import type { ChangeSet } from './index.js';
import { MemoryCaseStore } from './memory.js';
import { addTo } from './open-index.js';

interface PartitionData {
  cases: CaseRecord[];
  incidents: IncidentRecord[];
  idempotency: IdempotencyRecord[];
}

export interface LowdbStoreOptions {
  dir: string;
  checkpointMs?: number;
  fsync?: boolean;
}

const monthOf = (iso: string) => iso.slice(0, 7);

export class LowdbCaseStore extends MemoryCaseStore {
  readonly #dir: string;
  readonly #checkpointMs: number;
  readonly #fsync: boolean;
  readonly #partitionOf = new Map<string, string>();
  /** partition → its record keys, so a checkpoint reads only the dirty partitions' records */
  readonly #members = new Map<string, Set<string>>();
  readonly #dirty = new Set<string>();
  #journalNo = 0;
  #pending: { ch: ChangeSet; line: string; done: () => void; fail: (e: unknown) => void }[] = [];
  /** records whose journal write failed (disk full): memory holds them, the next write carries them */
  #retry = { cases: new Set<string>(), incidents: new Set<string>(), idempotency: new Set<string>() };
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #checkpointing: Promise<void> | undefined;
  #journalHasData = false;

  constructor(opts: LowdbStoreOptions) {
    super();
    this.#dir = opts.dir;
    this.#checkpointMs = opts.checkpointMs ?? 5000;
    this.#fsync = opts.fsync ?? false;
  }

  override async open(): Promise<void> {
    mkdirSync(this.#dir, { recursive: true });
    const files = readdirSync(this.#dir);
    for (const f of files.filter((f) => /^\d{4}-\d{2}\.json$/.test(f)).sort()) {
      const db = new Low<PartitionData>(new JSONFile(join(this.#dir, f)), {
        cases: [],
        incidents: [],
        idempotency: [],
      });
      await db.read();
      this.#applyAndIndex(db.data, f.slice(0, 7), false);
    }
    const journals = files
      .map((f) => /^journal-(\d+)\.jsonl$/.exec(f))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const n of journals) {
      const fh = await open(this.#journalPath(n), 'r');
      try {
        for await (const line of fh.readLines()) {
          if (!line.trim()) continue;
          try {
            this.#applyAndIndex(JSON.parse(line) as ChangeSet, undefined, true);
          } catch {
            // a torn last line from a crash mid-append: its commit never answered 2xx
          }
        }
      } finally {
        await fh.close();
      }
    }
    this.#journalNo = (journals.at(-1) ?? 0) + 1;
    // what came from journals is now in memory; make it partition files, drop old journals
    if (journals.length) await this.#writePartitions();
    for (const n of journals) await unlink(this.#journalPath(n));
    this.#timer = setInterval(() => void this.checkpoint(), this.#checkpointMs);
    this.#timer.unref();
  }

  #journalPath(n: number): string {
    return join(this.#dir, `journal-${String(n).padStart(6, '0')}.jsonl`);
  }

  #applyAndIndex(ch: Partial<ChangeSet>, partition: string | undefined, dirty: boolean): void {
    const mark = (id: string, createdIso: string) => {
      let p = this.#partitionOf.get(id);
      if (!p) {
        p = partition ?? monthOf(createdIso);
        this.#partitionOf.set(id, p);
        addTo(this.#members, p, id);
      }
      if (dirty) this.#dirty.add(p);
    };
    for (const c of ch.cases ?? []) mark(`c:${c.id}`, c.createdAt);
    for (const i of ch.incidents ?? []) mark(`i:${i.id}`, i.firstSeenAt);
    for (const k of ch.idempotency ?? []) mark(`k:${k.key}`, k.at);
    this.apply({ cases: ch.cases, incidents: ch.incidents, idempotency: ch.idempotency });
  }

  override commit(ch: ChangeSet): Promise<void> {
    this.#applyAndIndex(ch, undefined, true);
    return this.#enqueue(ch).then(() => this.committed(ch));
  }

  /** Resolves once everything applied so far is in the journal (a failed write retried first). */
  override durable(): Promise<void> {
    return this.#enqueue({}, '');
  }

  #enqueue(ch: ChangeSet, line = `${JSON.stringify(ch)}\n`): Promise<void> {
    return new Promise<void>((done, fail) => {
      this.#pending.push({ ch, line, done, fail });
      if (this.#pending.length === 1) queueMicrotask(() => this.#flushJournal());
    });
  }

  /** The latest versions of records whose write failed: newer than anything journaled for them. */
  #retryLine(): string {
    const r = this.#retry;
    if (!r.cases.size && !r.incidents.size && !r.idempotency.size) return '';
    const ch: ChangeSet = {
      cases: [...r.cases].map((id) => this.cases.get(id)!),
      incidents: [...r.incidents].map((id) => this.incidents.get(id)!),
      idempotency: [...r.idempotency].map((k) => this.idem.get(k)!),
    };
    // the leading newline ends a line torn by the failed write, so replay skips only that fragment
    return `\n${JSON.stringify(ch)}\n`;
  }

  #flushJournal(): void {
    this.#writing = this.#writing.then(async () => {
      const batch = this.#pending;
      this.#pending = [];
      if (!batch.length) return;
      const text = this.#retryLine() + batch.map((b) => b.line).join('');
      try {
        if (text) await this.#append(text);
        this.#retry = { cases: new Set(), incidents: new Set(), idempotency: new Set() };
        for (const b of batch) b.done();
      } catch (e) {
        for (const b of batch) {
          for (const c of b.ch.cases ?? []) this.#retry.cases.add(c.id);
          for (const i of b.ch.incidents ?? []) this.#retry.incidents.add(i.id);
          for (const k of b.ch.idempotency ?? []) this.#retry.idempotency.add(k.key);
        }
        for (const b of batch) b.fail(e);
      }
    });
  }

  async #append(text: string): Promise<void> {
    const path = this.#journalPath(this.#journalNo);
    // before the write: a failed write may still have left lines, which the checkpoint must drop
    this.#journalHasData = true;
    if (this.#fsync) {
      const fh = await open(path, 'a');
      try {
        await fh.write(text);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    } else await appendFile(path, text);
  }

  /** Write dirty partitions and drop the journal they cover. */
  checkpoint(): Promise<void> {
    if (this.#checkpointing) return this.#checkpointing;
    if (!this.#journalHasData && !this.#dirty.size) return Promise.resolve();
    this.#checkpointing = (async () => {
      try {
        // wait for in-flight appends, then send new appends to the next journal
        await this.#writing;
        const old = this.#journalNo;
        const had = this.#journalHasData;
        this.#journalNo++;
        this.#journalHasData = false;
        await this.#writePartitions();
        if (had) await unlink(this.#journalPath(old)).catch(() => undefined);
      } finally {
        this.#checkpointing = undefined;
      }
    })();
    return this.#checkpointing;
  }

  async #writePartitions(): Promise<void> {
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    if (!dirty.length) return;
    for (const p of dirty) {
      const d: PartitionData = { cases: [], incidents: [], idempotency: [] };
      for (const key of this.#members.get(p) ?? []) {
        const id = key.slice(2);
        if (key[0] === 'c') d.cases.push(this.cases.get(id)!);
        else if (key[0] === 'i') d.incidents.push(this.incidents.get(id)!);
        else d.idempotency.push(this.idem.get(id)!);
      }
      const db = new Low<PartitionData>(new JSONFile(join(this.#dir, `${p}.json`)), d);
      db.data = d;
      await db.write();
    }
  }

  override async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#writing;
    await this.checkpoint();
  }
}
