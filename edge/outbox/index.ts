/**
 * @module edge/outbox
 * The gateway's durable store-and-forward queue. An incident counts as emitted only once its
 * entry (and its evidence files) are on disk; it leaves only after JetStream acknowledged it.
 * Each kind has an append-only log (`incidents.log`, `telemetry.log`, JSON lines: an added
 * entry, a removed seq, a dropped evidence file), so adding costs one small append whatever is
 * pending; the log is compacted (temp file + rename) when most of its lines are dead. Incidents
 * and telemetry are separate so telemetry can be dropped first when the disk budget is exceeded.
 * At open, a log line that is not a record (other than a torn last line from a crash) or a log
 * missing while `outbox.id` says the outbox existed is refused with the file and byte offset
 * (`OutboxDamagedError`), unless `repair`: readable records are kept, the file moved aside.
 * A failed append (disk full) never throws at the producer: the entry stays queued in memory,
 * is counted (`writeFailures`) and the next append rewrites the whole log.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvidenceRef } from '../../protocol/index.js';
import { readJsonLines } from '../../protocol/jsonl.js';

export type EntryKind = 'incident' | 'telemetry';

export interface PendingEvidence {
  name: string;
  role: EvidenceRef['role'];
  contentType: EvidenceRef['contentType'];
  /** file under the outbox evidence dir; dropped (undefined) when the budget forced it out */
  file?: string;
  size: number;
}

export interface OutboxEntry {
  seq: number;
  kind: EntryKind;
  subject: string;
  msgId: string;
  /** the message, already validated; evidence refs are filled in at delivery */
  payload: Record<string, unknown>;
  evidence: PendingEvidence[];
  createdAt: number;
  bytes: number;
}

/** messages refused at delivery, one JSON line each (`Outbox.setAside`) */
export const REFUSED_FILE = 'refused.jsonl';

/** One log line: an entry added, an entry removed (acked or dropped), an evidence file dropped. */
type LogRecord = { a: OutboxEntry } | { k: number } | { e: [number, string] } | { n: number };

interface Dropped {
  telemetry: number;
  evidence: number;
  incidents: number;
}

export interface OutboxStats {
  depth: number;
  incidents: number;
  telemetry: number;
  oldestPendingAgeS: number;
  bytes: number;
  droppedTelemetry: number;
  droppedEvidence: number;
  droppedIncidents: number;
  /** appends that failed (disk full): those entries wait in memory for the next write */
  writeFailures: number;
}

export interface OutboxOptions {
  dir: string;
  /** total bytes of queued messages + evidence files the gateway may use */
  budgetBytes: number;
  now?: () => number;
  /** keep the readable records of a damaged log and move it aside, instead of refusing */
  repair?: boolean;
  log?: { warn(o: object, m?: string): void; error(o: object, m?: string): void };
}

export interface OutboxDamage {
  file: string;
  offset: number;
  reason: string;
}

export class OutboxDamagedError extends Error {
  constructor(readonly damages: OutboxDamage[]) {
    super(
      `damaged outbox (start with --repair to keep every readable entry and move the damaged file aside):\n${damages
        .map((d) => `  ${d.file} at byte ${d.offset}: ${d.reason}`)
        .join('\n')}`,
    );
    this.name = 'OutboxDamagedError';
  }
}

/** Bytes an entry holds: its message plus the evidence files still on disk. */
function entrySize(e: OutboxEntry): number {
  let n = e.bytes;
  for (const ev of e.evidence) if (ev.file) n += ev.size;
  return n;
}

const FILES: Record<EntryKind, string> = { incident: 'incidents.log', telemetry: 'telemetry.log' };
/** lowdb files of releases before the log; read once, then moved aside */
const LEGACY: Record<EntryKind, string> = { incident: 'incidents.json', telemetry: 'telemetry.json' };

