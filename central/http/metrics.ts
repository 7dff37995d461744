/**
 * @module central/http/metrics
 * Prometheus text exposition of central's counters and case gauges.
 */

import { CASE_STATE_NAMES } from '../cases/workflow.js';
import type { IngestCounters } from '../ingest/consumer.js';

export interface CentralCounters extends IngestCounters {
  /** new incident revisions persisted */
  ingested: Record<string, number>;
  /** revisions seen before (re-delivery, replay) */
  duplicates: Record<string, number>;
}

export function newCounters(): CentralCounters {
  return { received: {}, deadLetters: {}, handlerErrors: {}, refused: {}, ingested: {}, duplicates: {} };
}

function family(name: string, help: string, type: 'counter' | 'gauge', rows: [string, number][]): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const [labels, v] of rows) lines.push(`${name}${labels} ${v}`);
  return lines.join('\n');
}

const byKind = (r: Record<string, number>, kinds: string[]) =>
  kinds.map((k) => [`{kind="${k}"}`, r[k] ?? 0] as [string, number]);

export function renderMetrics(
  counters: CentralCounters,
  byState: Record<string, number>,
  overdue: number,
): string {
  const kinds = ['incident', 'status', 'telemetry'];
  const states = new Map<string, number>(CASE_STATE_NAMES.map((s) => [s, 0]));
  for (const [s, n] of Object.entries(byState)) states.set(s, n);
  return (
    [
      family(
        'cg_central_messages_received_total',
        'messages taken from JetStream',
        'counter',
        byKind(counters.received, kinds),
      ),
      family(
        'cg_central_ingested_total',
        'new messages persisted',
        'counter',
        byKind(counters.ingested, kinds),
      ),
      family(
        'cg_central_duplicates_total',
        'incident revisions seen before, ignored',
        'counter',
        byKind(counters.duplicates, kinds),
      ),
      family(
        'cg_central_dead_letters_total',
        'invalid messages sent to the dead-letter subject',
        'counter',
        byKind(counters.deadLetters, kinds),
      ),
      family(
        'cg_central_refused_total',
        "well-formed messages refused and dead-lettered (a revision of another gateway's incident)",
        'counter',
        byKind(counters.refused, kinds),
      ),
      family(
        'cg_central_ingest_errors_total',
        'messages that failed to persist (retried)',
        'counter',
        byKind(counters.handlerErrors, kinds),
      ),
      family(
        'cg_central_cases',
        'cases by state',
        'gauge',
        [...states].map(([s, n]) => [`{state="${s}"}`, n]),
      ),
      family('cg_central_cases_overdue', 'open cases past their deadline', 'gauge', [['', overdue]]),
    ].join('\n') + '\n'
  );
}
