/**
 * @module edge/vehicle/signals
 * Body and cover state from wherever the city wired them: mapped DBC signals on the CAN bus, or
 * digital input lines (sysfs GPIO value files) polled on a timer.
 */
import { readFile } from 'node:fs/promises';
import type { DecodedMessage } from './can/index.js';
import type { VehicleSection } from './config.js';

export type SignalName = 'dumpBodyRaised' | 'coverOpen';
export const SIGNAL_NAMES: readonly SignalName[] = ['dumpBodyRaised', 'coverOpen'];

export interface SignalState {
  dumpBodyRaised?: boolean;
  coverOpen?: boolean;
  /** latest numeric value of every decoded CAN signal, by DBC name */
  can: Record<string, number>;
}

/** Apply one decoded CAN message to the signal state. */
export function applyCanMessage(
  s: SignalState,
  m: DecodedMessage,
  map: NonNullable<VehicleSection['can']>['signals'],
): void {
  for (const sig of m.signals) {
    s.can[sig.name] = sig.value;
    for (const name of SIGNAL_NAMES) {
      const rule = map[name];
      if (rule && rule.signal === sig.name) s[name] = sig.value >= rule.threshold;
    }
  }
}

type DiSection = NonNullable<VehicleSection['di']>;

/** Read each configured input file once, then apply them together; returns the error text of an unreadable one. */
export async function pollDigitalInputs(s: SignalState, di: DiSection): Promise<string | undefined> {
  let error: string | undefined;
  const next: Partial<Record<SignalName, boolean | undefined>> = {};
  for (const name of SIGNAL_NAMES) {
    const line = di[name];
    if (!line) continue;
    try {
      const c = (await readFile(line.path, 'latin1')).trim()[0];
      if (c !== '0' && c !== '1') throw new Error(`expected 0 or 1, read ${JSON.stringify(c ?? '')}`);
      next[name] = (c === '1') !== line.activeLow;
    } catch (e) {
      next[name] = undefined;
      error = `${name} (${line.path}): ${(e as Error).message}`;
    }
  }
  Object.assign(s, next);
  return error;
}
