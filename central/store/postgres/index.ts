/**
 * @module central/store/postgres
 * `PgStore`: the central store on PostgreSQL, for several central instances on one database.
 * Driver: `postgres` (postgres.js) — no dependencies, its own TypeScript types, tagged-template
 * queries that are always parameterised (no string-built SQL), transactions as a callback that
 * commits or rolls back, and a pool with lazy connect. `pg` would need `@types/pg` and hand-
 * written placeholders for the dynamic list filters.
 *
 * `open()` checks the server answers (else `StoreUnavailable`, one line) and applies the
 * migrations (a failing one: `MigrationFailed`, central refuses to start). Every method maps a
 * lost connection to `StoreUnavailable` (the API answers 503) and a unique violation it did
 * not expect to `Duplicate`.
 * @example
 *   const store = new PgStore({ url: 'postgres://postgres@127.0.0.1:5432/citygrid' });
 *   await store.open();
 *   const page = await store.cases.list({ states: ['reported'] }, { offset: 0, limit: 50 });
 */
import postgres from 'postgres';
import type { CaseRecord, HistoryEntry } from '../../cases/model.js';
import type { CallRecord, GatewayState, VehicleTrack } from '../../devices/board.js';
import type { BonusItem, BonusState } from '../../scoring/engine.js';
import { sortAggregates } from '../../scoring/indicators.js';
import type { AuditEntry, ClosedMonth, MonthConfig } from '../../scoring/store.js';
import { offlineIntervalsOf } from '../contract/derive.js';
import {
  BonusChanged,
  Duplicate,
  MonthAlreadyClosed,
  MonthNotClosed,
  StoreUnavailable,
} from '../contract/errors.js';
import type {
  AttachmentRepository,
  CaseChange,
  CentralStore,
  CommittedChange,
  DeviceRepository,
  GatewayConfigRecord,
  GatewayConfigRepository,
  MonthWindowIso,
  Page,
  ScoringRepository,
  StoredAttachment,
  UnitMonthAggregate,
} from '../contract/index.js';
import { PgCases, PgIdempotency, PgNotifications } from './cases.js';
import { mapError } from './errors.js';
import { MIGRATIONS, type Migration, migrate } from './migrations.js';
import { iso, json } from './rows.js';

export interface PgStoreOptions {
  url: string;
  /** pool size per instance */
  max?: number;
  connectTimeoutS?: number;
  /** the schema to apply (tests add a failing one) */
  migrations?: readonly Migration[];
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgres (unparsable URL)';
  }
}

/**
 * Whether the server is reachable, as the last query found. postgres.js queues a query issued
 * while no connection is open and retries the connect until the server answers again, so a
 * request during an outage would wait for its end; once a query met a lost connection, calls
 * fail at once with `StoreUnavailable` (503) until a probe reaches the server again.
 */
class Reachability {
  #down: string | undefined;
  constructor(
    private readonly sql: postgres.Sql,
    private readonly target: string,
  ) {}
  check(): void {
    if (this.#down) throw new StoreUnavailable(this.target, this.#down);
  }
  lost(reason: string): void {
    if (this.#down) return;
    this.#down = reason;
    void this.#probe();
  }
  async #probe(): Promise<void> {
    const sleep = (ms: number) => new Promise<boolean>((r) => setTimeout(() => r(false), ms));
    while (this.#down) {
      await sleep(1000);
      const ok = await Promise.race([
        this.sql`select 1`.then(
          () => true,
          () => false,
        ),
        sleep(2000),
      ]);
      if (ok) this.#down = undefined;
    }
  }
}

/** Wrap every async method so driver errors come out as the contract's typed errors. */
function guarded<T extends object>(repo: T, target: string, reach: Reachability): T {
  return new Proxy(repo, {
    get(obj, prop, recv) {
      const v = Reflect.get(obj, prop, recv);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        reach.check();
        try {
          return await v.apply(obj, args);
        } catch (e) {
          const mapped = mapError(
            e,
            target,
            () => new Duplicate('case', (e as { detail?: string }).detail ?? String(e)),
          );
          if (mapped instanceof StoreUnavailable) reach.lost(mapped.reason);
          throw mapped;
        }
      };
    },
  });
}

