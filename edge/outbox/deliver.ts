/**
 * @module edge/outbox/deliver
 * Drains the outbox to JetStream strictly in order: upload the entry's evidence to the object
 * store (skipped when already there, so a crash mid-upload resumes), publish with the entry's
 * message id (JetStream de-duplicates a re-send), and only then remove the entry.
 */
import { readFileSync } from 'node:fs';
import type { EvidenceRef } from '../../protocol/index.js';
import {
  type EvidenceBucket,
  evidenceStore,
  type NatsConnection,
  putEvidence,
} from '../../protocol/transport.js';
import type { Outbox, OutboxEntry } from './index.js';

export interface DeliveryLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DeliveryStats {
  delivered: number;
  duplicates: number;
  failures: number;
  /** evidence objects found under our name with other content or unreadable metadata, replaced */
  evidenceReplaced: number;
  lastPublishMs: number;
}

export class Deliverer {
  readonly stats: DeliveryStats = {
    delivered: 0,
    duplicates: 0,
    failures: 0,
    evidenceReplaced: 0,
    lastPublishMs: 0,
  };
  private stopped = false;
  private wake?: () => void;
  private failing = false;
  private loop?: Promise<void>;
  private os?: EvidenceBucket;

  constructor(
    private readonly outbox: Outbox,
    private readonly nc: NatsConnection,
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
        await this.deliver(entry);
        await this.outbox.ack(entry);
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

  private async deliver(entry: OutboxEntry): Promise<void> {
    const js = this.nc.jetstream();
    const payload = { ...entry.payload };
    if (entry.kind === 'incident') {
      const refs: EvidenceRef[] = [];
      let dropped = 0;
      if (entry.evidence.length) {
        // bind the bucket once per connection, not per entry
        this.os ??= await evidenceStore(js, this.gatewayId);
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
    const t0 = performance.now();
    const ack = await js.publish(entry.subject, new TextEncoder().encode(JSON.stringify(payload)), {
      msgID: entry.msgId,
      timeout: 5000,
    });
    this.stats.lastPublishMs = performance.now() - t0;
    if (ack.duplicate) this.stats.duplicates++;
    else this.stats.delivered++;
  }
}
