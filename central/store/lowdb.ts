/**
 * @module central/store/lowdb
 * The embedded store in lowdb's JSON shape, shaped so a year of 100k+ cases stays fast:
 * - **Partitions**: one JSON file per month of creation (`2026-11.json` holds the cases,
 *   incidents and idempotency records created that month). A transition rewrites only its
 *   month's file, and not at once.
 * - **Journal**: every commit is first appended as one JSON line to `journal-<n>.jsonl`
 *   (group commit: commits of the same tick share one write) and the promise resolves after
 *   the write returned — so after a 2xx a SIGKILL loses nothing (`fsync: true` also survives
 *   power loss). Records are whole documents, so replaying a line twice is harmless.
 * - **Checkpoint**: every `checkpointMs` the dirty partitions are rewritten (temp file, then
 *   rename), appends move to the next journal file first, and the old one is removed. A
 *   partition is written a slice of records at a time, so a busy month's rewrite does not
 *   stall requests.
 * At start the partitions are read and the journals replayed, and indexes are rebuilt. A file
 * that cannot be read (bad JSON, wrong shape, a garbage journal line that is not a torn last
 * line) stops the start with every such file named with its byte offset (`DamagedFilesError`),
 * unless `repair`: then every readable record is kept and the damaged file moved aside.
 * A failed write or checkpoint is logged, counted and retried every `retryMs`; while it fails
 * the store is degraded (`health()`) and `commit` refuses with `StorageUnavailableError`.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { appendFile, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonLines } from '../../protocol/jsonl.js';
import type { CaseRecord, IdempotencyRecord, IncidentRecord } from '../cases/model.js';
import {
  type Damage,
  DamagedFilesError,
  moveAside,
  readJsonFile,
  StorageUnavailableError,
  type StoreHealth,
} from './damage.js';
import type { ChangeSet } from './index.js';
import { MemoryCaseStore } from './memory.js';
import { addTo } from './open-index.js';

interface PartitionData {
  cases: CaseRecord[];
  incidents: IncidentRecord[];
  idempotency: IdempotencyRecord[];
}

export interface StoreLog {
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}

export interface LowdbStoreOptions {
  dir: string;
  checkpointMs?: number;
  /** while degraded, how often a write is retried */
  retryMs?: number;
  fsync?: boolean;
  /** keep every readable record of damaged files and move them aside, instead of refusing */
  repair?: boolean;
  log?: StoreLog;
}

const silent: StoreLog = { warn() {}, error() {} };

/** Each record of a partition must at least carry its key and creation time. */
type Loose = Record<string, unknown> | null | undefined;
const RECORD_CHECKS: Record<keyof PartitionData, (r: Loose) => boolean> = {
  cases: (r) => typeof r?.id === 'string' && typeof r.createdAt === 'string' && Array.isArray(r.history),
  incidents: (r) => typeof r?.id === 'string' && typeof r.firstSeenAt === 'string' && Array.isArray(r.revs),
  idempotency: (r) => typeof r?.key === 'string' && typeof r.at === 'string',
};

/** The readable records of a parsed partition, and what was not readable. */
function partitionRecords(value: unknown, file: string): { data: PartitionData; damages: Damage[] } {
  const data: PartitionData = { cases: [], incidents: [], idempotency: [] };
  const damages: Damage[] = [];
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { data, damages: [{ file, offset: 0, reason: 'not a partition object' }] };
  for (const key of Object.keys(RECORD_CHECKS) as (keyof PartitionData)[]) {
    const list = (value as Record<string, unknown>)[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      damages.push({
        file,
        offset: 0,
        reason: `"${key}" is ${JSON.stringify(list) ?? 'missing'}, not a list`,
      });
      continue;
    }
    list.forEach((r, i) => {
      if (RECORD_CHECKS[key](r as Loose)) (data[key] as unknown[]).push(r);
      else damages.push({ file, offset: 0, reason: `${key}[${i}] is not a ${key} record` });
    });
  }
  return { data, damages };
}

