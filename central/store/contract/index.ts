/**
 * @module central/store/contract
 * The asynchronous storage contract every central store implements (lowdb through
 * `LowdbAdapter`, PostgreSQL through `PgStore`), so several central instances can share one
 * database. Every read and write is async; queries are filters, pages and aggregates, never
 * "all cases". The same suite (`contract.test.ts`) runs against both implementations.
 *
 * Concurrency: a case's `version` is `CaseRecord.version` (cases/records.ts `bumpVersion`, once
 * per change: the number the API's If-Match / ETag carry). A write names the version it read and
 * is refused with `StaleVersion` when the stored one moved on. History is append-only: every
 * change appends at least one entry (a close appends two), never rewrites one.
 */
import type { CaseRecord, HistoryEntry, IdempotencyRecord, IncidentRecord } from '../../cases/model.js';
import { versionOf } from '../../cases/records.js';
import type { DashboardAggregate, DashboardWindow } from '../../console/dashboard.js';
import type { CallRecord, GatewayState, VehicleTrack } from '../../devices/board.js';
import type { AttachmentRef } from '../../evidence/attachments.js';
import type { ModelCaseCount } from '../../models/routes.js';
import type { BonusItem, BonusState } from '../../scoring/engine.js';
import type { UnitMonthAggregate } from '../../scoring/indicators.js';
import type { AuditEntry, ClosedMonth, MonthConfig } from '../../scoring/store.js';

export * from './errors.js';

export interface StoredCase {
  case: CaseRecord;
  /** `CaseRecord.version`; what a write names as `expectedVersion` */
  version: number;
}

export { versionOf };

/** A case as listed: everything but its history. */
export type CaseSummary = Omit<CaseRecord, 'history'> & { version: number; historyLength: number };

/** List filters (GET /api/cases and the confirmation queue); each has an index in PostgreSQL. */
export interface CaseFilter {
  states?: string[];
  unitId?: string;
  gridCode?: string;
  category?: string;
  sources?: string[];
  reporterId?: string;
  collectorId?: string;
  /** created at or after (ISO) */
  createdFrom?: string;
  /** created before (ISO) */
  createdTo?: string;
  /** with the unit, its deadline passed before this time (ISO): the overdue list */
  overdueAt?: string;
  /** the opposite: not overdue at this time (ISO) */
  notOverdueAt?: string;
  /** 案卷号 equal to this or starting with it (a day: `20261201`) */
  caseNumberPrefix?: string;
  /** case-insensitive text in the 案卷号, address or description */
  text?: string;
  /** cursor: only cases older than this case id (ids sort by creation time) */
  before?: string;
  /** a unit handler / reporter sees only these: cases of this unit or reported by this id */
  visibleTo?: { unitId?: string; reporterId?: string };
}

export interface Page {
  offset: number;
  limit: number;
}

export interface CasePage {
  total: number;
  items: CaseSummary[];
}

/** Open cases of one category near a place or from one camera zone, since a time. */
export interface DuplicateQuery {
  category: string;
  lat?: number;
  lon?: number;
  metres: number;
  deviceId?: string;
  zoneId?: string;
  /** created at or after (ISO): the time window; unset = any open case */
  since?: string;
  /** at most this many, newest first */
  limit: number;
  /** leave this case out (the case being checked) */
  excludeId?: string;
}

/** One case written: its whole new state, and the version it was read at (0: a new case). */
export interface CaseWrite {
  case: CaseRecord;
  expectedVersion: number;
}

/** Everything one change commits together (one transaction in PostgreSQL). */
export interface CaseChange {
  /** one case, or two for a merge (the merged case and its target) */
  cases: CaseWrite[];
  /** the incident record after this revision (ingest) */
  incident?: IncidentRecord;
  /** the intake answered under this key (refused with `Duplicate` if the key is taken) */
  idempotency?: IdempotencyRecord & { expiresAt: string };
  /**
   * uploads this change cites for the first time: refused with `Duplicate('evidence')` when any
   * other case cites one already (an upload is evidence of one case)
   */
  claims?: string[];
}

/** What a committed change tells in-process listeners (live console, verdict log). */
export interface CommittedChange {
  cases?: CaseRecord[];
  incidents?: IncidentRecord[];
}

/** A committed change waiting to be published (SSE relay on NATS), in commit order. */
export interface Notification {
  seq: number;
  at: string;
  caseId: string;
  version: number;
  state: string;
}