/**
 * Uploads as bytea beside their metadata (migration 006): one insert stores both, so no instance
 * sees a name without its bytes; uploads are small (central's upload limit), fit one row and go
 * with the database's backups. Large objects would need their own unlink bookkeeping.
 */
class PgAttachments implements AttachmentRepository {
  constructor(private readonly sql: postgres.Sql) {}
  async put(ref: StoredAttachment, bytes: Uint8Array): Promise<void> {
    await this.sql`
      insert into attachments (name, doc, bytes, sha256, size, uploaded_by, at)
      values (${ref.name}, ${json(this.sql, ref)}, ${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)},
        ${ref.sha256}, ${ref.size}, ${ref.uploadedBy}, ${ref.at}::timestamptz)
      on conflict (name) do nothing`;
  }
  async get(name: string) {
    const [r] = await this.sql<{ doc: StoredAttachment }[]>`select doc from attachments where name = ${name}`;
    return r?.doc;
  }
  async bytes(name: string) {
    const [r] = await this.sql<
      { bytes: Buffer | null }[]
    >`select bytes from attachments where name = ${name}`;
    return r?.bytes ?? undefined;
  }
}

class PgScoring implements ScoringRepository {
  constructor(private readonly sql: postgres.Sql) {}

  async #audit(q: postgres.ISql, a: AuditEntry) {
    await q`insert into scoring_audit (at, doc) values (${a.at}::timestamptz, ${json(q, a)})`;
  }
  async bonuses(month?: string): Promise<BonusItem[]> {
    const rows = await this.sql<{ doc: BonusItem }[]>`
      select doc from scoring_bonuses ${month ? this.sql`where month = ${month}` : this.sql``} order by id`;
    return rows.map((r) => r.doc);
  }
  async putBonus(b: BonusItem, audit: AuditEntry, ifState?: BonusState | 'absent'): Promise<void> {
    await this.sql.begin(async (tx) => {
      const r =
        ifState === undefined
          ? await tx`insert into scoring_bonuses (id, month, doc) values (${b.id}, ${b.month}, ${json(tx, b)})
              on conflict (id) do update set month = excluded.month, doc = excluded.doc`
          : ifState === 'absent'
            ? await tx`insert into scoring_bonuses (id, month, doc) values (${b.id}, ${b.month}, ${json(tx, b)})
                on conflict (id) do nothing`
            : await tx`update scoring_bonuses set month = ${b.month}, doc = ${json(tx, b)}
                where id = ${b.id} and doc->>'state' = ${ifState}`;
      if (r.count === 0) throw new BonusChanged(b.id, ifState!, await this.#stateOf(tx, b.id));
      await this.#audit(tx, audit);
    });
  }
  async #stateOf(q: postgres.ISql, id: string): Promise<string | undefined> {
    const [r] = await q<
      { state: string }[]
    >`select doc->>'state' as state from scoring_bonuses where id = ${id}`;
    return r?.state;
  }
  async deleteBonus(id: string, audit: AuditEntry): Promise<void> {
    await this.sql.begin(async (tx) => {
      const r = await tx`delete from scoring_bonuses where id = ${id} and doc->>'state' = 'pending'`;
      if (r.count === 0) throw new BonusChanged(id, 'pending', await this.#stateOf(tx, id));
      await this.#audit(tx, audit);
    });
  }
  async monthConfig(month: string): Promise<MonthConfig | undefined> {
    const [r] = await this.sql<
      { doc: MonthConfig }[]
    >`select doc from scoring_month_configs where month = ${month}`;
    return r?.doc;
  }
  async setMonthConfig(c: MonthConfig, audit: AuditEntry): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`insert into scoring_month_configs (month, doc) values (${c.month}, ${json(tx, c)})
        on conflict (month) do update set doc = excluded.doc`;
      await this.#audit(tx, audit);
    });
  }
  async audit(p: Page): Promise<AuditEntry[]> {
    const rows = await this.sql<{ doc: AuditEntry }[]>`
      select doc from scoring_audit order by seq offset ${p.offset} limit ${p.limit}`;
    return rows.map((r) => r.doc);
  }
  async closeMonth(c: ClosedMonth, audit: AuditEntry): Promise<void> {
    await this.sql.begin(async (tx) => {
      const ins = await tx`insert into scoring_closed (month, closed_at, doc)
        values (${c.month}, ${c.closedAt}::timestamptz, ${json(tx, c)}) on conflict (month) do nothing`;
      // another instance closed it first: its result stands, this one is refused
      if (ins.count === 0) {
        const [w] = await tx<{ by: string; at: string }[]>`
          select doc->>'closedBy' as by, doc->>'closedAt' as at from scoring_closed where month = ${c.month}`;
        throw new MonthAlreadyClosed(c.month, w?.by ?? '?', w?.at ?? '?');
      }
      await this.#audit(tx, audit);
    });
  }
  async reopenMonth(month: string, audit: AuditEntry): Promise<void> {
    await this.sql.begin(async (tx) => {
      const [gone] = await tx<
        { doc: ClosedMonth }[]
      >`delete from scoring_closed where month = ${month} returning doc`;
      if (!gone) throw new MonthNotClosed(month);
      await tx`insert into scoring_reopened (month, reopened_at, doc)
        values (${month}, ${audit.at}::timestamptz, ${json(tx, gone.doc)})`;
      await this.#audit(tx, audit);
    });
  }
  async closedMonth(month: string): Promise<ClosedMonth | undefined> {
    const [r] = await this.sql<{ doc: ClosedMonth }[]>`select doc from scoring_closed where month = ${month}`;
    return r?.doc;
  }
  async closedMonths(): Promise<string[]> {
    return (await this.sql<{ month: string }[]>`select month from scoring_closed order by month`).map(
      (r) => r.month,
    );
  }

  /**
   * scoring/indicators.ts `monthCountsOf` in SQL: one GROUP BY over the cases registered or due
   * in the window (the registration and deadline indexes, OR-ed as a bitmap).
   */
  async monthAggregates(w: MonthWindowIso): Promise<UnitMonthAggregate[]> {
    const s = w.startIso;
    const e = w.endIso;
    const rows = await this.sql<(Omit<UnitMonthAggregate, 'gridCode'> & { gridCode: string | null })[]>`
      with m as (
        select resp_unit, grid_code, state, reworks, returns,
          registered_at >= ${s}::timestamptz and registered_at < ${e}::timestamptz as reg,
          deadline >= ${s}::timestamptz and deadline < ${e}::timestamptz as due,
          coalesce(closed_at < ${e}::timestamptz, false) as closed,
          coalesce(closed_at < ${e}::timestamptz and on_time, false) as on_time
        from cases
        where resp_unit is not null and state <> 'cancelled' and (
          (registered_at >= ${s}::timestamptz and registered_at < ${e}::timestamptz) or
          (deadline >= ${s}::timestamptz and deadline < ${e}::timestamptz))
      )
      select resp_unit as "unitId", grid_code as "gridCode",
        count(*) filter (where reg)::int as registered,
        count(*) filter (where due)::int as due,
        count(*) filter (where due and closed)::int as closed,
        count(*) filter (where due and on_time)::int as "closedOnTime",
        count(*) filter (where due and reworks > 0)::int as reworked,
        count(*) filter (where due and returns > 0)::int as returned,
        count(*) filter (where due and not on_time)::int as overdue
      from m group by resp_unit, grid_code
      having count(*) filter (where reg or due) > 0`;
    return sortAggregates(
      rows.map(({ gridCode, ...r }) => ({ ...r, ...(gridCode === null ? {} : { gridCode }) })),
    );
  }

  async casesForMonth(w: MonthWindowIso): Promise<CaseRecord[]> {
    // alive in the window: open (the open-case index) or changed since its start (the last-change index)
    const rows = await this.sql<{ doc: Omit<CaseRecord, 'history'>; history: HistoryEntry[] }[]>`
      with ids as (
        select id from cases where is_open and created_at < ${w.endIso}::timestamptz
        union
        select id from cases
          where updated_at >= ${w.startIso}::timestamptz and created_at < ${w.endIso}::timestamptz
      )
      select c.doc, coalesce((select json_agg(h.entry order by h.seq) from case_history h where h.case_id = c.id), '[]') as history
      from cases c join ids using (id)
      order by c.id desc`;
    return rows.map((r) => ({ ...r.doc, history: r.history }) as CaseRecord);
  }

  async firstCaseAt(): Promise<string | undefined> {
    const [r] = await this.sql<{ at: Date | null }[]>`select min(created_at) as at from cases`;
    return iso(r?.at ?? undefined);
  }
}

