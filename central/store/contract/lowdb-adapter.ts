/**
 * @module central/store/contract/lowdb-adapter
 * The storage contract over the embedded stores central runs on today, without changing them:
 * cases, incidents and idempotency through a `CaseStore` (`LowdbCaseStore`, or `MemoryCaseStore`
 * in tests), scoring through `ScoringStore` (lowdb files). One process owns these, so the
 * checks that PostgreSQL does with row versions and locks are done here in memory: a write's
 * version check and its apply happen in one synchronous step (nothing else runs between them),
 * and incident revisions of one id are chained on a per-id promise.
 *
 * Kept in this process only (single instance, nothing to share): the notification outbox (the
 * live console uses `CaseStore.onCommit`), device board rows, gateway configuration versions
 * and attachment metadata (today `DeviceBoard`'s devices.json, the NATS KV bucket and the
 * attachment directory hold those). lowdb cannot delete records, so expired idempotency keys are
 * ignored on read and `purgeExpired` removes none.
 */

import { highestSequence } from '../../cases/case-number.js';
import type { CaseRecord, HistoryEntry, IdempotencyRecord, IncidentRecord } from '../../cases/model.js';
import { isOpen } from '../../cases/workflow.js';
import { aggregateDashboard, type DashboardWindow } from '../../console/dashboard.js';
import type { CallRecord, GatewayState, VehicleTrack } from '../../devices/board.js';
import { countAiCases } from '../../models/routes.js';
import type { BonusItem, BonusState } from '../../scoring/engine.js';
import { aggregateMonth } from '../../scoring/indicators.js';
import { isBefore } from '../../scoring/month.js';
import type { AuditEntry, ClosedMonth, MonthConfig, ScoringStore } from '../../scoring/store.js';
import type { CaseStore } from '../index.js';
import { KeyedChain } from './chain.js';
import { isDuplicateCandidate, offlineIntervalsOf, summaryOf } from './derive.js';
import {
  type AttachmentRepository,
  BonusChanged,
  type CaseChange,
  type CaseFilter,
  type CasePage,
  type CaseRepository,
  type CaseSummary,
  type CentralStore,
  type CommittedChange,
  type DeviceRepository,
  Duplicate,
  type DuplicateQuery,
  type GatewayConfigRecord,
  type GatewayConfigRepository,
  type IdempotencyRepository,
  IncidentOwnedElsewhere,
  type IncidentView,
  MonthNotClosed,
  type MonthWindowIso,
  type Notification,
  type NotificationOutbox,
  type Page,
  type RevisionKey,
  type ScoringRepository,
  StaleVersion,
  type StoredAttachment,
  type StoredCase,
  versionOf,
} from './index.js';

type Expiring = IdempotencyRecord & { expiresAt?: string };

const stored = (c: CaseRecord | undefined): StoredCase | undefined =>
  c ? { case: c, version: versionOf(c) } : undefined;

class AdapterCases implements CaseRepository {
  readonly #building = new KeyedChain();
  constructor(
    private readonly store: CaseStore,
    private readonly outbox: AdapterOutbox,
  ) {}

  async get(id: string): Promise<StoredCase | undefined> {
    return stored(this.store.getCase(id));
  }

  async list(f: CaseFilter, p: Page): Promise<CasePage> {
    const { total, items } = this.store.listCases(f, p);
    return { total, items: items.map(summaryOf) };
  }

  revision(): number {
    return this.store.revision;
  }

  async countByState(): Promise<Record<string, number>> {
    return Object.fromEntries([...this.store.countByState()].filter(([, n]) => n > 0));
  }

  async dashboard(w: DashboardWindow) {
    return aggregateDashboard(this.store.allCases(), (id) => this.store.getIncident(id), w);
  }

  async aiCasesByModel() {
    return countAiCases(this.store.allCases(), (id) => this.store.getIncident(id));
  }

  async byEvidence(name: string): Promise<string[]> {
    return this.store.casesByEvidence(name).sort();
  }

  async duplicateCandidates(q: DuplicateQuery): Promise<CaseSummary[]> {
    return duplicatesIn(this.store, q);
  }

  async history(caseId: string, afterSeq = 0): Promise<HistoryEntry[]> {
    return (this.store.getCase(caseId)?.history ?? []).filter((h) => h.seq > afterSeq);
  }