/** What `applyIncident`'s builder may read inside the incident's lock. */
export interface IncidentView {
  /** the incident as stored before this revision */
  incident?: IncidentRecord;
  getCase(id: string): Promise<StoredCase | undefined>;
  /**
   * Open cases that may be duplicates, as stored. A store applying several revisions in one
   * transaction (PostgreSQL) completes the answer where it is written: the new case named by
   * `excludeId` gets, in its `duplicateCandidates`, the cases made before it in the same batch
   * that pass `isDuplicateCandidate`, as one after the other would have found them.
   */
  duplicateCandidates(q: DuplicateQuery): Promise<CaseSummary[]>;
  byEvidence(name: string): Promise<string[]>;
  nextCaseSequence(day: string): Promise<number>;
}

export interface RevisionKey {
  incidentId: string;
  rev: number;
  gatewayId: string;
  /**
   * when the stream stored this revision (ISO): while rev - 1 is not stored and this is younger
   * than `PREDECESSOR_GIVE_UP_MS`, `applyIncident` refuses it with `PredecessorPending` (the
   * message comes back) instead of applying it out of order. Unset: a short wait, then applied.
   */
  storedAt?: string;
}

/** How long a revision waits (by its stream time) for the one before it, which may never come. */
export const PREDECESSOR_GIVE_UP_MS = 10 * 60_000;

export interface IncidentBatchStats {
  batches: number;
  revisions: number;
  fallbacks: number;
}

export interface CaseRepository {
  get(id: string): Promise<StoredCase | undefined>;
  list(filter: CaseFilter, page: Page): Promise<CasePage>;
  /**
   * A number that changes with every change to the cases, where this process sees every change
   * (the embedded store); absent where other instances write too (PostgreSQL). A list answered at
   * one revision is the same list until the next.
   */
  revision?(): number;
  /** cases per state (metrics) */
  countByState(): Promise<Record<string, number>>;
  /**
   * Where incident revisions are applied in batches (PostgreSQL): batches committed, the
   * revisions they carried, batches that fell back to one transaction per revision (metrics).
   */
  readonly batchStats?: IncidentBatchStats;
  /** the console dashboard's counts in the window (defined by console/dashboard.ts `aggregateDashboard`) */
  dashboard(w: DashboardWindow): Promise<DashboardAggregate>;
  /** AI cases per model their first incident names, sorted (defined by models/routes.ts `countAiCases`) */
  aiCasesByModel(): Promise<ModelCaseCount[]>;
  /** ids of cases whose evidence or verification evidence names this object */
  byEvidence(name: string): Promise<string[]>;
  duplicateCandidates(q: DuplicateQuery): Promise<CaseSummary[]>;
  /** history entries with seq > afterSeq, in order */
  history(caseId: string, afterSeq?: number): Promise<HistoryEntry[]>;
  /**
   * Commit a change at once: every case at its expected version (else `StaleVersion`, nothing
   * written), history appended, the idempotency record and incident written, one notification
   * per case. Resolves when durable.
   */
  commit(change: CaseChange): Promise<void>;
  /**
   * Apply one incident revision exactly once, in order with the incident's other revisions:
   * under a lock on the incident id (across instances in PostgreSQL), refuse a revision from a
   * gateway that does not own the id (`IncidentOwnedElsewhere`), answer 'duplicate' for a
   * (id, rev) seen before, else call `build` with what is stored and commit its change.
   */
  applyIncident(
    key: RevisionKey,
    build: (view: IncidentView) => Promise<CaseChange>,
  ): Promise<'applied' | 'duplicate'>;
  getIncident(id: string): Promise<IncidentRecord | undefined>;
  /** the next 案卷号 sequence of a local day `YYYYMMDD` (1, 2, …; unique across instances) */
  nextCaseSequence(day: string): Promise<number>;
}

export interface IdempotencyRepository {
  /** the record under this key unless it expired before `now` */
  get(key: string, now: Date): Promise<IdempotencyRecord | undefined>;
  /** remove records expired before `now`; returns how many */
  purgeExpired(now: Date): Promise<number>;
}

export interface NotificationOutbox {
  /** notifications after `afterSeq`, oldest first */
  after(afterSeq: number, limit: number): Promise<Notification[]>;
  /** forget notifications up to and including `seq` (every instance relayed them) */
  trim(uptoSeq: number): Promise<number>;
}

export type StoredAttachment = AttachmentRef & { uploadedBy: string; at: string };