class PgDevices implements DeviceRepository {
  constructor(private readonly sql: postgres.Sql) {}
  async putGateway(g: GatewayState): Promise<'stored' | 'older'> {
    const r = await this.sql`
      insert into device_gateways (gateway_id, last_sent_at, doc)
      values (${g.gatewayId}, ${g.lastSentAt}::timestamptz, ${json(this.sql, g)})
      on conflict (gateway_id) do update set last_sent_at = excluded.last_sent_at, doc = excluded.doc
        where device_gateways.last_sent_at <= excluded.last_sent_at`;
    return r.count === 1 ? 'stored' : 'older';
  }
  async gateways(): Promise<GatewayState[]> {
    return (await this.sql<{ doc: GatewayState }[]>`select doc from device_gateways order by gateway_id`).map(
      (r) => r.doc,
    );
  }
  async recordOnline(gatewayId: string, deviceId: string, at: string, online: boolean): Promise<void> {
    await this.sql`insert into device_online (gateway_id, device_id, at, online)
      values (${gatewayId}, ${deviceId}, ${at}::timestamptz, ${online}) on conflict do nothing`;
  }
  async offlineIntervals(gatewayId: string, deviceId: string, from: string, to: string) {
    // the change in force at `from`, then every change up to `to`
    const rows = await this.sql<{ at: Date; online: boolean }[]>`
      (select at, online from device_online
        where gateway_id = ${gatewayId} and device_id = ${deviceId} and at < ${from}::timestamptz
        order by at desc limit 1)
      union all
      (select at, online from device_online
        where gateway_id = ${gatewayId} and device_id = ${deviceId}
          and at >= ${from}::timestamptz and at < ${to}::timestamptz)
      order by at`;
    return offlineIntervalsOf(
      rows.map((r) => ({ at: iso(r.at)!, online: r.online })),
      from,
      to,
    );
  }
  async recordCall(gatewayId: string, call: CallRecord): Promise<void> {
    await this.sql`insert into device_calls (gateway_id, doc) values (${gatewayId}, ${json(this.sql, call)})`;
  }
  async calls(gatewayId: string, limit: number): Promise<CallRecord[]> {
    const rows = await this.sql<{ doc: CallRecord }[]>`
      select doc from device_calls where gateway_id = ${gatewayId} order by seq desc limit ${limit}`;
    return rows.map((r) => r.doc).reverse();
  }
  async putTrack(t: VehicleTrack): Promise<void> {
    await this.sql`insert into vehicle_tracks (vehicle_id, doc) values (${t.vehicleId}, ${json(this.sql, t)})
      on conflict (vehicle_id) do update set doc = excluded.doc`;
  }
  async track(vehicleId: string): Promise<VehicleTrack | undefined> {
    const [r] = await this.sql<
      { doc: VehicleTrack }[]
    >`select doc from vehicle_tracks where vehicle_id = ${vehicleId}`;
    return r?.doc;
  }
}

