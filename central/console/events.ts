/**
 * @module central/console/events
 * Live case changes for the console: a small in-process hub and its server-sent-events stream.
 * Each subscriber only gets what its role may see (unit handlers: their own unit's cases).
 */
import type { User } from '../auth/roles.js';
import { seesAll } from '../auth/roles.js';
import type { CaseRecord } from '../cases/model.js';
import type { CentralStore } from '../store/contract/index.js';

export interface ConsoleEvent {
  type: 'case';
  id: string;
  state: string;
  source: string;
  unitId?: string;
  updatedAt: string;
}

type Listener = (e: ConsoleEvent) => void;

export class ConsoleHub {
  readonly #listeners = new Set<Listener>();
  publish(e: ConsoleEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        // one broken stream never stops the others
      }
    }
  }
  publishCase(c: CaseRecord): void {
    this.publish({
      type: 'case',
      id: c.id,
      state: c.state,
      source: c.source,
      unitId: c.unitId,
      updatedAt: c.updatedAt,
    });
  }
  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  get size(): number {
    return this.#listeners.size;
  }
}

/** what the hub listens to: a store's committed changes */
export type CommitSource = Pick<CentralStore, 'onCommit'>;

const observed = new WeakMap<CommitSource, ConsoleHub>();

/** The hub that publishes every case this store commits (after it is durable), one per store. */
export function observeStore(store: CommitSource): ConsoleHub {
  const known = observed.get(store);
  if (known) return known;
  const hub = new ConsoleHub();
  observed.set(store, hub);
  store.onCommit((ch) => {
    for (const c of ch.cases ?? []) hub.publishCase(c);
  });
  return hub;
}

export function mayReceive(user: User, e: ConsoleEvent): boolean {
  if (seesAll(user.role)) return true;
  return user.role === 'unit_handler' && !!e.unitId && e.unitId === user.unitId;
}

/** A `text/event-stream` response that ends when the client goes away. */
export function sseStream(signal: AbortSignal, hub: ConsoleHub, user: User, keepAliveMs: number): Response {
  const enc = new TextEncoder();
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(ctrl) {
      const send = (s: string) => {
        try {
          ctrl.enqueue(enc.encode(s));
        } catch {
          cleanup();
        }
      };
      send(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ user: user.id, role: user.role })}\n\n`);
      const off = hub.subscribe((e) => {
        if (mayReceive(user, e)) send(`event: case\ndata: ${JSON.stringify(e)}\n\n`);
      });
      const timer = setInterval(() => send(': keep-alive\n\n'), keepAliveMs);
      cleanup = () => {
        off();
        clearInterval(timer);
        try {
          ctrl.close();
        } catch {
          // already closed
        }
      };
      signal.addEventListener('abort', () => cleanup(), { once: true });
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  });
}
