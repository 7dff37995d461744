/**
 * @module central/cases/model
 * The case record as stored and served (documented in central/README.md, "The case record").
 * Scoring reads `state`, `unitId`, `source`, `reporter`, `deadline`, `counts` and `evaluation`.
 */
import { type IncidentKind, keysOf, labels } from '../../protocol/index.js';
import type { Role } from '../auth/roles.js';
import type { CaseAction, CaseState } from './workflow.js';

export const SOURCES = labels({
  ai: { zh: '智能识别', en: 'AI camera incident' },
  vehicle: { zh: '车载终端', en: 'Vehicle unit incident' },
  collector: { zh: '城管通采集', en: 'Grid collector report' },
  hotline_12345: { zh: '12345热线', en: '12345 hotline' },
  citizen: { zh: '市民投诉', en: 'Citizen complaint' },
  wechat: { zh: '微信公众号', en: 'WeChat account' },
  leader: { zh: '领导交办', en: "Leader's instruction" },
  open311: { zh: 'Open311接口', en: 'Open311 request' },
});
export type CaseSource = keyof typeof SOURCES;
export const SOURCE_NAMES = keysOf(SOURCES);

export interface Actor {
  id: string;
  role: Role | 'system';
  unitId?: string;
}

export interface EvidenceItem {
  /** object name: evidence bucket (incidents) or central's attachment store (uploads) */
  name: string;
  contentType: string;
  /** annotated/clean/start/violation/end from the edge; photo/voice for uploads */
  role: string;
  origin: 'incident' | 'upload';
  /** edge evidence: the object store bucket (the gateway's own) and the sha256 it declared */
  bucket?: string;
  sha256?: string;
  incidentId?: string;
  incidentRev?: number;
  addedAt: string;
}

export interface HistoryEntry {
  seq: number;
  at: string;
  action: CaseAction | 'report' | 'incident_update' | 'incident_end' | 'evaluate' | 'merged_in';
  from?: CaseState;
  to?: CaseState;
  actor: Actor;
  note?: string;
  attachments?: string[];
  data?: Record<string, unknown>;
}

/** What a dispatch or rework entry records in `data` (cases/actions.ts writes it). */
export interface DispatchData {
  /** the unit the entry sent the case to */
  unitId: string;
  deadline?: string;
}

/** The unit a dispatch or rework entry sent the case to: `DispatchData.unitId`, the one field for it. */
export function sentTo(h: HistoryEntry): string | undefined {
  if (h.action !== 'dispatch' && h.action !== 'rework') return undefined;
  const u = (h.data as Partial<DispatchData> | undefined)?.unitId;
  return typeof u === 'string' ? u : undefined;
}

export interface Evaluation {
  /** the last feedback came before the deadline */
  onTime: boolean;
  reworkCount: number;
  returnCount: number;
  extensionCount: number;
  firstDispatchedAt: string;
  finishedAt: string;
  closedAt: string;
  deadline: string;
  unitId: string;
  /** working minutes from the first dispatch to the last feedback; always set on close (optional for older records) */
  handlingWorkMinutes?: number;
}

export interface CaseRecord {
  id: string;
  /** 案卷号 `YYYYMMDD` + daily sequence (cases/case-number.ts): what people read; `id` stays internal */
  caseNumber?: string;
  createdAt: string;
  updatedAt: string;
  source: CaseSource;
  /** who reported: a user id, a gateway id, or an external reference */
  reporter: { id: string; role: Role | 'system'; collectorId?: string; name?: string; contact?: string };
  /** external references: incident ids, 12345 ticket, Open311 request id */
  refs: {
    incidentIds: string[];
    gatewayId?: string;
    deviceId?: string;
    zoneId?: string;
    ticketNo?: string;
    open311Id?: string;
    /** Open311 `media_url`: a photo the citizen's app hosts (kept as given, returned in status) */
    mediaUrl?: string;
  };
  state: CaseState;
  category: string;
  description: string;
  location: {
    lat?: number;
    lon?: number;
    address?: string;
    gridCode?: string;
    streetId?: string;
    areaId?: string;
  };
  /** routing proposal made at intake (unit from category + grid) */
  proposedUnitId?: string;
  /** the responsible unit, set on dispatch */
  unitId?: string;
  deadlineSpec: { value: number; unit: 'workHours' | 'workDays' };
  /** ISO; set on dispatch, moved by approved extensions and by suspension */
  deadline?: string;
  firstDispatchedAt?: string;
  lastDispatchedAt?: string;
  lastFeedbackAt?: string;
  closedAt?: string;
  counts: { dispatches: number; returns: number; reworks: number; extensions: number };
  evidence: EvidenceItem[];
  /** proof the cause is gone: edge `end` events, collector re-visit photos */
  verificationEvidence: EvidenceItem[];
  duplicateCandidates: string[];
  mergedInto?: string;
  mergedFrom: string[];
  rejection?: { reason: RejectReason; note?: string; at: string; by: string };
  suspendedFrom?: CaseState;
  suspendedAt?: string;
  extensionRequest?: { value: number; unit: 'workHours' | 'workDays'; reason: string; at: string };
  evaluation?: Evaluation;
  history: HistoryEntry[];
  /**
   * Incremented by every change (actions, edge revisions, merges). A client sends the version it
   * read (`If-Match: "<version>"` or body `version`); a stale one gets 409 with the current case.
   * Absent on records stored before it existed (read as 0).
   */
  version?: number;
}

/** Why a report is not registered (不予立案); `false_positive` marks a model's mistake. */
export const REJECT_REASON_LABELS = labels({
  false_positive: { zh: '误报', en: 'False positive' },
  invalid: { zh: '无效', en: 'Invalid' },
  duplicate: { zh: '重复', en: 'Duplicate' },
  out_of_scope: { zh: '不属于受理范围', en: 'Out of scope' },
});
export const REJECT_REASONS = keysOf(REJECT_REASON_LABELS);
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * What central keeps of an edge incident's latest revision: its own record, mapped from the wire
 * message at the ingest boundary (cases/incident-record.ts), not the message itself.
 */
export interface IncidentSnapshot {
  rev: number;
  lifecycle: 'new' | 'update' | 'end';
  kind: IncidentKind;
  category: string;
  /** what saw it: a fixed camera (an AI case) or a vehicle unit (a vehicle case) */
  origin: 'camera' | 'vehicle';
  deviceId: string;
  observedAt: string;
  startedAt: string;
  endedAt?: string;
  confidence: number;
  location: {
    lat?: number;
    lon?: number;
    gridCode?: string;
    cameraId?: string;
    zoneId?: string;
    address?: string;
  };
  detections: { label: string; score: number; box: { x: number; y: number; w: number; h: number } }[];
  producer: { rule: string; model?: { name: string; version?: string; sha256?: string } };
  plate?: { text: string; confidence: number };
  details: Record<string, string | number | boolean>;
}

/** One incident from the edge, all revisions central has seen (idempotency by id + rev). */
export interface IncidentRecord {
  id: string;
  caseId: string;
  gatewayId: string;
  firstSeenAt: string;
  revs: number[];
  /** the latest revision, as central's record */
  latest: IncidentSnapshot;
  revisions: { rev: number; lifecycle: string; observedAt: string; receivedAt: string; evidence: string[] }[];
}

/** An intake answered once under an Idempotency-Key. */
export interface IdempotencyRecord {
  key: string;
  userId: string;
  requestSha256: string;
  status: number;
  caseId: string;
  at: string;
}