/** Replay a log: the live entries in order, and any line that is not a record. */
function replay(
  file: string,
  log: OutboxOptions['log'],
): { entries: Map<number, OutboxEntry>; nextSeq: number; damage?: OutboxDamage } {
  const entries = new Map<number, OutboxEntry>();
  let nextSeq = 0;
  const problems = readJsonLines(file, (v) => {
    const r = v as LogRecord;
    if ('a' in r && typeof r.a?.seq === 'number' && Array.isArray(r.a.evidence)) {
      entries.set(r.a.seq, r.a);
      nextSeq = Math.max(nextSeq, r.a.seq + 1);
    } else if ('n' in r && typeof r.n === 'number') nextSeq = Math.max(nextSeq, r.n);
    else if ('k' in r && typeof r.k === 'number') entries.delete(r.k);
    else if ('e' in r && Array.isArray(r.e)) {
      const ev = entries.get(r.e[0])?.evidence.find((x) => x.name === r.e[1]);
      if (ev) ev.file = undefined;
    } else throw new Error('not an outbox record');
  });
  for (const p of problems.filter((p) => p.torn))
    log?.warn({ file, offset: p.offset }, 'outbox log ends in a torn line (crash mid-append), skipped');
  const bad = problems.find((p) => !p.torn);
  const damage = bad && { file, offset: bad.offset, reason: bad.reason };
  return { entries, nextSeq, damage };
}

