/**
 * @module test/support/case-service
 * A `CaseService` over the embedded store (the lowdb adapter on a `MemoryCaseStore`), the demo
 * city and a temporary attachment folder: what the unit tests beside central/cases/* share.
 * @example
 *   const t = caseService(); ... await t.svc.intake(input, t.users.operator); ... t.done();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { User } from '../../central/auth/roles.js';
import { CaseService } from '../../central/cases/service.js';
import { SEED_DIR } from '../../central/central.js';
import { loadCity } from '../../central/city/index.js';
import { DiskAttachments } from '../../central/evidence/attachments.js';
import { ScoringStore } from '../../central/scoring/store.js';
import { LowdbAdapter } from '../../central/store/contract/lowdb-adapter.js';
import { MemoryCaseStore } from '../../central/store/memory.js';

const user = (id: string, role: User['role'], extra: Partial<User> = {}) =>
  ({ id, role, name: id, ...extra }) as User;

export const USERS = {
  operator: user('u-operator', 'operator'),
  leader: user('u-leader', 'leader'),
  collector: user('u-collector', 'collector', { collectorId: 'col-001' }),
  handler: (unitId: string) => user(`u-h-${unitId}`, 'unit_handler', { unitId }),
};

export function caseService(o: { now?: () => Date } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cg-cases-'));
  const embedded = new MemoryCaseStore();
  const store = new LowdbAdapter(embedded, new ScoringStore(dir));
  const attachments = new DiskAttachments(join(dir, 'attachments'));
  const svc = new CaseService({ store, city: loadCity(SEED_DIR), attachments, now: o.now });
  /** a small JPEG uploaded by `u` */
  const photo = async (u: User, fill = 1) => {
    const b = new Uint8Array(300).fill(fill);
    b.set([0xff, 0xd8, 0xff, 0xe0], 0);
    b.set([0xff, 0xd9], b.length - 2);
    return (await attachments.put(b, 'image/jpeg', u.id)).name;
  };
  return { svc, store, embedded, photo, done: () => rmSync(dir, { recursive: true, force: true }) };
}
