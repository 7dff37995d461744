/**
 * @module central/console/relay
 * Live updates across central instances: every case change this instance commits is published
 * on `subjects.caseChanged` (core NATS: at most once, like the SSE stream it feeds; a console
 * that reconnects re-reads its lists), and every change another instance published is handed to
 * this instance's console hub, so an SSE client sees changes whichever instance committed them.
 * An instance never relays its own (its hub already had them from `onCommit`).
 */
import { randomUUID } from 'node:crypto';
import { CaseChanged, decode, encode, subjects } from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import { versionOf } from '../cases/records.js';
import type { CentralStore } from '../store/contract/index.js';
import { type ConsoleHub, observeStore } from './events.js';

export interface CaseRelay {
  readonly origin: string;
  /** messages from other instances handed to the hub, and ones refused by the schema */
  readonly counts: { relayed: number; refused: number };
  stop(): void;
}

export function relayCaseChanges(
  link: Link,
  store: Pick<CentralStore, 'onCommit'>,
  log: { warn(o: object, m?: string): void },
  hub: ConsoleHub = observeStore(store),
  origin = randomUUID(),
): CaseRelay {
  const counts = { relayed: 0, refused: 0 };
  const off = store.onCommit((ch) => {
    if (link.isClosed()) return;
    for (const c of ch.cases ?? []) {
      const m: CaseChanged = {
        v: 1,
        origin,
        id: c.id,
        version: versionOf(c),
        state: c.state,
        source: c.source,
        ...(c.unitId ? { unitId: c.unitId } : {}),
        updatedAt: c.updatedAt,
      };
      try {
        link.publish(subjects.caseChanged, encode(CaseChanged, m));
      } catch (e) {
        log.warn({ case: c.id, err: (e as Error).message }, 'case change not told to the other instances');
      }
    }
  });
  const sub = link.subscribe(subjects.caseChanged);
  void (async () => {
    for await (const m of sub) {
      const r = decode(CaseChanged, m.data);
      if (!r.ok) {
        counts.refused++;
        log.warn({ subject: m.subject, reason: r.reason }, 'case change from another instance refused');
        continue;
      }
      if (r.value.origin === origin) continue;
      counts.relayed++;
      const { id, state, source, unitId, updatedAt } = r.value;
      hub.publish({ type: 'case', id, state, source, unitId, updatedAt });
    }
  })().catch(() => {}); // the subscription ends when the link closes
  return {
    origin,
    counts,
    stop() {
      off();
      sub.unsubscribe();
    },
  };
}
