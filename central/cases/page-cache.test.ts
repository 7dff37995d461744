/**
 * cases page-cache - a page is made once per key and store revision, for at most its age; a
 * store without a revision (PostgreSQL, other instances write too) has every page made anew; the
 * pages kept stay under their byte bound, oldest out first. Items are kept by key (id, version,
 * overdue) under their byte bound, least recently used out first; a page encoded from them is the
 * JSON of the page whole.
 */
import { describe, expect, it } from 'vitest';
import { encodePage, ItemCache, PageCache } from './page-cache.js';

describe('cases page cache', () => {
  it('shares a page at one revision, makes it again after a change, after its age, and without a revision', async () => {
    const pages = new PageCache(1000, 20);
    let made = 0;
    // pages of 8 bytes: two fit the 20-byte bound, a third pushes the oldest out
    const make = async () => Buffer.from(`page ${String(++made).padStart(3)}`);
    const text = async (key: string, revision: number | undefined, now: number) =>
      (await pages.get(key, revision, now, make)).toString();
    expect(await text('intake', 7, 0)).toBe('page   1');
    expect(await text('intake', 7, 999)).toBe('page   1');
    expect(await text('intake', 8, 999)).toBe('page   2'); // a change
    expect(await text('intake', 8, 2000)).toBe('page   3'); // older than 1 s
    expect(await text('intake', 8, 1000)).toBe('page   4'); // a clock set back
    expect(await text('intake', undefined, 1000)).toBe('page   5');
    expect(await text('intake', undefined, 1000)).toBe('page   6');
    expect(await text('intake', 8, 1000)).toBe('page   4');
    await text('queue', 8, 1000);
    await text('list', 8, 1000); // 24 bytes: intake goes
    expect(await text('intake', 8, 1000)).toBe('page   9');
    expect(await text('list', 8, 1000)).toBe('page   8');
    expect(await text('queue', 8, 1000)).toBe('page  10');
  });

  it('a page that fails is not kept', async () => {
    const pages = new PageCache();
    await expect(pages.get('x', 1, 0, () => Promise.reject(new Error('page-limit')))).rejects.toThrow(
      'page-limit',
    );
    expect((await pages.get('x', 1, 0, async () => Buffer.from('made'))).toString()).toBe('made');
  });

  it('keeps items by key, least recently used out first, under the byte bound', () => {
    const items = new ItemCache(10);
    let made = 0;
    const make = () => Buffer.from(`item${++made}`); // 5 bytes: two fit
    const text = (key: string) => items.get(key, make).toString();
    expect(text('a:1:false')).toBe('item1');
    expect(text('b:1:false')).toBe('item2');
    expect(text('a:1:false')).toBe('item1'); // a used last: b is the oldest now
    expect(text('c:1:false')).toBe('item3'); // b goes
    expect(items.size).toBe(2);
    expect(text('a:1:false')).toBe('item1');
    expect(text('b:1:false')).toBe('item4');
    expect(text('a:2:false')).toBe('item5'); // another version is another item
  });

  it('a page of encoded items is the JSON of the page whole', () => {
    const rows = [
      { id: '01A', stateName: '待受理', n: 1 },
      { id: '01B', note: 'quote " and \\ and 中文', n: 2 },
    ];
    const enc = (xs: unknown[]) => xs.map((x) => Buffer.from(JSON.stringify(x)));
    for (const page of [
      { total: 7, offset: 0, limit: 2, next: '01B' },
      { total: 2, offset: 0, limit: 2, next: undefined },
    ])
      expect(JSON.parse(encodePage(page, enc(rows)).toString())).toEqual(
        JSON.parse(JSON.stringify({ ...page, items: rows })),
      );
    expect(encodePage({ total: 0, offset: 0, limit: 50 }, []).toString()).toBe(
      JSON.stringify({ total: 0, offset: 0, limit: 50, items: [] }),
    );
  });
});
