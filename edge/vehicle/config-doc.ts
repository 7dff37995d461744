/**
 * @module edge/vehicle/config-doc
 * The config reference table in edge/vehicle/README.md, generated from the zod schema so the
 * docs cannot drift from the code: `npx tsx edge/vehicle/config-doc.ts`.
 */
import { z } from 'zod';
import { VehicleSection } from './config.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  pattern?: string;
  const?: unknown;
}

export function configRows(): string[] {
  const root = z.toJSONSchema(VehicleSection, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: string[] = [];
  const walk = (s: JsonSchema, path: string, required: boolean) => {
    if (s.properties) {
      if (path)
        rows.push(`| \`${path}\` | section | | | ${required ? 'required. ' : ''}${s.description ?? ''} |`);
      for (const [k, v] of Object.entries(s.properties))
        walk(v, path ? `${path}.${k}` : k, !!s.required?.includes(k));
      return;
    }
    const type = s.anyOf
      ? s.anyOf.map((a) => (a.const !== undefined ? JSON.stringify(a.const) : a.type)).join(' \\| ')
      : s.enum
        ? s.enum.map((e) => JSON.stringify(e)).join(' \\| ')
        : String(s.type ?? 'any');
    const safe = (v?: number) => v !== undefined && Math.abs(v) < Number.MAX_SAFE_INTEGER;
    const bounds = [safe(s.minimum) ? `≥ ${s.minimum}` : '', safe(s.maximum) ? `≤ ${s.maximum}` : '']
      .filter(Boolean)
      .join(', ');
    const def = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : required ? '**required**' : '';
    rows.push(`| \`${path}\` | ${type} | ${def} | ${bounds} | ${s.description ?? ''} |`);
  };
  walk(root, '', true);
  return ['| field | type | default | bounds | description |', '|---|---|---|---|---|', ...rows];
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(configRows().join('\n'));