export class Outbox {
  private readonly entries: Record<EntryKind, OutboxEntry[]> = { incident: [], telemetry: [] };
  private readonly evidenceDir: string;
  private readonly now: () => number;
  private seq = 0;
  /** bytes held now (messages + evidence files on disk), kept as entries come and go */
  private used = 0;
  private listeners = new Set<() => void>();
  private dropped: Dropped = { telemetry: 0, evidence: 0, incidents: 0 };
  /** log lines per kind, live or dead: compaction when dead lines dominate */
  private lines: Record<EntryKind, number> = { incident: 0, telemetry: 0 };
  /** a failed append: the next write of that kind rewrites the whole log */
  private rewrite: Record<EntryKind, boolean> = { incident: false, telemetry: false };
  private writeFailures = 0;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: OutboxOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.evidenceDir = join(opts.dir, 'evidence');
    mkdirSync(this.evidenceDir, { recursive: true });
    this.now = opts.now ?? Date.now;
  }

  static async open(opts: OutboxOptions): Promise<Outbox> {
    const ob = new Outbox(opts);
    const dir = opts.dir;
    const idFile = join(dir, 'outbox.id');
    const existed = existsSync(idFile);
    const damages: OutboxDamage[] = [];
    const aside: string[] = [];
    for (const kind of ['incident', 'telemetry'] as const) {
      const file = join(dir, FILES[kind]);
      const legacy = join(dir, LEGACY[kind]);
      let entries = new Map<number, OutboxEntry>();
      if (existsSync(file)) {
        const r = replay(file, opts.log);
        entries = r.entries;
        ob.seq = Math.max(ob.seq, r.nextSeq);
        if (r.damage) {
          damages.push(r.damage);
          aside.push(file);
        }
      } else if (existsSync(legacy)) {
        const d = JSON.parse(readFileSync(legacy, 'utf8')) as { entries?: OutboxEntry[]; dropped?: Dropped };
        for (const e of d.entries ?? []) entries.set(e.seq, e);
        ob.seq = Math.max(ob.seq, (d as { nextSeq?: number }).nextSeq ?? 0);
        if (d.dropped) ob.dropped = d.dropped;
        renameSync(legacy, `${legacy}.migrated`);
      } else if (existed)
        damages.push({
          file,
          offset: 0,
          reason: 'the log is missing (outbox.id says this outbox existed): entries may be lost',
        });
      ob.entries[kind] = [...entries.values()].sort((a, b) => a.seq - b.seq);
      ob.rewrite[kind] = true; // start from a compacted log
    }
    if (damages.length && !opts.repair) throw new OutboxDamagedError(damages);
    for (const d of damages) opts.log?.error({ ...d }, 'damaged outbox, readable entries kept');
    for (const f of aside) renameSync(f, `${f}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const droppedFile = join(dir, 'dropped.json');
    if (existsSync(droppedFile)) ob.dropped = JSON.parse(readFileSync(droppedFile, 'utf8')) as Dropped;
    if (!existed) writeFileSync(idFile, `${randomBytes(8).toString('hex')} ${new Date().toISOString()}\n`);
    for (const kind of ['incident', 'telemetry'] as const)
      for (const e of ob.entries[kind]) {
        ob.used += entrySize(e);
        ob.seq = Math.max(ob.seq, e.seq + 1);
      }
    await Promise.all([ob.write('incident', []), ob.write('telemetry', [])]);
    return ob;
  }

  /** Notified whenever an entry is added (the delivery loop waits on this). */
  onAdd(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Append records to a kind's log, or rewrite it compacted (after a failed append, or when most
   * lines are dead). Serialised; a failure is counted and logged, never thrown at the producer.
   */
  private write(kind: EntryKind, records: LogRecord[]): Promise<void> {
    this.writing = this.writing.then(async () => {
      const file = join(this.opts.dir, FILES[kind]);
      const live = this.entries[kind].length;
      try {
        if (this.rewrite[kind] || this.lines[kind] > 1000 + 2 * live) {
          // the next sequence number first: acked entries leave, their numbers must not come back
          const text = [{ n: this.seq }, ...this.entries[kind].map((e) => ({ a: e }))]
            .map((r) => `${JSON.stringify(r)}\n`)
            .join('');
          await writeFile(`${file}.tmp`, text);
          await rename(`${file}.tmp`, file);
          this.lines[kind] = live;
          this.rewrite[kind] = false;
        } else if (records.length) {
          await appendFile(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
          this.lines[kind] += records.length;
        }
      } catch (e) {
        this.writeFailures++;
        this.rewrite[kind] = true;
        this.opts.log?.error(
          { file, err: (e as Error).message },
          'outbox write failed; the entry waits in memory',
        );
      }
    });
    return this.writing;
  }

  private saveDropped(): void {
    try {
      writeFileSync(join(this.opts.dir, 'dropped.json'), JSON.stringify(this.dropped));
    } catch (e) {
      this.opts.log?.error({ err: (e as Error).message }, 'cannot write outbox drop counters');
    }
  }

  /**
   * Make a message durable. Evidence bytes are written as files first, then the entry; a crash
   * between the two leaves only an orphan file, never an entry pointing at nothing. An image
   * that cannot be written (disk full) is kept as dropped, counted; the entry still goes.
   */
  async add(
    kind: EntryKind,
    subject: string,
    msgId: string,
    payload: Record<string, unknown>,
    images: {
      name: string;
      role: EvidenceRef['role'];
      contentType: EvidenceRef['contentType'];
      bytes: Uint8Array;
    }[] = [],
  ): Promise<OutboxEntry> {
    const evidence: PendingEvidence[] = images.map((img) => {
      const file = join(this.evidenceDir, img.name);
      let written: string | undefined = file;
      try {
        writeFileSync(file, img.bytes);
      } catch (e) {
        written = undefined;
        this.writeFailures++;
        this.dropped.evidence++;
        this.opts.log?.error({ file, err: (e as Error).message }, 'cannot write evidence image, dropped');
      }
      return {
        name: img.name,
        role: img.role,
        contentType: img.contentType,
        file: written,
        size: img.bytes.byteLength,
      };
    });
    const entry: OutboxEntry = {
      seq: this.seq++,
      kind,
      subject,
      msgId,
      payload,
      evidence,
      createdAt: this.now(),
      bytes: JSON.stringify(payload).length,
    };
    this.entries[kind].push(entry);
    this.used += entrySize(entry);
    const drops = this.enforceBudget();
    const own = [{ a: entry } as LogRecord, ...(drops.get(kind) ?? [])];
    await Promise.all([
      this.write(kind, own),
      ...[...drops].filter(([k]) => k !== kind).map(([k, r]) => this.write(k, r)),
    ]);
    if (drops.size) this.saveDropped();
    for (const l of this.listeners) l();
    return entry;
  }

  /** Oldest incident first (incidents are delivered before telemetry), in creation order. */
  peek(): OutboxEntry | undefined {
    return this.entries.incident[0] ?? this.entries.telemetry[0];
  }

  /** Remove an entry after JetStream acknowledged it, with its evidence files. */
  async ack(entry: OutboxEntry): Promise<void> {
    if (!(await this.remove(entry))) return;
    for (const ev of entry.evidence) if (ev.file) rmSync(ev.file, { force: true });
  }

  /**
   * Take an entry that must not be sent out of the queue without losing it: the message, the
   * reason and its evidence files (left in place) are appended to `refused.jsonl` beside the logs.
   */
  async setAside(entry: OutboxEntry, reason: string): Promise<void> {
    const record = { at: new Date(this.now()).toISOString(), reason, entry };
    await appendFile(join(this.opts.dir, REFUSED_FILE), `${JSON.stringify(record)}\n`);
    await this.remove(entry);
  }

  /** Out of the queue and its log (a tombstone record); false when it was no longer queued. */
  private async remove(entry: OutboxEntry): Promise<boolean> {
    const list = this.entries[entry.kind];
    const i = list.findIndex((e) => e.seq === entry.seq);
    if (i < 0) return false;
    list.splice(i, 1);
    this.used -= entrySize(entry);
    await this.write(entry.kind, [{ k: entry.seq }]);
    return true;
  }

  stats(): OutboxStats {
    const inc = this.entries.incident;
    const tel = this.entries.telemetry;
    const oldest = Math.min(
      inc[0]?.createdAt ?? Number.POSITIVE_INFINITY,
      tel[0]?.createdAt ?? Number.POSITIVE_INFINITY,
    );
    return {
      depth: inc.length + tel.length,
      incidents: inc.length,
      telemetry: tel.length,
      oldestPendingAgeS: Number.isFinite(oldest) ? Math.max(0, (this.now() - oldest) / 1000) : 0,
      bytes: this.used,
      droppedTelemetry: this.dropped.telemetry,
      droppedEvidence: this.dropped.evidence,
      droppedIncidents: this.dropped.incidents,
      writeFailures: this.writeFailures,
    };
  }

  /**
   * Over budget: drop the oldest telemetry first, then the oldest incidents' evidence images,
   * and only then whole incidents, oldest first. Every drop is counted for the heartbeat and
   * returned as log records per kind.
   */
  private enforceBudget(): Map<EntryKind, LogRecord[]> {
    const out = new Map<EntryKind, LogRecord[]>();
    const note = (k: EntryKind, r: LogRecord) => out.set(k, [...(out.get(k) ?? []), r]);
    const budget = this.opts.budgetBytes;
    if (this.used <= budget) return out;
    const tel = this.entries.telemetry;
    while (this.used > budget && tel.length > 0) {
      const e = tel.shift()!;
      this.used -= entrySize(e);
      this.dropped.telemetry++;
      note('telemetry', { k: e.seq });
    }
    const inc = this.entries.incident;
    for (const e of inc) {
      if (this.used <= budget) break;
      for (const ev of e.evidence) {
        if (!ev.file || this.used <= budget) continue;
        rmSync(ev.file, { force: true });
        ev.file = undefined;
        this.used -= ev.size;
        this.dropped.evidence++;
        note('incident', { e: [e.seq, ev.name] });
      }
    }
    while (this.used > budget && inc.length > 1) {
      const e = inc.shift()!;
      this.used -= entrySize(e);
      this.dropped.incidents++;
      note('incident', { k: e.seq });
      this.opts.log?.error(
        { msgId: e.msgId, budgetBytes: budget },
        'outbox over budget: an incident was dropped',
      );
    }
    return out;
  }
}