class PgGatewayConfigs implements GatewayConfigRepository {
  constructor(private readonly sql: postgres.Sql) {}
  async get(gatewayId: string): Promise<GatewayConfigRecord | undefined> {
    const [r] = await this.sql<{ doc: GatewayConfigRecord }[]>`
      select doc from gateway_configs where gateway_id = ${gatewayId} order by version desc limit 1`;
    return r?.doc;
  }
  async put(c: GatewayConfigRecord): Promise<void> {
    const r = await this.sql`insert into gateway_configs (gateway_id, version, doc)
      values (${c.gatewayId}, ${c.version}, ${json(this.sql, c)}) on conflict do nothing`;
    if (r.count === 0) throw new Duplicate('gateway-config', `${c.gatewayId} v${c.version}`);
  }
  async list(): Promise<GatewayConfigRecord[]> {
    const rows = await this.sql<{ doc: GatewayConfigRecord }[]>`
      select distinct on (gateway_id) doc from gateway_configs order by gateway_id, version desc`;
    return rows.map((r) => r.doc);
  }
}

export class PgStore implements CentralStore {
  readonly kind = 'postgres' as const;
  readonly sql: postgres.Sql;
  readonly target: string;
  readonly cases;
  readonly idempotency;
  readonly notifications;
  readonly attachments;
  readonly scoring;
  readonly devices;
  readonly gatewayConfigs;
  readonly #migrations: readonly Migration[];
  readonly #batchSql: postgres.Sql;

