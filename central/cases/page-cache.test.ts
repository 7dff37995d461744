/**
 * cases page-cache - a page is made once per key and store revision, for at most its age; a
 * store without a revision (PostgreSQL, other instances write too) has every page made anew.
 */
import { describe, expect, it } from 'vitest';
import { PageCache } from './page-cache.js';

describe('cases page cache', () => {
  it('shares a page at one revision, makes it again after a change, after its age, and without a revision', async () => {
    const pages = new PageCache<string>(1000, 2);
    let made = 0;
    const make = async () => `page ${++made}`;
    expect(await pages.get('intake', 7, 0, make)).toBe('page 1');
    expect(await pages.get('intake', 7, 999, make)).toBe('page 1');
    expect(await pages.get('intake', 8, 999, make)).toBe('page 2'); // a change
    expect(await pages.get('intake', 8, 2000, make)).toBe('page 3'); // older than 1 s
    expect(await pages.get('intake', 8, 1000, make)).toBe('page 4'); // a clock set back
    expect(await pages.get('intake', undefined, 1000, make)).toBe('page 5');
    expect(await pages.get('intake', undefined, 1000, make)).toBe('page 6');
    // at most two pages kept: the oldest goes first
    await pages.get('queue', 8, 1000, make);
    await pages.get('list', 8, 1000, make);
    expect(await pages.get('intake', 8, 1000, make)).toBe('page 9');
    expect(await pages.get('list', 8, 1000, make)).toBe('page 8');
  });

  it('a page that fails is not kept', async () => {
    const pages = new PageCache<string>();
    await expect(pages.get('x', 1, 0, () => Promise.reject(new Error('page-limit')))).rejects.toThrow(
      'page-limit',
    );
    expect(await pages.get('x', 1, 0, async () => 'made')).toBe('made');
  });
});
