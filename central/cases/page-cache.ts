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
 * @example
 *   const pages = new PageCache();
 *   const body = await pages.get(key, store.cases.revision?.(), Date.now(), async () => encode(page));
 */
export class PageCache {
  readonly #pages = new Map<string, { revision: number; at: number; body: Buffer<ArrayBuffer> }>();
  #bytes = 0;

  constructor(
    private readonly maxAgeMs = 1000,
    private readonly maxBytes = 32 * 2 ** 20,
  ) {}

  /** The page under `key` made at `revision` less than `maxAgeMs` before `now`, else `make()`'s. */
  async get(
    key: string,
    revision: number | undefined,
    now: number,
    make: () => Promise<Buffer<ArrayBuffer>>,
  ): Promise<Buffer<ArrayBuffer>> {
    if (revision === undefined) return make();
    const hit = this.#pages.get(key);
    if (hit && hit.revision === revision && now - hit.at >= 0 && now - hit.at < this.maxAgeMs)
      return hit.body;
    // kept at the revision read before it was made: a change while making it makes the next one anew
    const body = await make();
    this.#drop(key);
    this.#pages.set(key, { revision, at: now, body });
    this.#bytes += body.byteLength;
    for (const oldest of this.#pages.keys()) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(oldest);
    }
    return body;
  }

  #drop(key: string): void {
    const p = this.#pages.get(key);
    if (!p) return;
    this.#bytes -= p.body.byteLength;
    this.#pages.delete(key);
  }
}
