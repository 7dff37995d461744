/**
 * @module central/scoring/store
 * What scoring keeps on the embedded store: bonus items, per-month item selections, the audit
 * log (small, one lowdb file `scoring/state.json`) and each closed month's frozen result (one
 * file per month, `scoring/closed-YYYY-MM.json`, written once at close; on reopening it is renamed
 * `reopened-YYYY-MM-<time>.json`, so the audit keeps what the frozen month said). All under
 * central's data directory. Reached through the storage contract (store/contract/lowdb-adapter).
 *
 * The month file is the close: it is written beside and hard-linked into place, which fails when
 * the name exists, so of two closes racing (in one process or two on one directory) one wins and
 * the other learns who closed it and when; a crash leaves either the whole file or none.
 */
import {
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { MonthAlreadyClosed } from '../store/contract/errors.js';
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
    });
    await this.#db.read();
    for (const f of readdirSync(this.#dir)) {
      const m = /^closed-(\d{4}-\d{2})\.json$/.exec(f);
      if (m) this.#closed.set(m[1], this.#read(m[1]));
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

  #file(month: string): string {
    return join(this.#dir, `closed-${month}.json`);
  }
  #read(month: string): ClosedMonth {
    return JSON.parse(readFileSync(this.#file(month), 'utf8')) as ClosedMonth;
  }

  /** Freeze a month (the file is the close), then audit it; `MonthAlreadyClosed` if it was. */
  async putClosed(c: ClosedMonth, audit: AuditEntry): Promise<void> {
    const known = this.#closed.get(c.month);
    if (known) throw new MonthAlreadyClosed(c.month, known.closedBy, known.closedAt);
    const tmp = `${this.#file(c.month)}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, JSON.stringify(c), { flush: true });
    try {
      linkSync(tmp, this.#file(c.month));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const won = this.#read(c.month); // another instance on this directory closed it first
      this.#closed.set(c.month, won);
      throw new MonthAlreadyClosed(c.month, won.closedBy, won.closedAt);
    } finally {
      unlinkSync(tmp);
    }
    this.#closed.set(c.month, c);
    this.state.audit.push(audit);
    await this.save();
  }

  async dropClosed(month: string, audit: AuditEntry): Promise<void> {
    const stamp = audit.at.replace(/[:.]/g, '-');
    renameSync(this.#file(month), join(this.#dir, `reopened-${month}-${stamp}.json`));
    this.#closed.delete(month);
    this.state.audit.push(audit);
    await this.save();
  }
}