  commit(ch: CaseChange): Promise<void> {
    // check and apply in one synchronous step: no other commit can run in between
    for (const w of ch.cases) {
      const cur = this.store.getCase(w.case.id);
      const actual = cur ? versionOf(cur) : 0;
      if (actual !== w.expectedVersion || (w.expectedVersion === 0 && cur))
        return Promise.reject(new StaleVersion(w.case.id, w.expectedVersion, cur ? actual : undefined));
      if (versionOf(w.case) <= actual || w.case.history.length <= (cur?.history.length ?? 0))
        return Promise.reject(new Error(`case ${w.case.id}: a change must append history`));
    }
    const k = ch.idempotency;
    if (k && this.store.getIdempotency(k.key)) return Promise.reject(new Duplicate('idempotency-key', k.key));
    const writing = new Set(ch.cases.map((w) => w.case.id));
    for (const name of ch.claims ?? [])
      if (this.store.casesByEvidence(name).some((id) => !writing.has(id)))
        return Promise.reject(new Duplicate('evidence', name));
    const done = this.store.commit({
      cases: ch.cases.map((w) => w.case),
      incidents: ch.incident ? [ch.incident] : [],
      idempotency: k ? [k] : [],
    });
    for (const w of ch.cases) this.outbox.add(w.case);
    return done;
  }

  applyIncident(
    key: RevisionKey,
    build: (view: IncidentView) => Promise<CaseChange>,
  ): Promise<'applied' | 'duplicate'> {
    // one revision built and applied to memory at a time, every incident's: each build sees what
    // the one before it applied (a second incident of a zone handed in with the first finds it
    // as a duplicate); durability is awaited outside, so the journal writes of the revisions in
    // flight still share one write
    const applied = this.#building.run('', async () => {
      const incident = this.store.getIncident(key.incidentId);
      if (incident && incident.gatewayId !== key.gatewayId)
        throw new IncidentOwnedElsewhere(key.incidentId, incident.gatewayId, key.gatewayId);
      if (incident?.revs.includes(key.rev)) {
        // seen before, but its commit may have failed (disk full) and await its retry: the
        // caller acks a duplicate, so only once what memory holds is durable
        return { outcome: 'duplicate' as const, durable: this.store.durable() };
      }
      const change = await build({
        incident,
        getCase: async (id) => stored(this.store.getCase(id)),
        duplicateCandidates: async (q) => duplicatesIn(this.store, q),
        byEvidence: async (name) => this.store.casesByEvidence(name).sort(),
        nextCaseSequence: (day) => this.nextCaseSequence(day),
      });
      if (!change.incident?.revs.includes(key.rev))
        throw new Error(`incident ${key.incidentId} rev ${key.rev}: the change must record the revision`);
      // applied to memory now (or refused: StaleVersion), durable later
      return { outcome: 'applied' as const, durable: this.commit(change) };
    });
    return applied.then(async ({ outcome, durable }) => {
      await durable;
      return outcome;
    });
  }

  async getIncident(id: string): Promise<IncidentRecord | undefined> {
    return this.store.getIncident(id);
  }

  readonly #lastOfDay = { day: '', seq: 0 };
  /** one process owns the store: continue after the highest number it holds for the day */
  async nextCaseSequence(day: string): Promise<number> {
    const last = this.#lastOfDay;
    if (last.day !== day) Object.assign(last, { day, seq: highestSequence(this.store.allCases(), day) });
    return ++last.seq;
  }
}

/** The store's open-case index answers a probe case; the exact test narrows it. */
function duplicatesIn(store: CaseStore, q: DuplicateQuery): CaseSummary[] {
  const probe = {
    id: q.excludeId ?? '',
    category: q.category,
    state: 'reported',
    location: { lat: q.lat, lon: q.lon },
    refs: { incidentIds: [], deviceId: q.deviceId, zoneId: q.zoneId },
  } as unknown as CaseRecord;
  return store
    .duplicateCandidates(probe, q.metres)
    .filter((c) => isDuplicateCandidate(c, q))
    .slice(0, q.limit)
    .map(summaryOf);
}

class AdapterIdempotency implements IdempotencyRepository {
  constructor(private readonly store: CaseStore) {}
  async get(key: string, now: Date): Promise<IdempotencyRecord | undefined> {
    const r = this.store.getIdempotency(key) as Expiring | undefined;
    if (!r || (r.expiresAt && Date.parse(r.expiresAt) <= now.getTime())) return undefined;
    const { expiresAt: _e, ...rec } = r;
    return rec;
  }
  async purgeExpired(_now: Date): Promise<number> {
    return 0;
  }
}