  constructor(o: PgStoreOptions) {
    this.target = redactUrl(o.url);
    this.#migrations = o.migrations ?? MIGRATIONS;
    const options = {
      max: o.max ?? 10,
      connect_timeout: o.connectTimeoutS ?? 5,
      // reconnect attempts after a lost connection: the driver's default grows to 20 s apart,
      // so central would stay away that long after PostgreSQL is back; at most 5 s here
      backoff: (retries: number) => Math.min(0.1 * 2 ** retries, 5),
      onnotice: () => {},
      // queries beyond the pool wait in its one queue, first come first served. The driver's
      // default (100) stacks them on busy connections instead, and a connection that frees up
      // takes the whole queue: a list stuck deep in one connection's pipeline while newer ones
      // ran on idle connections waited seconds (200 store lists at once on a year: p99
      // 0.7-1.9 s, max 3 s; with 1: p99 0.24-0.32 s, max 0.39 s, the same throughput; over
      // HTTP see BENCHMARKS.md). (Supported by postgres.js 3.4, missing from its typings.)
      max_pipeline: 1,
    };
    this.sql = postgres(o.url, options);
    // incident batches run one at a time on a connection of their own with the driver's
    // default pipeline (100): a batch's writes are sent without waiting for each other's answers
    const batchOptions = { ...options, max: 1, max_pipeline: 100 };
    this.#batchSql = postgres(o.url, batchOptions);
    const reach = new Reachability(this.sql, this.target);
    const g = <T extends object>(r: T) => guarded(r, this.target, reach);
    this.cases = g(new PgCases(this.sql, (ch) => this.#tell(ch), this.#batchSql));
    this.idempotency = g(new PgIdempotency(this.sql));
    this.notifications = g(new PgNotifications(this.sql));
    this.attachments = g(new PgAttachments(this.sql));
    this.scoring = g(new PgScoring(this.sql));
    this.devices = g(new PgDevices(this.sql));
    this.gatewayConfigs = g(new PgGatewayConfigs(this.sql));
  }

  readonly #listeners = new Set<(ch: CommittedChange) => void>();
  onCommit(listener: (ch: CommittedChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  #tell(ch: CaseChange): void {
    const change = { cases: ch.cases.map((w) => w.case), incidents: ch.incident ? [ch.incident] : [] };
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch {
        // listeners are best effort (a closed SSE stream)
      }
    }
  }

  /** names of the migrations the last `open()` applied */
  applied: string[] = [];

  /** Reach the server and apply the schema. */
  async open(): Promise<void> {
    try {
      await this.sql`select 1`;
    } catch (e) {
      throw mapError(e, this.target);
    }
    try {
      this.applied = await migrate(this.sql, this.#migrations);
    } catch (e) {
      throw mapError(e, this.target);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.sql.end({ timeout: 5 }), this.#batchSql.end({ timeout: 5 })]);
  }
}
