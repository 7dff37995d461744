/**
 * @module test/support/until
 * Poll a check until it holds, so a test waits for what it means instead of a fixed time. The
 * check holds when it returns a truthy value, which `until` returns; a falsy value or a throw
 * means "not yet" (the last error is named if time runs out).
 * @example
 *   const c = await until(async () => (await listCases()).find((x) => x.id === id), 'the case');
 *   await until(() => cam.stats.snapshots > 1, 'a second snapshot', 10_000);
 */
type NotYet = undefined | null | false | 0 | '';

export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  ms = 30_000,
  everyMs = 100,
): Promise<Exclude<T, NotYet>> {
  const end = Date.now() + ms;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as Exclude<T, NotYet>;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