class AdapterOutbox implements NotificationOutbox {
  #seq = 0;
  #items: Notification[] = [];
  add(c: CaseRecord): void {
    this.#items.push({
      seq: ++this.#seq,
      at: new Date().toISOString(),
      caseId: c.id,
      version: versionOf(c),
      state: c.state,
    });
  }
  async after(afterSeq: number, limit: number): Promise<Notification[]> {
    return this.#items.filter((n) => n.seq > afterSeq).slice(0, limit);
  }
  async trim(uptoSeq: number): Promise<number> {
    const before = this.#items.length;
    this.#items = this.#items.filter((n) => n.seq > uptoSeq);
    return before - this.#items.length;
  }
}

class AdapterScoring implements ScoringRepository {
  constructor(
    private readonly s: ScoringStore,
    private readonly cases: CaseStore,
  ) {}
  async bonuses(month?: string): Promise<BonusItem[]> {
    return this.s.state.bonuses
      .filter((b) => !month || b.month === month)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }
  /** checked and applied in one synchronous step up to the save: no other write runs in between */
  putBonus(b: BonusItem, audit: AuditEntry, ifState?: BonusState | 'absent'): Promise<void> {
    const st = this.s.state;
    const cur = st.bonuses.find((x) => x.id === b.id);
    if (ifState !== undefined && (cur?.state ?? 'absent') !== ifState)
      return Promise.reject(new BonusChanged(b.id, ifState, cur?.state));
    st.bonuses = [...st.bonuses.filter((x) => x.id !== b.id), b];
    st.audit.push(audit);
    return this.s.save();
  }
  deleteBonus(id: string, audit: AuditEntry): Promise<void> {
    const st = this.s.state;
    const cur = st.bonuses.find((x) => x.id === id);
    if (cur?.state !== 'pending') return Promise.reject(new BonusChanged(id, 'pending', cur?.state));
    st.bonuses = st.bonuses.filter((x) => x.id !== id);
    st.audit.push(audit);
    return this.s.save();
  }
  async monthConfig(month: string): Promise<MonthConfig | undefined> {
    return this.s.state.monthConfigs.find((m) => m.month === month);
  }
  async setMonthConfig(c: MonthConfig, audit: AuditEntry): Promise<void> {
    const st = this.s.state;
    st.monthConfigs = [...st.monthConfigs.filter((m) => m.month !== c.month), c];
    st.audit.push(audit);
    await this.s.save();
  }
  async audit(p: Page): Promise<AuditEntry[]> {
    return this.s.state.audit.slice(p.offset, p.offset + p.limit);
  }
  closeMonth(c: ClosedMonth, audit: AuditEntry): Promise<void> {
    return this.s.putClosed(c, audit);
  }
  reopenMonth(month: string, audit: AuditEntry): Promise<void> {
    if (!this.s.closed(month)) return Promise.reject(new MonthNotClosed(month));
    return this.s.dropClosed(month, audit);
  }
  async closedMonth(month: string): Promise<ClosedMonth | undefined> {
    return this.s.closed(month);
  }
  async closedMonths(): Promise<string[]> {
    return this.s.closedMonths();
  }
  async monthAggregates(w: MonthWindowIso) {
    return aggregateMonth(this.cases.allCases(), w);
  }
  async casesForMonth(w: MonthWindowIso): Promise<CaseRecord[]> {
    const s = Date.parse(w.startIso);
    const e = Date.parse(w.endIso);
    // canonical ISO strings compare as strings (scoring/month.ts isBefore): no parse per case
    return this.cases
      .allCases()
      .filter(
        (c) =>
          isBefore(c.createdAt, e, w.endIso) && (isOpen(c.state) || !isBefore(c.updatedAt, s, w.startIso)),
      );
  }
  async firstCaseAt(): Promise<string | undefined> {
    let first: string | undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const c of this.cases.allCases()) {
      const t = Date.parse(c.createdAt);
      if (t < min) [min, first] = [t, c.createdAt];
    }
    return first;
  }
}

