/**
 * @module edge/prom
 * Metrics whose values another part keeps, on a prom-client registry (edge/metrics.ts,
 * edge/sync/metrics.ts).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type Labels = Record<string, string>;
export type Rows = [Labels, number][];

/**
 * A gauge or counter whose values another part keeps (outbox, delivery, units), read at each
 * scrape; every series carries the gateway's id.
 */
export function readAtScrape(
  reg: Registry,
  type: 'gauge' | 'counter',
  name: string,
  help: string,
  labelNames: string[],
  rows: () => Rows,
): void {
  const config = { name, help, labelNames: ['gateway', ...labelNames], registers: [reg] };
  if (type === 'gauge')
    new Gauge({
      ...config,
      collect() {
        this.reset();
        for (const [l, v] of rows()) this.set(l, v);
      },
    });
  else
    new Counter({
      ...config,
      collect() {
        this.reset();
        for (const [l, v] of rows()) this.inc(l, v);
      },
    });
}
