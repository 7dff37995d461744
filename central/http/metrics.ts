/**
 * @module central/http/metrics
 * Central's counters and case gauges for Prometheus (prom-client: it writes the text format).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

import { CASE_STATE_NAMES } from '../cases/workflow.js';
import type { IngestCounters } from '../ingest/consumer.js';
import type { IncidentBatchStats } from '../store/contract/index.js';

export interface CentralCounters extends IngestCounters {
  /** new incident revisions persisted */
  ingested: Record<string, number>;
  /** revisions seen before (re-delivery, replay) */
  duplicates: Record<string, number>;
}

export function newCounters(): CentralCounters {
  return { received: {}, deadLetters: {}, handlerErrors: {}, refused: {}, ingested: {}, duplicates: {} };
}

const KINDS = ['incident', 'status', 'telemetry'] as const;

/** A counter kept elsewhere (ingest's plain objects), read at scrape time. */
function totals(reg: Registry, name: string, help: string, read: () => Record<string, number>): void {
  new Counter({
    name,
    help,
    labelNames: ['kind'],
    registers: [reg],
    collect() {
      const r = read();
      this.reset();
      for (const kind of KINDS) this.inc({ kind }, r[kind] ?? 0);
    },
  });
}

/**
 * Central's ingest counters and case gauges, on the process's one registry (buildApp makes it;
 * route groups such as central/gateways add theirs to it).
 */
export function registerCentralMetrics(
  reg: Registry,
  counters: CentralCounters,
  /** cases by state and the overdue count, read from the store at each scrape */
  cases: () => Promise<{ byState: Record<string, number>; overdue: number }>,
  /** the store's incident batches, where it applies revisions in batches (PostgreSQL) */
  batches?: IncidentBatchStats,
): void {
  totals(reg, 'cg_central_messages_received_total', 'messages taken from JetStream', () => counters.received);
  totals(reg, 'cg_central_ingested_total', 'new messages persisted', () => counters.ingested);
  totals(
    reg,
    'cg_central_duplicates_total',
    'incident revisions seen before, ignored',
    () => counters.duplicates,
  );
  totals(
    reg,
    'cg_central_dead_letters_total',
    'invalid messages sent to the dead-letter subject',
    () => counters.deadLetters,
  );
  totals(
    reg,
    'cg_central_refused_total',
    "well-formed messages refused and dead-lettered (a revision of another gateway's incident)",
    () => counters.refused,
  );
  totals(
    reg,
    'cg_central_ingest_errors_total',
    'messages that failed to persist (retried)',
    () => counters.handlerErrors,
  );
  if (batches) {
    new Counter({
      name: 'cg_central_incident_batches_total',
      help: 'incident batches (one transaction each), by outcome: committed, or fell back to one transaction per revision',
      labelNames: ['outcome'],
      registers: [reg],
      collect() {
        this.reset();
        this.inc({ outcome: 'committed' }, batches.batches);
        this.inc({ outcome: 'fell_back' }, batches.fallbacks);
      },
    });
    new Counter({
      name: 'cg_central_incident_batch_revisions_total',
      help: 'incident revisions carried by committed batches (÷ batches: the mean batch size)',
      registers: [reg],
      collect() {
        this.reset();
        this.inc(batches.revisions);
      },
    });
  }
  new Gauge({
    name: 'cg_central_cases',
    help: 'cases by state',
    labelNames: ['state'],
    registers: [reg],
    async collect() {
      const states = new Map<string, number>(CASE_STATE_NAMES.map((s) => [s, 0]));
      for (const [s, n] of Object.entries((await cases()).byState)) states.set(s, n);
      for (const [state, n] of states) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'cg_central_cases_overdue',
    help: 'open cases past their deadline',
    registers: [reg],
    async collect() {
      this.set((await cases()).overdue);
    },
  });
}