class MemoryDevices implements DeviceRepository {
  readonly #gateways = new Map<string, GatewayState>();
  readonly #online = new Map<string, { at: string; online: boolean }[]>();
  readonly #calls = new Map<string, CallRecord[]>();
  readonly #tracks = new Map<string, VehicleTrack>();
  async putGateway(g: GatewayState): Promise<'stored' | 'older'> {
    const prev = this.#gateways.get(g.gatewayId);
    if (prev && Date.parse(prev.lastSentAt) > Date.parse(g.lastSentAt)) return 'older';
    this.#gateways.set(g.gatewayId, structuredClone(g));
    return 'stored';
  }
  async gateways(): Promise<GatewayState[]> {
    return [...this.#gateways.values()].sort((a, b) => (a.gatewayId < b.gatewayId ? -1 : 1));
  }
  async recordOnline(gatewayId: string, deviceId: string, at: string, online: boolean): Promise<void> {
    const k = JSON.stringify([gatewayId, deviceId]);
    const list = this.#online.get(k) ?? [];
    if (list.some((x) => Date.parse(x.at) === Date.parse(at))) return;
    list.push({ at: new Date(at).toISOString(), online });
    list.sort((a, b) => (a.at < b.at ? -1 : 1));
    this.#online.set(k, list);
  }
  async offlineIntervals(gatewayId: string, deviceId: string, from: string, to: string) {
    return offlineIntervalsOf(this.#online.get(JSON.stringify([gatewayId, deviceId])) ?? [], from, to);
  }
  async recordCall(gatewayId: string, call: CallRecord): Promise<void> {
    this.#calls.set(gatewayId, [...(this.#calls.get(gatewayId) ?? []), call]);
  }
  async calls(gatewayId: string, limit: number): Promise<CallRecord[]> {
    return (this.#calls.get(gatewayId) ?? []).slice(-limit);
  }
  async putTrack(t: VehicleTrack): Promise<void> {
    this.#tracks.set(t.vehicleId, structuredClone(t));
  }
  async track(vehicleId: string): Promise<VehicleTrack | undefined> {
    return this.#tracks.get(vehicleId);
  }
}

class MemoryGatewayConfigs implements GatewayConfigRepository {
  readonly #byGateway = new Map<string, GatewayConfigRecord[]>();
  async get(gatewayId: string): Promise<GatewayConfigRecord | undefined> {
    return this.#byGateway.get(gatewayId)?.at(-1);
  }
  async put(c: GatewayConfigRecord): Promise<void> {
    const list = this.#byGateway.get(c.gatewayId) ?? [];
    if (list.some((x) => x.version === c.version))
      throw new Duplicate('gateway-config', `${c.gatewayId} v${c.version}`);
    list.push(structuredClone(c));
    list.sort((a, b) => a.version - b.version);
    this.#byGateway.set(c.gatewayId, list);
  }
  async list(): Promise<GatewayConfigRecord[]> {
    return [...this.#byGateway.keys()].sort().map((k) => this.#byGateway.get(k)!.at(-1)!);
  }
}

/** In this process only: central on lowdb keeps uploads in its data directory (evidence/attachments.ts `DiskAttachments`). */
class MemoryAttachments implements AttachmentRepository {
  readonly #m = new Map<string, { ref: StoredAttachment; bytes: Uint8Array }>();
  async put(ref: StoredAttachment, bytes: Uint8Array): Promise<void> {
    if (!this.#m.has(ref.name)) this.#m.set(ref.name, { ref: { ...ref }, bytes: Uint8Array.from(bytes) });
  }
  async get(name: string) {
    return this.#m.get(name)?.ref;
  }
  async bytes(name: string) {
    return this.#m.get(name)?.bytes;
  }
}

/** The contract over one process's lowdb (or memory) case store and lowdb scoring store. */
export class LowdbAdapter implements CentralStore {
  readonly kind = 'lowdb' as const;
  readonly cases: CaseRepository;
  readonly idempotency: IdempotencyRepository;
  readonly notifications: AdapterOutbox;
  readonly attachments = new MemoryAttachments();
  readonly scoring: ScoringRepository;
  readonly devices = new MemoryDevices();
  readonly gatewayConfigs = new MemoryGatewayConfigs();

  constructor(
    private readonly caseStore: CaseStore,
    private readonly scoringStore: ScoringStore,
  ) {
    this.notifications = new AdapterOutbox();
    this.cases = new AdapterCases(caseStore, this.notifications);
    this.idempotency = new AdapterIdempotency(caseStore);
    this.scoring = new AdapterScoring(scoringStore, caseStore);
  }

  onCommit(listener: (change: CommittedChange) => void): () => void {
    return this.caseStore.onCommit((ch) => listener({ cases: ch.cases, incidents: ch.incidents }));
  }

  async open(): Promise<void> {
    await this.caseStore.open();
    await this.scoringStore.open();
  }

  async close(): Promise<void> {
    await this.caseStore.close();
  }
}