/** Uploads shared by every instance (PostgreSQL: metadata and bytes in one row). */
export interface AttachmentRepository {
  /** store an upload's metadata and bytes; the same name again is the same content (idempotent) */
  put(ref: StoredAttachment, bytes: Uint8Array): Promise<void>;
  get(name: string): Promise<StoredAttachment | undefined>;
  /** the upload's bytes, undefined if there is no such upload */
  bytes(name: string): Promise<Uint8Array | undefined>;
}

/** Per responsible unit and grid, the month's indicator counts (defined in scoring/indicators.ts). */
export type { UnitMonthAggregate } from '../../scoring/indicators.js';

export interface MonthWindowIso {
  month: string;
  startIso: string;
  endIso: string;
}

export interface ScoringRepository {
  bonuses(month?: string): Promise<BonusItem[]>;
  /**
   * Write a bonus item and its audit entry together. `ifState`: the item must be stored in that
   * state (`absent`: not stored yet), else `BonusChanged` and nothing is written — two leaders
   * deciding one item at once: one wins, the other is refused.
   */
  putBonus(b: BonusItem, audit: AuditEntry, ifState?: BonusState | 'absent'): Promise<void>;
  /** delete a pending item (else `BonusChanged`) with its audit entry */
  deleteBonus(id: string, audit: AuditEntry): Promise<void>;
  monthConfig(month: string): Promise<MonthConfig | undefined>;
  setMonthConfig(c: MonthConfig, audit: AuditEntry): Promise<void>;
  audit(page: Page): Promise<AuditEntry[]>;
  /**
   * Freeze a month and write its audit entry in one transaction; `MonthAlreadyClosed` (naming
   * who closed it and when) if it is closed already — another instance won the race.
   */
  closeMonth(c: ClosedMonth, audit: AuditEntry): Promise<void>;
  /** reopen: the frozen result is kept for the audit, the month counts as open again */
  reopenMonth(month: string, audit: AuditEntry): Promise<void>;
  closedMonth(month: string): Promise<ClosedMonth | undefined>;
  closedMonths(): Promise<string[]>;
  /** the month's indicator counts per responsible unit and grid, counted where the cases are (SQL in PostgreSQL) */
  monthAggregates(w: MonthWindowIso): Promise<UnitMonthAggregate[]>;
  /**
   * The cases alive in the window — created before its end, and open now or changed since its
   * start — with their history: every case a deduction event of the month can come from.
   */
  casesForMonth(w: MonthWindowIso): Promise<CaseRecord[]>;
  /** when the first case was created (the default go-live month) */
  firstCaseAt(): Promise<string | undefined>;
}

export interface DeviceRepository {
  /** store a heartbeat's result; an older heartbeat than the stored one changes nothing */
  putGateway(g: GatewayState): Promise<'stored' | 'older'>;
  gateways(): Promise<GatewayState[]>;
  /** record a device going on or offline (once, whichever instance saw it first) */
  recordOnline(gatewayId: string, deviceId: string, at: string, online: boolean): Promise<void>;
  /** offline intervals of a device overlapping [from, to), in time order */
  offlineIntervals(
    gatewayId: string,
    deviceId: string,
    from: string,
    to: string,
  ): Promise<{ from: string; to?: string }[]>;
  recordCall(gatewayId: string, call: CallRecord): Promise<void>;
  calls(gatewayId: string, limit: number): Promise<CallRecord[]>;
  putTrack(t: VehicleTrack): Promise<void>;
  track(vehicleId: string): Promise<VehicleTrack | undefined>;
}

export interface GatewayConfigRecord {
  gatewayId: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
  config: Record<string, unknown>;
}

export interface GatewayConfigRepository {
  get(gatewayId: string): Promise<GatewayConfigRecord | undefined>;
  /** store the next version: `Duplicate` when `version` is taken (someone saved first) */
  put(c: GatewayConfigRecord): Promise<void>;
  list(): Promise<GatewayConfigRecord[]>;
}

/** A whole central store. */
export interface CentralStore {
  readonly kind: 'lowdb' | 'postgres';
  readonly cases: CaseRepository;
  readonly idempotency: IdempotencyRepository;
  readonly notifications: NotificationOutbox;
  readonly attachments: AttachmentRepository;
  readonly scoring: ScoringRepository;
  readonly devices: DeviceRepository;
  readonly gatewayConfigs: GatewayConfigRepository;
  /** call `listener` after each committed case change of this instance; returns unsubscribe */
  onCommit(listener: (change: CommittedChange) => void): () => void;
  open(): Promise<void>;
  close(): Promise<void>;
}
