/** @module bench/lib/paths  Where the repository and the shared third-party test data are. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** third-party captures (never copied into the repo); may be absent */
export const SHARED_TESTDATA = resolve(ROOT, '../shared/testdata');
export const haveShared = (rel: string) => existsSync(join(SHARED_TESTDATA, rel));
