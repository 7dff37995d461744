/**
 * A new, empty data dir for a unit under test. Units keep their open causes in their data dir
 * (edge/unit-state.ts), so a shared folder such as the system tmp would hand one test's open
 * incidents to the next.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'cg-unit-'));
}
