/**
 * @module test/support/handler-units
 * The seed's units that get a demo handler account (`u-h-<unit>`, token `demo-handler-<unit>`):
 * every unit that handles cases (central/city/handling.ts), read from the shipped org.json.
 */
import { readFileSync } from 'node:fs';
import { handlesCases } from '../../central/city/handling.js';

const org = JSON.parse(readFileSync(new URL('../../central/seed/org.json', import.meta.url), 'utf8')) as {
  units: { id: string; kind: string }[];
};
export const HANDLER_UNITS: readonly string[] = org.units.filter(handlesCases).map((u) => u.id);
