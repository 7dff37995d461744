/**
 * @module protocol/subjects
 * Every NATS subject the system uses, versioned and carrying the gateway id, built in one place.
 * @example subjects.incident('cp-01') // 'cg.v1.incident.cp-01'
 */
import type { CommandVerb } from './schemas/command.js';

export const SUBJECT_ROOT = 'cg.v1';

export const subjects = {
  incident: (gatewayId: string) => `${SUBJECT_ROOT}.incident.${gatewayId}`,
  telemetry: (gatewayId: string) => `${SUBJECT_ROOT}.telemetry.${gatewayId}`,
  status: (gatewayId: string) => `${SUBJECT_ROOT}.status.${gatewayId}`,
  command: (gatewayId: string, verb: CommandVerb) => `${SUBJECT_ROOT}.cmd.${gatewayId}.${verb}`,
  /** Case changes central instances tell each other (live console relay; core, not stored). */
  caseChanged: `${SUBJECT_ROOT}.central.case`,
  /** Devices board changes one central instance tells the others (stream CG_CENTRAL_BOARD). */
  boardChanged: `${SUBJECT_ROOT}.central.board`,
  /** Where a consumer puts what failed validation; `kind` is incident/telemetry/status. */
  deadLetter: (kind: string) => `${SUBJECT_ROOT}.dlq.${kind}`,
  all: {
    incident: `${SUBJECT_ROOT}.incident.*`,
    telemetry: `${SUBJECT_ROOT}.telemetry.*`,
    status: `${SUBJECT_ROOT}.status.*`,
    command: (gatewayId: string) => `${SUBJECT_ROOT}.cmd.${gatewayId}.*`,
    deadLetter: `${SUBJECT_ROOT}.dlq.>`,
  },
} as const;

/** The gateway id is the 4th token of incident/telemetry/status subjects. */
export function gatewayOfSubject(subject: string): string | undefined {
  const parts = subject.split('.');
  return parts.length === 4 && `${parts[0]}.${parts[1]}` === SUBJECT_ROOT ? parts[3] : undefined;
}

/**
 * Reply-subject prefix of a gateway's connection. Its NATS user may subscribe only below it, so
 * no gateway can read the replies (JetStream acks, KV deliveries) meant for another.
 */
export function gatewayInboxPrefix(gatewayId: string): string {
  return `_INBOX_${gatewayId}`;
}
