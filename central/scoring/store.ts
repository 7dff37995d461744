/**
 * @module central/scoring/store
 * What scoring keeps: bonus items, per-month item selections, the audit log (small, one lowdb
 * file `scoring/state.json`) and each closed month's frozen result (one lowdb file per month,
 * `scoring/closed-YYYY-MM.json`, written once at close; on reopening it is renamed
 * `reopened-YYYY-MM-<time>.json`, so the audit keeps what the frozen month said). All under central's data directory.
 */
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { BonusItem, LevelResult } from './engine.js';
import type { CollectorIndicators, UnitIndicators } from './indicators.js';
import type { ItemKey } from './rules.js';

export interface MonthConfig {
  month: string;
  includedItems: ItemKey[];
  setBy: string;
  setAt: string;
}
export interface AuditEntry {
  at: string;
  by: string;
  action:
    | 'close'
    | 'reopen'
    | 'items'
    | 'bonus_create'
    | 'bonus_update'
    | 'bonus_delete'
    | 'bonus_approve'
    | 'bonus_reject';
  month?: string;
  bonusId?: string;
  note?: string;
}
export interface ClosedMonth {
  month: string;
  closedAt: string;
  closedBy: string;
  /** every level's frozen result */
  levels: Record<string, LevelResult>;
  /** indicators of every level's members and of every collector, as at the close */
  indicators?: { units: Record<string, UnitIndicators[]>; collectors: CollectorIndicators[] };
  /** keys of the events and valid reports counted in this month: never counted again */
  keys: string[];
}
interface State {
  bonuses: BonusItem[];
  monthConfigs: MonthConfig[];
  audit: AuditEntry[];
  closed: { month: string; closedAt: string; closedBy: string }[];
}

export class ScoringStore {
  readonly #dir: string;
  #db: Low<State> | undefined;
  readonly #closed = new Map<string, ClosedMonth>();

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'scoring');
  }

  async open(): Promise<void> {
    mkdirSync(this.#dir, { recursive: true });
    this.#db = new Low<State>(new JSONFile(join(this.#dir, 'state.json')), {
      bonuses: [],
      monthConfigs: [],
      audit: [],
      closed: [],
    });
    await this.#db.read();
    for (const f of readdirSync(this.#dir)) {
      const m = /^closed-(\d{4}-\d{2})\.json$/.exec(f);
      if (!m || !this.state.closed.some((c) => c.month === m[1])) continue;
      const db = new Low<ClosedMonth | null>(new JSONFile(join(this.#dir, f)), null);
      await db.read();
      if (db.data) this.#closed.set(m[1], db.data);
    }
  }

  get state(): State {
    if (!this.#db?.data) throw new Error('scoring store is not open');
    return this.#db.data;
  }

  async save(): Promise<void> {
    await this.#db?.write();
  }

  closed(month: string): ClosedMonth | undefined {
    return this.#closed.get(month);
  }
  closedMonths(): string[] {
    return [...this.#closed.keys()].sort();
  }

  /** Freeze a month: its file first, then the index, so a crash between leaves it open. */
  async putClosed(c: ClosedMonth, audit: AuditEntry): Promise<void> {
    const db = new Low<ClosedMonth | null>(new JSONFile(join(this.#dir, `closed-${c.month}.json`)), c);
    await db.write();
    this.#closed.set(c.month, c);
    this.state.closed.push({ month: c.month, closedAt: c.closedAt, closedBy: c.closedBy });
    this.state.audit.push(audit);
    await this.save();
  }

  async dropClosed(month: string, audit: AuditEntry): Promise<void> {
    this.#closed.delete(month);
    this.state.closed = this.state.closed.filter((c) => c.month !== month);
    this.state.audit.push(audit);
    await this.save();
    const stamp = audit.at.replace(/[:.]/g, '-');
    renameSync(join(this.#dir, `closed-${month}.json`), join(this.#dir, `reopened-${month}-${stamp}.json`));
  }
}
