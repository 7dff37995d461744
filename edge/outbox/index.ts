/**
 * @module edge/outbox
 * The gateway's durable store-and-forward queue (lowdb). An incident counts as emitted only once
 * its entry (and its evidence files) are on disk; it leaves only after JetStream acknowledged it.
 * Incidents and telemetry live in separate lowdb files so a long telemetry backlog never makes an
 * incident write slow, and so telemetry can be dropped first when the disk budget is exceeded.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { EvidenceRef } from '../../protocol/index.js';

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

interface Data {
  nextSeq: number;
  entries: OutboxEntry[];
  /** what the disk budget forced out, kept across restarts for the heartbeat */
  dropped?: { telemetry: number; evidence: number; incidents: number };
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
}

export interface OutboxOptions {
  dir: string;
  /** total bytes of queued messages + evidence files the gateway may use */
  budgetBytes: number;
  now?: () => number;
}

/** Bytes an entry holds: its message plus the evidence files still on disk. */
function entrySize(e: OutboxEntry): number {
  let n = e.bytes;
  for (const ev of e.evidence) if (ev.file) n += ev.size;
  return n;
}

export class Outbox {
  private readonly dbs: Record<EntryKind, Low<Data>>;
  private readonly evidenceDir: string;
  private readonly now: () => number;
  private seq = 0;
  /** bytes held now (messages + evidence files on disk), kept as entries come and go */
  private used = 0;
  private listeners = new Set<() => void>();

  private constructor(private readonly opts: OutboxOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.evidenceDir = join(opts.dir, 'evidence');
    mkdirSync(this.evidenceDir, { recursive: true });
    const mk = (f: string) => new Low<Data>(new JSONFile(join(opts.dir, f)), { nextSeq: 1, entries: [] });
    this.dbs = { incident: mk('incidents.json'), telemetry: mk('telemetry.json') };
    this.now = opts.now ?? Date.now;
  }

  static async open(opts: OutboxOptions): Promise<Outbox> {
    const ob = new Outbox(opts);
    await Promise.all([ob.dbs.incident.read(), ob.dbs.telemetry.read()]);
    ob.seq = Math.max(ob.dbs.incident.data.nextSeq, ob.dbs.telemetry.data.nextSeq);
    for (const db of Object.values(ob.dbs)) for (const e of db.data.entries) ob.used += entrySize(e);
    ob.dbs.incident.data.dropped ??= { telemetry: 0, evidence: 0, incidents: 0 };
    return ob;
  }

  /** Notified whenever an entry is added (the delivery loop waits on this). */
  onAdd(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Make a message durable. Evidence bytes are written as files first, then the entry; a crash
   * between the two leaves only an orphan file, never an entry pointing at nothing.
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
      writeFileSync(file, img.bytes);
      return {
        name: img.name,
        role: img.role,
        contentType: img.contentType,
        file,
        size: img.bytes.byteLength,
      };
    });
    const db = this.dbs[kind];
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
    db.data.entries.push(entry);
    db.data.nextSeq = this.seq;
    this.used += entrySize(entry);
    // rewrite only the files that changed: this kind's, and what the budget dropped from
    const changed = new Set<EntryKind>([kind, ...this.enforceBudget()]);
    await Promise.all([...changed].map((k) => this.dbs[k].write()));
    for (const l of this.listeners) l();
    return entry;
  }

  /** Oldest incident first (incidents are delivered before telemetry), in creation order. */
  peek(): OutboxEntry | undefined {
    return this.dbs.incident.data.entries[0] ?? this.dbs.telemetry.data.entries[0];
  }

  /** Remove an entry after JetStream acknowledged it, with its evidence files. */
  async ack(entry: OutboxEntry): Promise<void> {
    const db = this.dbs[entry.kind];
    const i = db.data.entries.findIndex((e) => e.seq === entry.seq);
    if (i < 0) return;
    db.data.entries.splice(i, 1);
    this.used -= entrySize(entry);
    await db.write();
    for (const ev of entry.evidence) if (ev.file) rmSync(ev.file, { force: true });
  }

  private get dropped() {
    return this.dbs.incident.data.dropped!;
  }

  stats(): OutboxStats {
    const inc = this.dbs.incident.data.entries;
    const tel = this.dbs.telemetry.data.entries;
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
    };
  }

  /**
   * Over budget: drop the oldest telemetry first, then the oldest incidents' evidence images,
   * and only then whole incidents, oldest first. Every drop is counted for the heartbeat.
   */
  /** Returns the kinds it dropped from (the drop counters live in the incident file). */
  private enforceBudget(): EntryKind[] {
    const budget = this.opts.budgetBytes;
    if (this.used <= budget) return [];
    const tel = this.dbs.telemetry.data.entries;
    while (this.used > budget && tel.length > 0) {
      this.used -= entrySize(tel.shift()!);
      this.dropped.telemetry++;
    }
    const inc = this.dbs.incident.data.entries;
    for (const e of inc) {
      if (this.used <= budget) break;
      for (const ev of e.evidence) {
        if (!ev.file || this.used <= budget) continue;
        rmSync(ev.file, { force: true });
        ev.file = undefined;
        this.used -= ev.size;
        this.dropped.evidence++;
      }
    }
    while (this.used > budget && inc.length > 1) {
      this.used -= entrySize(inc.shift()!);
      this.dropped.incidents++;
    }
    return ['telemetry', 'incident'];
  }
}
