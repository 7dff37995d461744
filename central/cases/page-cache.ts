/**
 * @module central/cases/page-cache
 * Case list pages as sent, shared by identical requests while the cases have not changed. After
 * a case changes, every open console asks for its queue again: 200 operators on the intake queue
 * ask for the same page at the same store revision, and one page made and encoded (JSON as UTF-8
 * bytes) answers them all (without it, a year stored, each request allocated ~250 KB and the
 * garbage collector's pauses made the queue's p99 1-2 s under 200 connections). A page is reused
 * only at the revision it was made at and for at most `maxAgeMs` (its items' overdue flags are
 * computed at that time), and only where the store has a revision: the embedded store, which
 * sees every change. On PostgreSQL other instances write too, and every request asks the
 * database. At most `maxBytes` of pages are kept (a page of 500 cases is ~1 MB), oldest out first.
 * A page that is made is made of its cases as last sent (`ItemCache`, `encodePage`), on every store.
 * @example
 *   const pages = new PageCache();
 *   const body = await pages.get(key, store.cases.revision?.(), Date.now(), async () =>
 *     encodePage(page, page.items.map((s) => items.get(`${s.id}:${s.version}:${overdue}`, () => bytesOf(s)))));
 */
/**
 * Values by key, at most `maxBytes` of them in all (as `bytesOf` counts); the one stored (or
 * `used`) longest ago goes first. The map's order is that order.
 */
class Bounded<V> {
  readonly #values = new Map<string, V>();
  #bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly bytesOf: (v: V) => number,
  ) {}

  peek(key: string): V | undefined {
    return this.#values.get(key);
  }

  /** `key`, read now, goes to the back */
  used(key: string, v: V): void {
    this.#values.delete(key);
    this.#values.set(key, v);
  }

  set(key: string, v: V): void {
    this.#drop(key);
    this.#values.set(key, v);
    this.#bytes += this.bytesOf(v);
    for (const oldest of this.#values.keys()) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(oldest);
    }
  }

  get size(): number {
    return this.#values.size;
  }

  #drop(key: string): void {
    const v = this.#values.get(key);
    if (!v) return;
    this.#bytes -= this.bytesOf(v);
    this.#values.delete(key);
  }
}

export class PageCache {
  readonly #pages: Bounded<{ revision: number; at: number; body: Buffer<ArrayBuffer> }>;

  constructor(
    private readonly maxAgeMs = 1000,
    maxBytes = 32 * 2 ** 20,
  ) {
    this.#pages = new Bounded(maxBytes, (p) => p.body.byteLength);
  }

  /** The page under `key` made at `revision` less than `maxAgeMs` before `now`, else `make()`'s. */
  async get(
    key: string,
    revision: number | undefined,
    now: number,
    make: () => Promise<Buffer<ArrayBuffer>>,
  ): Promise<Buffer<ArrayBuffer>> {
    if (revision === undefined) return make();
    const hit = this.#pages.peek(key);
    if (hit && hit.revision === revision && now - hit.at >= 0 && now - hit.at < this.maxAgeMs)
      return hit.body;
    // kept at the revision read before it was made: a change while making it makes the next one anew
    const body = await make();
    this.#pages.set(key, { revision, at: now, body });
    return body;
  }
}

/**
 * Each listed case as sent (its view's JSON as UTF-8), by id, version and overdue flag: a version
 * names one content of a case on every store and instance, names come from the city (fixed while
 * central runs), and overdue is the one part that changes with the clock. A page every request
 * asks anew (another offset, another filter, PostgreSQL) is then the page's bytes joined, not 50
 * views made and serialised (~2 KB each). At most `maxBytes` kept, least recently used out first.
 */
export class ItemCache {
  readonly #items: Bounded<Buffer<ArrayBuffer>>;

  constructor(maxBytes = 64 * 2 ** 20) {
    this.#items = new Bounded(maxBytes, (b) => b.byteLength);
  }

  get(key: string, make: () => Buffer<ArrayBuffer>): Buffer<ArrayBuffer> {
    const hit = this.#items.peek(key);
    if (hit) {
      this.#items.used(key, hit);
      return hit;
    }
    const made = make();
    this.#items.set(key, made);
    return made;
  }

  get size(): number {
    return this.#items.size;
  }
}

const COMMA = Buffer.from(',');

/**
 * A list page as sent: `{"total","offset","limit","items":[…],"next"}` (the same JSON as
 * stringifying the page whole), each item's bytes from `items`.
 */
export function encodePage(
  page: { total: number; offset: number; limit: number; next?: string },
  items: Buffer<ArrayBuffer>[],
): Buffer<ArrayBuffer> {
  const parts = [
    Buffer.from(`{"total":${page.total},"offset":${page.offset},"limit":${page.limit},"items":[`),
  ];
  for (const [i, b] of items.entries()) {
    if (i) parts.push(COMMA);
    parts.push(b);
  }
  parts.push(Buffer.from(page.next === undefined ? ']}' : `],"next":${JSON.stringify(page.next)}}`));
  return Buffer.concat(parts);
}
