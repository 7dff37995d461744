/**
 * @module central/store/damage
 * Reading central's own files without trusting them: a file that does not parse, or holds
 * records of the wrong shape, is a `Damage` naming the file, the byte offset and why. At start
 * central refuses to run on damaged files (`DamagedFilesError`) unless told `--repair`, which
 * keeps every readable record and moves the damaged file aside (never deletes it).
 */
import { readFileSync, renameSync } from 'node:fs';
import { type ParseError, parse as parseTolerant, printParseErrorCode } from 'jsonc-parser';

export interface Damage {
  file: string;
  /** byte offset of the first unreadable byte (0 when the whole file is of the wrong shape) */
  offset: number;
  reason: string;
}

export class DamagedFilesError extends Error {
  constructor(readonly damages: Damage[]) {
    super(
      `damaged data files (start with --repair to keep every readable record and move the damaged files aside):\n${damages
        .map((d) => `  ${d.file} at byte ${d.offset}: ${d.reason}`)
        .join('\n')}`,
    );
    this.name = 'DamagedFilesError';
  }
}

/**
 * Where a text stops being JSON. JSON.parse's messages give no position for many errors, so the
 * failure path asks jsonc-parser (comments disallowed), which reports the offset of each error.
 */
function firstError(text: string): { offset: number; reason: string } {
  const errors: ParseError[] = [];
  parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false });
  const e = errors[0];
  if (!e) return { offset: Buffer.byteLength(text), reason: 'not valid JSON' };
  return { offset: Buffer.byteLength(text.slice(0, e.offset)), reason: printParseErrorCode(e.error) };
}

/** Parse a JSON file; a parse error becomes a Damage with the byte offset. */
export function readJsonFile(file: string): { ok: true; value: unknown } | { ok: false; damage: Damage } {
  const text = readFileSync(file, 'utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, damage: { file, ...firstError(text) } };
  }
}

/** Rename a damaged file next to itself, `<name>.damaged-<time>`; returns the new path. */
export function moveAside(file: string, now = new Date()): string {
  const to = `${file}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, to);
  return to;
}

/**
 * What the stores are doing with their files now: a failed write or checkpoint makes the
 * store degraded (health says so, writes answer 503) until a retry succeeds.
 */
export interface StoreHealth {
  ok: boolean;
  /** failed writes and checkpoints since start */
  failures: number;
  lastError?: string;
  since?: string;
}

/** A write refused or failed because storage cannot be written now (disk full, read-only). */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}
