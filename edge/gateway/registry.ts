/**
 * @module edge/gateway/registry
 * The pipeline units a gateway can run, one entry per kind, in the order they are built: which
 * config section turns each on, on which gateway kinds, and how to make it. A new device protocol
 * is a new entry here. The camera pipeline (onnxruntime, sharp) and the serial and JT/T 808
 * pipelines are loaded only when their section is present (a vehicle box never loads
 * onnxruntime), each with a literal import tsc and a reader can follow.
 */
import type { GatewayConfig } from '../config.js';
import { createReplayUnit } from '../sync/replay.js';
import type { EdgeUnit, UnitContext } from '../unit.js';

export interface PipelineKind {
  /** for logs and docs */
  readonly name: string;
  /** the config section that turns it on */
  readonly section: 'replay' | 'vehicle' | 'jt808' | 'cameras';
  /** the gateway kinds it runs on */
  readonly on: readonly GatewayConfig['kind'][];
  create(section: unknown, ctx: UnitContext): Promise<EdgeUnit[]>;
}

export const PIPELINES: readonly PipelineKind[] = [
  {
    name: 'replay (drills)',
    section: 'replay',
    on: ['checkpoint', 'vehicle'],
    create: async (s, ctx) => [createReplayUnit(s, ctx)],
  },
  {
    name: 'vehicle serial GNSS/CAN',
    section: 'vehicle',
    on: ['vehicle'],
    create: async (s, ctx) => [await (await import('../vehicle/index.js')).createVehicleUnit(s, ctx)],
  },
  {
    // trucks whose own JT/T 808 terminals report over TCP
    name: 'JT/T 808 terminals',
    section: 'jt808',
    on: ['vehicle'],
    create: async (s, ctx) => [await (await import('../jt808/index.js')).createJt808Unit(s, ctx)],
  },
  {
    // on a vehicle too: `where` then carries a fresh frame
    name: 'ONVIF cameras',
    section: 'cameras',
    on: ['checkpoint', 'vehicle'],
    create: async (s, ctx) => (await import('../camera/index.js')).createCameraUnits(s, ctx),
  },
];

/**
 * Build the units a configuration asks for (not started); also `--check`'s second pass. When one
 * cannot be built, those built before it are stopped and the error is thrown.
 */
export async function defaultUnits(cfg: GatewayConfig, ctx: UnitContext): Promise<EdgeUnit[]> {
  const units: EdgeUnit[] = [];
  try {
    for (const p of PIPELINES)
      if (cfg[p.section] !== undefined && p.on.includes(cfg.kind))
        units.push(...(await p.create(cfg[p.section], ctx)));
  } catch (e) {
    for (const u of units) await u.stop().catch(() => undefined);
    throw e;
  }
  return units;
}
