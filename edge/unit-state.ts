/**
 * @module edge/unit-state
 * A pipeline's open causes on disk (`UnitContext.dataDir`), so an incident keeps its id across a
 * restart, a config reload and a power cut. Written whole each time (small: a few open causes) as
 * temp file → fsync → rename, so a cut leaves the previous or the next version, never half of one.
 * A file that cannot be read is kept aside (`.bad-<time>`) for inspection and the unit starts empty.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export function saveUnitState(file: string, state: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** The saved state, or undefined when there is none or it is unreadable (then kept aside and logged). */
export function loadUnitState<T>(file: string, log: { warn(o: object, m?: string): void }): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    const aside = `${file}.bad-${Date.now()}`;
    renameSync(file, aside);
    log.warn(
      { file, keptAs: aside, err: (e as Error).message },
      'unit state unreadable; starting without it',
    );
    return undefined;
  }
}
