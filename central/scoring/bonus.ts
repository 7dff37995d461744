/**
 * @module central/scoring/bonus
 * Bonus items: the office proposes last month's items for assessed units (with uploads as
 * evidence, each cited once), a leader approves or refuses each with a note; pending items can
 * be edited or deleted, decisions are final. Every change is written with its audit entry
 * through the storage contract, which refuses a write whose item moved on (`BonusChanged`):
 * two leaders deciding one item at once — one wins, the other gets 409.
 */
import { type AttachmentStore, alreadyCited, checkUpload } from '../evidence/attachments.js';
import { ProblemError } from '../http/problem.js';
import { BonusChanged } from '../store/contract/index.js';
import type { ScoringContext } from './context.js';
import type { BonusItem } from './engine.js';
import { addMonths, monthOf } from './month.js';
import type { AuditEntry } from './store.js';

export interface BonusItemsOptions {
  /** where bonus items' attachments are uploaded; without it a bonus item cites none */
  attachments?: AttachmentStore;
  /** what else cites an upload (central's cases), by name, if anything */
  citedElsewhere?: (name: string) => string | undefined | Promise<string | undefined>;
}

const decided = (e: BonusChanged) =>
  new ProblemError(
    409,
    'bonus-decided',
    e.actual ? `bonus ${e.bonusId} is already ${e.actual}` : `no bonus item ${e.bonusId}`,
  );

export class BonusItems {
  constructor(
    private readonly ctx: ScoringContext,
    private readonly o: BonusItemsOptions = {},
  ) {}

  list(month?: string): Promise<BonusItem[]> {
    return this.ctx.store.bonuses(month);
  }

  audit(offset = 0, limit = 10_000): Promise<AuditEntry[]> {
    return this.ctx.store.audit({ offset, limit });
  }

  /** The bonus item citing this upload, if one does (uploads are cited once, cases included). */
  async citing(name: string): Promise<string | undefined> {
    const b = (await this.list()).find((x) => x.attachments?.some((a) => a.name === name));
    return b && `bonus item ${b.id}`;
  }

  /** upload name → bonus id, as of `loadCitations()` and this instance's writes since */
  readonly #cited = new Map<string, string>();
  async loadCitations(): Promise<void> {
    for (const b of await this.list()) for (const a of b.attachments ?? []) this.#cited.set(a.name, b.id);
  }
  /**
   * `citing` without waiting, for the case service's synchronous check (its commit step has no
   * await): what this instance knows. Another instance's proposal is seen by the async check.
   */
  citingNow(name: string): string | undefined {
    const id = this.#cited.get(name);
    return id && `bonus item ${id}`;
  }

  async #get(id: string): Promise<BonusItem> {
    const b = (await this.list()).find((x) => x.id === id);
    if (!b) throw new ProblemError(404, 'unknown-bonus', `no bonus item ${id}`);
    return b;
  }

  async #pending(id: string): Promise<BonusItem> {
    const b = await this.#get(id);
    await this.ctx.assertOpen(b.month);
    if (b.state !== 'pending')
      throw new ProblemError(409, 'bonus-decided', `bonus ${id} is already ${b.state}`);
    return b;
  }

  async #write(b: BonusItem, audit: AuditEntry, ifState: 'pending' | 'absent'): Promise<BonusItem> {
    try {
      await this.ctx.store.putBonus(b, audit, ifState);
    } catch (e) {
      throw e instanceof BonusChanged ? decided(e) : e;
    }
    return b;
  }

  /** Bonus items belong to units some level assesses (not the bureau, not the centre). */
  #assertAssessed(unitId: string): void {
    const { tree, rules } = this.ctx;
    const u = tree.units.get(unitId);
    if (!u) throw new ProblemError(422, 'unknown-unit', `no unit ${unitId}`);
    const assessed = u.parentId !== undefined && tree.members(u.parentId, rules).some((m) => m.id === unitId);
    if (!assessed)
      throw new ProblemError(
        422,
        'unit-not-assessed',
        `${u.name} (${unitId}) is not assessed; bonus items need an assessed unit`,
      );
  }

  /** The proposer's own uploads, checked as case actions check theirs. */
  async #uploads(names: readonly string[], by: string): Promise<BonusItem['attachments']> {
    if (!names.length) return undefined;
    const att = this.o.attachments;
    if (!att) throw new ProblemError(422, 'attachments-unavailable', 'this central keeps no attachments');
    const out: NonNullable<BonusItem['attachments']> = [];
    for (const name of new Set(names)) {
      const { contentType } = await checkUpload(att, name, 'any', by);
      const other = (await this.o.citedElsewhere?.(name)) ?? (await this.citing(name));
      if (other) throw alreadyCited(name, other);
      out.push({ name, contentType });
    }
    return out;
  }

  async create(
    b: Pick<BonusItem, 'id' | 'month' | 'unitId' | 'points' | 'reason'> & { attachments?: readonly string[] },
    by: string,
  ): Promise<BonusItem> {
    await this.ctx.assertOpen(b.month);
    this.#assertAssessed(b.unitId);
    const previous = addMonths(monthOf(this.ctx.now().getTime(), this.ctx.utcOffsetMinutes), -1);
    if (b.month !== previous)
      throw new ProblemError(
        422,
        'bonus-month',
        `bonus items are compiled at the start of a month for the previous one: ${previous}, not ${b.month}`,
      );
    const attachments = await this.#uploads(b.attachments ?? [], by);
    const at = this.ctx.now().toISOString();
    const item: BonusItem = { ...b, attachments, state: 'pending', createdBy: by, createdAt: at };
    if (!attachments) delete item.attachments;
    const note = `${b.unitId} +${b.points}`;
    await this.#write(
      item,
      { at, by, action: 'bonus_create', month: b.month, bonusId: b.id, note },
      'absent',
    );
    for (const a of attachments ?? []) this.#cited.set(a.name, b.id);
    return item;
  }

  async update(id: string, patch: Partial<Pick<BonusItem, 'points' | 'reason' | 'unitId'>>, by: string) {
    const b = await this.#pending(id);
    if (patch.unitId) this.#assertAssessed(patch.unitId);
    const at = this.ctx.now().toISOString();
    return this.#write(
      { ...b, ...patch },
      { at, by, action: 'bonus_update', month: b.month, bonusId: id },
      'pending',
    );
  }

  async delete(id: string, by: string): Promise<void> {
    const b = await this.#pending(id);
    const at = this.ctx.now().toISOString();
    try {
      await this.ctx.store.deleteBonus(id, { at, by, action: 'bonus_delete', month: b.month, bonusId: id });
    } catch (e) {
      throw e instanceof BonusChanged ? decided(e) : e;
    }
    for (const a of b.attachments ?? []) this.#cited.delete(a.name);
  }

  /** Approve or refuse a pending item, with the leader's note. */
  async decide(id: string, decision: 'approved' | 'rejected', by: string, note?: string): Promise<BonusItem> {
    const b = await this.#pending(id);
    const at = this.ctx.now().toISOString();
    const action = decision === 'approved' ? 'bonus_approve' : 'bonus_reject';
    return this.#write(
      { ...b, state: decision, decidedBy: by, decidedAt: at, decisionNote: note },
      { at, by, action, month: b.month, bonusId: id, note },
      'pending',
    );
  }
}
