/**
 * @module edge/outbox/deliver
 * Drains the outbox to JetStream strictly in order: upload the entry's evidence to the object
 * store (skipped when already there, so a crash mid-upload resumes), publish with the entry's
 * message id (JetStream de-duplicates a re-send), and only then remove the entry.
 *
 * The message was validated when it entered the outbox, but delivery changes it (evidence refs,
 * images dropped for the disk budget): it is validated again against its schema right before the
 * publish. One that fails is never sent: it is set aside in the outbox's `refused.jsonl` with
 * the reason, counted (`stats.refused`) and logged, and delivery goes on with the next entry.
 */
import { readFileSync } from 'node:fs';
import { type EvidenceRef, Incident, Telemetry, validate } from '../../protocol/index.js';
import { evidenceStore, type Link, type ObjectBucket, putEvidence } from '../../protocol/transport.js';
import type { Outbox, OutboxEntry } from './index.js';

export interface DeliveryLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DeliveryStats {
  delivered: number;
  duplicates: number;
  failures: number;
  /** evidence objects found under our name with other content or unreadable metadata, replaced */
  evidenceReplaced: number;
  lastPublishMs: number;
  /** messages that failed validation after delivery's changes: set aside, not published */
  refused: number;
}

const SCHEMAS = { incident: Incident, telemetry: Telemetry } as const;

export class Deliverer {
  readonly stats: DeliveryStats = {
    delivered: 0,
    duplicates: 0,
    failures: 0,
    evidenceReplaced: 0,
    lastPublishMs: 0,
    refused: 0,
  };
  private stopped = false;
  private wake?: () => void;
  private failing = false;
  private loop?: Promise<void>;
  private os?: ObjectBucket;

  constructor(
    private readonly outbox: Outbox,
    private readonly nc: Link,
    private readonly log: DeliveryLog,
    /** whose evidence bucket (cg_evidence_<gatewayId>) the images go to */
    private readonly gatewayId: string,
  ) {}

  start(): void {
    const unsubscribe = this.outbox.onAdd(() => this.wake?.());
    this.loop = this.run().finally(unsubscribe);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopped) {
      const entry = this.outbox.peek();
      if (!entry || this.nc.isClosed()) {
        await this.sleep(1000);
        continue;
      }
      try {
        const refused = await this.deliver(entry);
        if (refused === undefined) await this.outbox.ack(entry);
        else {
          this.stats.refused++;
          this.log.error(
            { kind: entry.kind, msgId: entry.msgId, reason: refused, alert: true },
            'outgoing message invalid after delivery changes; set aside, not sent',
          );
          await this.outbox.setAside(entry, refused);
        }
        backoff = 250;
        if (this.failing) this.log.info({ pending: this.outbox.stats().depth }, 'outbox delivering again');
        this.failing = false;
      } catch (e) {
        this.stats.failures++;
        if (!this.failing)
          this.log.warn(
            { err: (e as Error).message, pending: this.outbox.stats().depth },
            'outbox delivery failing, will retry',
          );
        this.failing = true;
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /** Publish one entry; returns the validation failure instead when it must not be sent. */
  private async deliver(entry: OutboxEntry): Promise<string | undefined> {
    const payload = { ...entry.payload };
    if (entry.kind === 'incident') {
      const refs: EvidenceRef[] = [];
      let dropped = 0;
      if (entry.evidence.length) {
        // bind the bucket once per connection, not per entry
        this.os ??= await evidenceStore(this.nc, this.gatewayId);
        const os = this.os;
        for (const ev of entry.evidence) {
          if (!ev.file) {
            dropped++;
            continue;
          }
          const replaced = (what: string) => {
            this.stats.evidenceReplaced++;
            this.log.warn({ name: ev.name, found: what }, 'evidence object had other content; replaced');
          };
          refs.push(await putEvidence(os, ev.name, readFileSync(ev.file), ev.role, ev.contentType, replaced));
        }
      }
      payload.evidence = refs;
      if (dropped)
        payload.details = { ...(payload.details as object), evidenceDroppedForDiskBudget: dropped };
    }
    const checked = validate(SCHEMAS[entry.kind], payload);
    if (!checked.ok) return checked.reason;
    const t0 = performance.now();
    const ack = await this.nc.publishStored(
      entry.subject,
      new TextEncoder().encode(JSON.stringify(payload)),
      { msgId: entry.msgId, timeout: 5000 },
    );
    this.stats.lastPublishMs = performance.now() - t0;
    if (ack.duplicate) this.stats.duplicates++;
    else this.stats.delivered++;
    return undefined;
  }
}
