/**
 * @module edge/gateway/heartbeats
 * A `GatewayStatus` on `cg.v1.status.<gatewayId>` every `heartbeatS`, and at once when asked
 * (a configuration was applied: central sees the version that runs now).
 */
import { encode, GatewayStatus, subjects } from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';

export class Heartbeats {
  #timer?: NodeJS.Timeout;
  #periodS = 0;

  constructor(
    private readonly link: Link,
    private readonly gatewayId: string,
    private readonly status: () => GatewayStatus,
  ) {}

  start(periodS: number): void {
    this.beat();
    this.every(periodS);
  }

  beat(): void {
    if (!this.link.isClosed())
      this.link.publish(subjects.status(this.gatewayId), encode(GatewayStatus, this.status()));
  }

  /** Follow a new period (no-op when it is the same). */
  every(periodS: number): void {
    if (this.#timer && periodS === this.#periodS) return;
    if (this.#timer) clearInterval(this.#timer);
    this.#periodS = periodS;
    this.#timer = setInterval(() => this.beat(), periodS * 1000);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