const monthOf = (iso: string) => iso.slice(0, 7);
/** records stringified per write of a checkpoint (~10-30 ms on a busy box) */
const STRINGIFY_SLICE = 500;

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
  /** journals covered by partitions not yet written (a failed checkpoint): removed after the next */
  readonly #coveredJournals: number[] = [];
  readonly #retryMs: number;
  readonly #repair: boolean;
  readonly #log: StoreLog;
  #health: StoreHealth = { ok: true, failures: 0 };
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(opts: LowdbStoreOptions) {
    super();
    this.#dir = opts.dir;
    this.#checkpointMs = opts.checkpointMs ?? 5000;
    this.#retryMs = opts.retryMs ?? 1000;
    this.#fsync = opts.fsync ?? false;
    this.#repair = opts.repair ?? false;
    this.#log = opts.log ?? silent;
  }

  health(): StoreHealth {
    return { ...this.#health };
  }

  #failed(what: string, e: unknown): void {
    const err = (e as Error).message;
    this.#health = {
      ok: false,
      failures: this.#health.failures + 1,
      lastError: `${what}: ${err}`,
      since: this.#health.since ?? new Date().toISOString(),
    };
    this.#log.error(
      { dir: this.#dir, what, err, failures: this.#health.failures },
      'case store cannot write, will retry',
    );
    // retry by itself: no new request may come to carry the records that wait
    this.#retryTimer ??= setInterval(() => void this.durable().catch(() => undefined), this.#retryMs);
    this.#retryTimer.unref();
  }

  #recovered(): void {
    if (this.#health.ok) return;
    this.#log.warn({ dir: this.#dir, failures: this.#health.failures }, 'case store writes again');
    this.#health = { ok: true, failures: this.#health.failures };
    clearInterval(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  override async open(): Promise<void> {
    mkdirSync(this.#dir, { recursive: true });
    const files = readdirSync(this.#dir);
    const damaged: Damage[] = [];
    const aside: string[] = [];
    for (const f of files.filter((f) => /^\d{4}-\d{2}\.json$/.test(f)).sort()) {
      const file = join(this.#dir, f);
      const r = readJsonFile(file);
      const { data, damages } = r.ok
        ? partitionRecords(r.value, file)
        : { data: undefined, damages: [r.damage] };
      damaged.push(...damages);
      // a repaired partition's readable records are written into a fresh file below
      if (data) this.#applyAndIndex(data, f.slice(0, 7), damages.length > 0);
      if (damages.length) aside.push(file);
    }
    const journals = files
      .map((f) => /^journal-(\d+)\.jsonl$/.exec(f))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const n of journals) {
      const file = this.#journalPath(n);
      let bad = false;
      for (const p of readJsonLines(file, (v) => this.#applyAndIndex(v as ChangeSet, undefined, true))) {
        if (p.torn)
          // a torn last line from a crash mid-append: its commit never answered 2xx
          this.#log.warn({ file, offset: p.offset, bytes: p.bytes }, 'journal ends in a torn line, skipped');
        else {
          damaged.push({ file, offset: p.offset, reason: `journal line is not a change set (${p.reason})` });
          bad = true;
        }
      }
      if (bad) aside.push(file);
    }
    if (damaged.length && !this.#repair) throw new DamagedFilesError(damaged);
    for (const d of damaged) this.#log.warn({ ...d }, 'damaged data file, readable records kept');
    for (const file of aside) this.#log.warn({ file, movedTo: moveAside(file) }, 'damaged file moved aside');
    this.#journalNo = (journals.at(-1) ?? 0) + 1;
    // what came from journals is now in memory; make it partition files, drop old journals
    if (journals.length || aside.length) await this.#writePartitions();
    for (const n of journals) await unlink(this.#journalPath(n)).catch(() => undefined);
    this.#timer = setInterval(
      () => void this.checkpoint().catch((e: unknown) => this.#failed('checkpoint', e)),
      this.#checkpointMs,
    );
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
    if (!this.#health.ok)
      return Promise.reject(
        new StorageUnavailableError(`the case store cannot write now (${this.#health.lastError}); retrying`),
      );
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
        this.#recovered();
        for (const b of batch) b.done();
      } catch (e) {
        this.#failed('journal append', e);
        for (const b of batch) {
          for (const c of b.ch.cases ?? []) this.#retry.cases.add(c.id);
          for (const i of b.ch.incidents ?? []) this.#retry.incidents.add(i.id);
          for (const k of b.ch.idempotency ?? []) this.#retry.idempotency.add(k.key);
        }
        const why = new StorageUnavailableError(`the case store cannot write: ${(e as Error).message}`);
        for (const b of batch) b.fail(why);
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
    if (!this.#journalHasData && !this.#dirty.size && !this.#coveredJournals.length) return Promise.resolve();
    this.#checkpointing = (async () => {
      try {
        // wait for in-flight appends, then send new appends to the next journal
        await this.#writing;
        if (this.#journalHasData) this.#coveredJournals.push(this.#journalNo);
        this.#journalNo++;
        this.#journalHasData = false;
        await this.#writePartitions();
        for (const n of this.#coveredJournals.splice(0))
          await unlink(this.#journalPath(n)).catch(() => undefined);
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
    // a failed write leaves them dirty: the next checkpoint writes them again
    const left = new Set(dirty);
    try {
      for (const p of dirty) {
        await this.#writePartition(p);
        left.delete(p);
      }
    } catch (e) {
      for (const p of left) this.#dirty.add(p);
      throw e;
    }
  }

  /**
   * A partition is written a slice of records at a time to a temp file that then replaces it
   * (rename: a reader sees the old file or the new, never half). In one piece, a month of 20,000
   * cases (~37 MB) stalls every request for ~0.5-2 s on a busy box (stringify, join, UTF-8);
   * a slice costs ~10-30 ms. Records changed meanwhile are also in the next journal, which
   * this checkpoint does not remove.
   */
  async #writePartition(p: string): Promise<void> {
    const keys: Record<keyof PartitionData, string[]> = { cases: [], incidents: [], idempotency: [] };
    for (const key of this.#members.get(p) ?? [])
      keys[key[0] === 'c' ? 'cases' : key[0] === 'i' ? 'incidents' : 'idempotency'].push(key.slice(2));
    const record = (k: keyof PartitionData, id: string) =>
      JSON.stringify(
        k === 'cases' ? this.cases.get(id) : k === 'incidents' ? this.incidents.get(id) : this.idem.get(id),
      );
    const file = join(this.#dir, `${p}.json`);
    const tmp = join(this.#dir, `.${p}.json.tmp`);
    // writeFile on a handle writes all of its data at the current position (write may write less)
    const fh = await open(tmp, 'w');
    try {
      let sep = '{';
      for (const k of Object.keys(keys) as (keyof PartitionData)[]) {
        const ids = keys[k];
        await fh.writeFile(`${sep}${JSON.stringify(k)}:[`);
        for (let i = 0; i < ids.length; i += STRINGIFY_SLICE)
          await fh.writeFile(
            (i ? ',' : '') +
              ids
                .slice(i, i + STRINGIFY_SLICE)
                .map((id) => record(k, id))
                .join(','),
          );
        await fh.writeFile(']');
        sep = ',';
      }
      await fh.writeFile('}\n');
      if (this.#fsync) await fh.datasync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, file);
  }

  override async close(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#retryTimer);
    await this.#writing;
    await this.checkpoint();
  }
}
