/**
 * @module scripts/protocol-schemas
 * Exports every wire message as JSON Schema (draft 2020-12) so a device vendor can implement the
 * protocol in another language. `npm run protocol:schemas` writes protocol/json-schema/*.json
 * (committed; protocol.test.ts fails when they are stale). A dev tool: not in the field build.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CommandReply, CommandRequest } from '../protocol/schemas/command.js';
import { DeadLetter } from '../protocol/schemas/deadletter.js';
import { Incident } from '../protocol/schemas/incident.js';
import { GatewayStatus } from '../protocol/schemas/status.js';
import { Telemetry } from '../protocol/schemas/telemetry.js';

export const WIRE_MESSAGES = {
  incident: Incident,
  telemetry: Telemetry,
  status: GatewayStatus,
  'command-request': CommandRequest,
  'command-reply': CommandReply,
  'dead-letter': DeadLetter,
} as const;

export function jsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(WIRE_MESSAGES)) {
    out[name] = {
      $id: `https://citygrid.local/protocol/v1/${name}.json`,
      ...z.toJSONSchema(schema, { io: 'input' }),
    };
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../protocol/json-schema');
  mkdirSync(dir, { recursive: true });
  for (const [name, schema] of Object.entries(jsonSchemas())) {
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(schema, null, 2)}\n`);
  }
  console.log(`wrote ${Object.keys(WIRE_MESSAGES).length} schemas to ${dir}`);
}
