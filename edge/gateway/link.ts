/**
 * @module edge/gateway/link
 * The gateway's NATS link, connected in the background (detection and the outbox work with NATS
 * down): per-gateway inbox prefix, its own credentials; `connected()` follows the link's real
 * state (a reconnecting link is not closed, but it is not up either). `onUp` runs once, when the
 * first connection stands; the client reconnects by itself after that.
 */
import { gatewayInboxPrefix } from '../../protocol/index.js';
import { connectNats, type Link } from '../../protocol/transport.js';
import type { GatewayConfig } from '../config.js';
import type { UnitContext } from '../unit.js';

export class GatewayLink {
  #link?: Link;
  #up = false;
  readonly #abort = new AbortController();
  readonly #ready: Promise<void>;

  constructor(cfg: GatewayConfig, log: UnitContext['log'], onUp: (link: Link) => void) {
    const opts = {
      ...cfg.nats,
      inboxPrefix: cfg.nats.inboxPrefix ?? gatewayInboxPrefix(cfg.gatewayId),
      name: `gateway ${cfg.gatewayId}`,
      log,
    };
    this.#ready = connectNats(opts, this.#abort.signal)
      .then((link) => {
        this.#link = link;
        this.#up = true;
        link.onStatus((s) => {
          if (s.type === 'disconnect') this.#up = false;
          else if (s.type === 'reconnect') this.#up = true;
        });
        onUp(link);
      })
      .catch((e) => {
        if (!this.#abort.signal.aborted) log.error({ err: (e as Error).message }, 'NATS link failed');
      });
  }

  connected(): boolean {
    return !!this.#link && !this.#link.isClosed() && this.#up;
  }

  /** Stop connecting (a first attempt may still be sleeping). */
  abort(): void {
    this.#abort.abort();
  }

  /** Finish what is in flight and close. */
  async close(): Promise<void> {
    this.abort();
    await this.#link?.drain().catch(() => undefined);
    await Promise.race([this.#ready, new Promise((r) => setTimeout(r, 100))]);
  }
}
