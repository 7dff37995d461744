/**
 * @module edge/gateway/units
 * The units running now, and the live swap to a new configuration: build the new units first (a
 * pipeline that cannot be built from it throws and the old units keep running), then stop the
 * old ones and start the new; if a new one fails to start, the old ones come back. Swaps are
 * serialised, so a reload command and a synced version never interleave.
 */
import type { GatewayConfig } from '../config.js';
import type { EdgeSinks, EdgeUnit, UnitContext } from '../unit.js';

export type UnitFactory = (cfg: GatewayConfig, ctx: UnitContext) => Promise<EdgeUnit[]>;

export class RunningUnits {
  #units: EdgeUnit[] = [];
  #applying: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly make: UnitFactory,
    private readonly ctx: UnitContext,
    private readonly sinks: EdgeSinks,
  ) {}

  get list(): readonly EdgeUnit[] {
    return this.#units;
  }

  get names(): string[] {
    return this.#units.map((u) => u.name);
  }

  async start(cfg: GatewayConfig): Promise<void> {
    this.#units = await this.make(cfg, this.ctx);
    for (const u of this.#units) await u.start(this.sinks);
  }

  /** Swap to the units of `next`; `swapped` runs once they are running, before the next swap. */
  swap(next: GatewayConfig, swapped: () => void): Promise<void> {
    const run = this.#applying.then(async () => {
      const nextUnits = await this.make(next, this.ctx);
      for (const u of this.#units) await u.stop();
      const previous = this.#units;
      try {
        for (const u of nextUnits) await u.start(this.sinks);
      } catch (e) {
        for (const u of nextUnits) await u.stop().catch(() => undefined);
        for (const u of previous) await u.start(this.sinks);
        throw e;
      }
      this.#units = nextUnits;
      swapped();
    });
    this.#applying = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    for (const u of this.#units)
      await u
        .stop()
        .catch((e) => this.ctx.log.warn({ unit: u.name, err: (e as Error).message }, 'unit stop failed'));
  }
}
