/**
 * @module protocol/streams
 * JetStream streams, object store and KV buckets, defined once. Provisioning (transport.ts)
 * creates or updates them idempotently. Only nats-server 2.9 features are used.
 */
import { subjects } from './subjects.js';

const DAY_NS = 24 * 3600 * 1e9;

export interface StreamDef {
  name: string;
  subjects: string[];
  /** max age in nanoseconds, 0 = forever */
  maxAgeNs: number;
  /** JetStream message-id de-duplication window in nanoseconds */
  duplicateWindowNs: number;
  maxBytes: number;
  description: string;
}

export const STREAMS = {
  incidents: {
    name: 'CG_INCIDENTS',
    subjects: [subjects.all.incident],
    maxAgeNs: 365 * DAY_NS,
    duplicateWindowNs: 10 * 60 * 1e9,
    maxBytes: -1,
    description: 'incidents from edge gateways; long retention, central consumes durably',
  },
  telemetry: {
    name: 'CG_TELEMETRY',
    subjects: [subjects.all.telemetry],
    maxAgeNs: 7 * DAY_NS,
    duplicateWindowNs: 2 * 60 * 1e9,
    maxBytes: 2 * 1024 ** 3,
    description: 'vehicle tracks, bounded by age',
  },
  status: {
    name: 'CG_STATUS',
    subjects: [subjects.all.status],
    maxAgeNs: 2 * DAY_NS,
    duplicateWindowNs: 60 * 1e9,
    maxBytes: 512 * 1024 ** 2,
    description: 'gateway and device heartbeats',
  },
  deadLetters: {
    name: 'CG_DLQ',
    subjects: [subjects.all.deadLetter],
    maxAgeNs: 30 * DAY_NS,
    duplicateWindowNs: 60 * 1e9,
    maxBytes: 1024 ** 3,
    description: 'messages that failed validation, with the reason',
  },
} as const satisfies Record<string, StreamDef>;

/**
 * Evidence images (JetStream object store), one bucket per gateway: `cg_evidence_<gatewayId>`.
 * NATS permissions can then give a gateway its own bucket's subjects and API and nothing of
 * another's (object names are base64 in subjects, so a name prefix could not be expressed, and
 * stream info / get-by-sequence on a shared bucket would show every gateway's objects).
 */
export const EVIDENCE_BUCKET_PREFIX = 'cg_evidence_';
export function evidenceBucket(gatewayId: string): string {
  return `${EVIDENCE_BUCKET_PREFIX}${gatewayId}`;
}
/** The single shared bucket of releases before per-gateway buckets (read only, for old cases). */
export const LEGACY_EVIDENCE_BUCKET = 'cg_evidence';
/** Gateway configurations distributed by central (KV), key = gateway id. */
export const CONFIG_BUCKET = 'cg_gateway_config';

/** Durable consumer names central uses. */
export const CONSUMERS = {
  centralIngest: 'central-ingest',
  centralTelemetry: 'central-telemetry',
  centralStatus: 'central-status',
} as const;

/**
 * Model versions central publishes for rollout (JetStream object store, one shared bucket: the
 * models are the same for every gateway and not secret). Objects per version:
 * `<name>/<version>/model.onnx`, `MODEL_CARD.md`, and `manifest.json` written last, so a version
 * without its manifest is incomplete and never offered. Gateways may read, not write.
 */
export const MODELS_BUCKET = 'cg_models';
export const modelObject = (name: string, version: string, file: string) => `${name}/${version}/${file}`;

/** How a synced camera config names a published model instead of a local manifest path. */
export interface PublishedModel {
  name: string;
  version: string;
  /** sha256 of model.onnx, as the published manifest gives it */
  sha256: string;
}
const MODEL_REF = /^models:\/\/([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+)#([0-9a-f]{64})$/;
export function formatModelRef(r: PublishedModel): string {
  return `models://${r.name}/${r.version}#${r.sha256}`;
}
/** The reference in a `models://name/version#sha256` string; undefined for a local path. */
export function parseModelRef(s: string): PublishedModel | undefined {
  const m = MODEL_REF.exec(s);
  return m ? { name: m[1], version: m[2], sha256: m[3] } : undefined;
}
