/**
 * @module central/datasets/verdicts
 * Every operator decision on an AI case, kept as a training sample: confirmed (`register`, with
 * the category the operator chose: a changed category is a `wrong_category` verdict) or rejected
 * (with its reason: a false positive is a negative sample). Recorded from the store's commits
 * (no change to the case service): the decision, the incident's detections and model as the
 * operator saw them, and a copy of the evidence frame (the clean one), so a sample outlives the
 * object store's retention. One JSON line per verdict in `verdicts.jsonl`, frames in `frames/`.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { INCIDENT_KINDS } from '../../protocol/index.js';
import type { CaseRecord, IncidentRecord } from '../cases/model.js';
import type { EvidenceSource } from '../evidence/routes.js';
import type { CentralStore } from '../store/contract/index.js';

export interface SampleBox {
  label: string;
  score: number;
  box: { x: number; y: number; w: number; h: number };
}

export interface Verdict {
  caseId: string;
  /** history seq of the decision (a case is decided once) */
  seq: number;
  at: string;
  by: string;
  verdict: 'confirmed' | 'wrong_category' | 'rejected';
  reason?: string;
  /** the category the operator chose (confirmed) or the case had (rejected) */
  category: string;
  /** the category the AI proposed (its incident kind's) */
  aiCategory?: string;
  kind?: string;
  incidentId?: string;
  gatewayId?: string;
  deviceId?: string;
  model?: { name: string; version?: string; sha256?: string };
  detections: SampleBox[];
  /** evidence object name of the frame */
  frame?: string;
  /** the object store bucket the frame is in (the publishing gateway's) */
  frameBucket?: string;
  /** the frame's bytes are kept under frames/ */
  frameKept: boolean;
}

/** A decision in this commit on an AI case, or undefined. */
export function verdictOf(
  c: CaseRecord,
  incident: IncidentRecord | undefined,
): Omit<Verdict, 'frameKept'> | undefined {
  if (c.source !== 'ai') return undefined;
  const h = c.history[c.history.length - 1];
  if (!h || (h.action !== 'register' && h.action !== 'reject')) return undefined;
  const incidentId = c.refs.incidentIds[0];
  const latest = incident?.id === incidentId ? incident?.latest : undefined;
  const aiCategory = latest?.kind ? INCIDENT_KINDS[latest.kind]?.category : undefined;
  const frame =
    c.evidence.find((e) => e.origin === 'incident' && e.role === 'clean') ??
    c.evidence.find((e) => e.origin === 'incident' && e.role === 'annotated');
  return {
    caseId: c.id,
    seq: h.seq,
    at: h.at,
    by: h.actor.id,
    verdict:
      h.action === 'reject'
        ? 'rejected'
        : aiCategory && aiCategory !== c.category
          ? 'wrong_category'
          : 'confirmed',
    reason: h.action === 'reject' ? c.rejection?.reason : undefined,
    category: c.category,
    aiCategory,
    kind: latest?.kind,
    incidentId,
    gatewayId: c.refs.gatewayId,
    deviceId: c.refs.deviceId,
    model: latest?.producer?.model,
    detections: (latest?.detections ?? []).map((d) => ({ label: d.label, score: d.score, box: d.box })),
    frame: frame?.name,
    frameBucket: frame?.bucket,
  };
}

export class VerdictLog {
  readonly #file: string;
  readonly #frames: string;
  readonly #seen = new Set<string>();
  #queue: Promise<void> = Promise.resolve();
  readonly errors: string[] = [];

  constructor(readonly dir: string) {
    this.#file = path.join(dir, 'verdicts.jsonl');
    this.#frames = path.join(dir, 'frames');
    mkdirSync(this.#frames, { recursive: true });
    if (!existsSync(this.#file)) writeFileSync(this.#file, '');
    for (const v of this.all()) this.#seen.add(`${v.caseId}:${v.seq}`);
  }

  /** Record the decisions of every commit from now on; returns unsubscribe. */
  watch(store: Pick<CentralStore, 'onCommit' | 'cases'>, objects: EvidenceSource): () => void {
    return store.onCommit((ch) => {
      for (const c of ch.cases ?? []) {
        if (!verdictOf(c, undefined)) continue; // not a decision on an AI case
        this.#queue = this.#queue
          .then(async () => {
            const v = verdictOf(c, await store.cases.getIncident(c.refs.incidentIds[0] ?? ''));
            if (!v || this.#seen.has(`${v.caseId}:${v.seq}`)) return;
            this.#seen.add(`${v.caseId}:${v.seq}`);
            await this.#keep(v, objects);
          })
          // one failed record (store away, disk full) must not stop every later one
          .catch((e) => void this.errors.push(`verdict ${c.id}: ${(e as Error).message}`));
      }
    });
  }

  /** Resolves when every verdict seen so far is written. */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #keep(v: Omit<Verdict, 'frameKept'>, objects: EvidenceSource): Promise<void> {
    let frameKept = false;
    try {
      const bytes = v.frame && v.frameBucket ? await objects.get(v.frameBucket, v.frame) : undefined;
      if (bytes && v.frame) {
        writeFileSync(path.join(this.#frames, v.frame), bytes);
        frameKept = true;
      }
    } catch (e) {
      this.errors.push(`verdict ${v.caseId}: frame ${v.frame}: ${(e as Error).message}`);
    }
    appendFileSync(this.#file, `${JSON.stringify({ ...v, frameKept })}\n`);
  }

  /** Every verdict, oldest first; a torn last line (crash while appending) is skipped. */
  all(): Verdict[] {
    const out: Verdict[] = [];
    for (const line of readFileSync(this.#file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as Verdict);
      } catch {
        this.errors.push(`${this.#file}: unreadable line skipped`);
      }
    }
    return out;
  }

  /** The kept frame, else the object store's copy. */
  async frame(v: Verdict, objects: EvidenceSource): Promise<Uint8Array | undefined> {
    if (!v.frame) return undefined;
    if (v.frameKept) return readFile(path.join(this.#frames, v.frame));
    return v.frameBucket ? ((await objects.get(v.frameBucket, v.frame)) ?? undefined) : undefined;
  }
}
