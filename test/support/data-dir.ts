/**
 * A new, empty data dir for a unit under test. Units keep their open causes in their data dir
 * (edge/unit-state.ts), so a shared folder such as the system tmp would hand one test's open
 * incidents to the next. `tempDirs` makes such folders and removes them after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'cg-unit-'));
}

/** A maker of fresh folders named `<prefix>…` in the system tmp, each removed after its test. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
