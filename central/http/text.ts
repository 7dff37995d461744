/**
 * @module central/http/text
 * Text hygiene for everything people type: C0/C1 control characters (NUL …, except tab, line
 * feed and carriage return), DEL, the bidi embedding/override/isolate controls (U+202A–U+202E,
 * U+2066–U+2069: a U+202E can make a description read backwards) and a stray BOM are refused
 * with an error that names the field, the position and the character. central/http/validate.ts
 * applies `assertCleanText` to every JSON body and query string the API reads; `cleanText()` is
 * the zod schema for a single field (Open311 uses it to answer in its own error shape).
 */
import { z } from 'zod';
import { ProblemError } from './problem.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it finds
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/u;

const NAMES: Record<number, string> = {
  0: 'NUL',
  27: 'ESC',
  127: 'DEL',
  8234: 'LEFT-TO-RIGHT EMBEDDING',
  8235: 'RIGHT-TO-LEFT EMBEDDING',
  8236: 'POP DIRECTIONAL FORMATTING',
  8237: 'LEFT-TO-RIGHT OVERRIDE',
  8238: 'RIGHT-TO-LEFT OVERRIDE',
  65279: 'BYTE ORDER MARK',
};

export interface ForbiddenChar {
  /** where: the field path (`description`, `location.address`) */
  path: string;
  /** position in the string (UTF-16 index) */
  index: number;
  codePoint: string;
}

export function describe(f: ForbiddenChar): string {
  const cp = Number.parseInt(f.codePoint.slice(2), 16);
  const name = NAMES[cp] ?? (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ? 'control character' : 'bidi control');
  return `${f.path || 'text'}: ${f.codePoint} ${name} at position ${f.index} is not allowed in text (control and bidi characters are refused)`;
}

/** The first forbidden character in any string (or key) of a JSON value. */
export function findForbidden(v: unknown, path = ''): ForbiddenChar | undefined {
  if (typeof v === 'string') {
    const m = FORBIDDEN.exec(v);
    if (!m) return undefined;
    const codePoint = `U+${(m[0].codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
    return { path, index: m.index, codePoint };
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const f = findForbidden(v[i], `${path}[${i}]`);
      if (f) return f;
    }
    return undefined;
  }
  if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      const p = path ? `${path}.${k}` : k;
      const f = findForbidden(k, p) ?? findForbidden(x, p);
      if (f) return f;
    }
  return undefined;
}

/** A trimmed text field of at most `max` characters without control or bidi characters. */
export const cleanText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .superRefine((s, ctx) => {
      const f = findForbidden(s);
      if (f) ctx.addIssue({ code: 'custom', message: describe(f).replace(/^text: /, '') });
    });

/** Refuses (422 `forbidden-character`, naming field, position and character) any text with a control or bidi character. */
export function assertCleanText(value: unknown): void {
  const f = findForbidden(value);
  if (f) throw new ProblemError(422, 'forbidden-character', describe(f), { field: f.path });
}
