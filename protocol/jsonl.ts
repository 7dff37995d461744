/**
 * @module protocol/jsonl
 * Reading a JSON-lines file that is only ever appended to (central's case journal, the
 * gateway's outbox log): each non-blank line goes to `apply` with its byte offset. A line that
 * `apply` refuses (throws) is reported with its offset: `torn` when it is the last line and has
 * no newline (a crash mid-append, whose write never finished), `bad` otherwise (damage).
 */
import { readFileSync } from 'node:fs';

export interface JsonlProblem {
  offset: number;
  bytes: number;
  torn: boolean;
  reason: string;
}

export function readJsonLines(file: string, apply: (value: unknown) => void): JsonlProblem[] {
  const text = readFileSync(file);
  const problems: JsonlProblem[] = [];
  let offset = 0;
  while (offset < text.length) {
    const nl = text.indexOf(0x0a, offset);
    const end = nl < 0 ? text.length : nl;
    const line = text.subarray(offset, end).toString('utf8');
    if (line.trim())
      try {
        apply(JSON.parse(line));
      } catch (e) {
        problems.push({ offset, bytes: end - offset, torn: nl < 0, reason: (e as Error).message });
      }
    offset = end + 1;
  }
  return problems;
}
