/**
 * cases page-cache - a page is made once per key and store revision, for at most its age; a
 * store without a revision (PostgreSQL, other instances write too) has every page made anew; the
 * pages kept stay under their byte bound, oldest out first.
 */
import { describe, expect, it } from 'vitest';
import { PageCache } from './page-cache.js';

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
});
