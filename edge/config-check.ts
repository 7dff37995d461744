/**
 * @module edge/config-check
 * Every problem in a gateway config file, each with its file, line and column: the core's own
 * schema and each section's schema (cameras, vehicle, replay) in one pass over the YAML document,
 * which keeps the positions. Unknown keys and enum values get a "did you mean". The gateway runs
 * this before every start, and `--check` runs it and then builds the units as a start would
 * (models, GeoJSON, DBC loaded) without starting them, so `--check` refuses what a start refuses.
 * @example
 * const problems = checkConfigText(readFileSync(file, 'utf8'), file);
 * for (const p of problems) console.error(formatProblem(p));
 */
import { closest } from 'fastest-levenshtein';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CameraSection } from './camera/config.js';
import { GatewayConfig } from './config.js';
import { ReplaySection } from './sync/replay.js';
import { VehicleSection } from './vehicle/config.js';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  /** dotted path in the document, e.g. cameras.list.0.zones.1.type */
  path: string;
  message: string;
}

/** The sections the core leaves `unknown`, with the schema their pipeline validates them by. */
const SECTIONS: Record<string, z.ZodType> = {
  cameras: CameraSection,
  vehicle: VehicleSection,
  replay: ReplaySection,
};

export const formatProblem = (p: ConfigProblem) => `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}`;

type Doc = ReturnType<typeof parseDocument>;
type Path = readonly PropertyKey[];

export function checkConfigText(text: string, file: string): ConfigProblem[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const at = (offset: number, path: Path, message: string): ConfigProblem => {
    const { line, col } = lc.linePos(offset);
    return { file, line, col, path: path.length ? path.join('.') : '(root)', message };
  };
  if (doc.errors.length) return doc.errors.map((e) => at(e.pos[0], [], `not valid YAML: ${e.message}`));
  const raw = doc.toJS() as Record<string, unknown> | null;
  const problems: ConfigProblem[] = [];
  const run = (schema: z.ZodType, value: unknown, prefix: Path) => {
    const r = schema.safeParse(value);
    if (r.success) return;
    for (const issue of r.error.issues) {
      const path = [...prefix, ...issue.path];
      if (issue.code === 'unrecognized_keys')
        for (const key of issue.keys) {
          const known = knownKeys(schema, issue.path);
          const hint = known.length ? `; did you mean "${closest(key, known)}"?` : '';
          problems.push(at(locate(doc, [...path, key]), [...path, key], `unknown key "${key}"${hint}`));
        }
      else problems.push(at(locate(doc, path), path, explain(issue, valueAt(raw, path))));
    }
  };
  run(GatewayConfig, raw, []);
  if (raw && typeof raw === 'object')
    for (const [key, schema] of Object.entries(SECTIONS))
      if (raw[key] !== undefined) run(schema, raw[key], [key]);
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

function explain(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_value' && typeof value === 'string') {
    const options = issue.values.filter((v): v is string => typeof v === 'string');
    if (options.length)
      return `"${value}" is not one of ${options.join(', ')}; did you mean "${closest(value, options)}"?`;
  }
  if (issue.code === 'invalid_type' && value === undefined) return `required; ${issue.message}`;
  return issue.message;
}

function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** Offset of the deepest node of `path` that exists (a missing key points at its parent). */
function locate(doc: Doc, path: Path): number {
  let node: unknown = doc.contents;
  let offset = (node as { range?: number[] })?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      offset = (node as { range?: number[] }).range?.[0] ?? offset;
    } else break;
  }
  return offset;
}

/** The keys the object schema at `path` accepts (wrappers such as optional/default looked through). */
function knownKeys(schema: z.ZodType, path: Path): string[] {
  interface Def {
    type: string;
    innerType?: unknown;
    in?: unknown;
    shape?: Record<string, unknown>;
    element?: unknown;
    valueType?: unknown;
  }
  const def = (s: unknown) => (s as { _zod?: { def: Def } })?._zod?.def;
  const unwrap = (s: unknown): unknown => {
    for (let d = def(s); d; d = def(s)) {
      if (d.innerType) s = d.innerType;
      else if (d.type === 'pipe') s = d.in;
      else break;
    }
    return s;
  };
  let s: unknown = schema;
  for (const seg of path) {
    const d = def(unwrap(s));
    if (d?.type === 'object') s = d.shape?.[String(seg)];
    else if (d?.type === 'array') s = d.element;
    else if (d?.type === 'record') s = d.valueType;
    else return [];
  }
  const d = def(unwrap(s));
  return d?.type === 'object' ? Object.keys(d.shape ?? {}) : [];
}
