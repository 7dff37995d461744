/**
 * @module central/gateways/metrics
 * Prometheus metrics (prom-client) for what central/gateways knows: configuration versions stored and refused,
 * each gateway's sync state and heartbeat age, and the ingest lag of central's durable
 * consumers (messages not yet delivered / not yet acknowledged), read from JetStream.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { CONSUMERS, STREAMS } from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import type { ApiGuard } from './guard.js';
import type { GatewayConfigHub } from './hub.js';

export interface ConsumedBy {
  stream: string;
  durable: string;
}
/** one central's consumers; instances on a shared store have their own (NatsIngest.consumers) */
const CONSUMED: ConsumedBy[] = [
  { stream: STREAMS.incidents.name, durable: CONSUMERS.centralIngest },
  { stream: STREAMS.status.name, durable: CONSUMERS.centralStatus },
  { stream: STREAMS.telemetry.name, durable: CONSUMERS.centralTelemetry },
];

/**
 * Adds these to the process's registry; the hub, NATS link and guard are read at each scrape
 * (async collect); an answer NATS cannot give now leaves that gauge empty this scrape.
 */
export function registerGatewayMetrics(
  reg: Registry,
  hub: GatewayConfigHub,
  nc: () => Link | undefined,
  o: {
    guard?: ApiGuard;
    /** the durables whose lag is reported (default: one central's fixed names) */
    consumed?: () => ConsumedBy[];
    now?: () => number;
  } = {},
): void {
  const { guard, now = Date.now } = o;
  const registers = [reg];
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  total('cg_central_gateway_config_puts_total', 'configuration versions stored', () => hub.counters.puts);
  total(
    'cg_central_gateway_config_rejected_total',
    'configuration versions refused',
    () => hub.counters.rejected,
  );
  total(
    'cg_central_gateway_config_conflicts_total',
    'configuration writes refused for a stale version (409)',
    () => hub.counters.conflicts,
  );
  // each gauge asks on its own: prom-client collects the registry's metrics concurrently
  const views = async () => (hub.ready ? await hub.list().catch(() => []) : []);
  new Gauge({
    name: 'cg_central_gateway_config_in_sync',
    help: '1 when the gateway reports the desired version',
    labelNames: ['gateway'],
    registers,
    async collect() {
      this.reset();
      for (const v of await views()) this.set({ gateway: v.gatewayId }, v.inSync ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cg_central_gateway_heartbeat_age_seconds',
    help: 'time since the last heartbeat',
    labelNames: ['gateway'],
    registers,
    async collect() {
      this.reset();
      for (const v of await views())
        if (v.reported)
          this.set({ gateway: v.gatewayId }, Math.max(0, (now() - Date.parse(v.reported.sentAt)) / 1000));
    },
  });
  const consumers = async () => {
    const link = nc();
    if (!link || link.isClosed()) return [];
    const consumed = o.consumed?.() ?? CONSUMED;
    try {
      const infos = await Promise.all(
        consumed.map((c) => link.consumerState(c.stream, c.durable).catch(() => null)),
      );
      return consumed.flatMap(({ stream }, i) => (infos[i] ? [{ stream, info: infos[i] }] : []));
    } catch {
      return []; // NATS is reconnecting: the gauges are simply absent this scrape
    }
  };
  new Gauge({
    name: 'cg_central_ingest_pending',
    help: 'messages in the stream not yet delivered to central',
    labelNames: ['stream'],
    registers,
    async collect() {
      this.reset();
      for (const c of await consumers()) this.set({ stream: c.stream }, c.info.pending);
    },
  });
  new Gauge({
    name: 'cg_central_ingest_unacked',
    help: 'messages delivered to central, not yet persisted and acknowledged',
    labelNames: ['stream'],
    registers,
    async collect() {
      this.reset();
      for (const c of await consumers()) this.set({ stream: c.stream }, c.info.ackPending);
    },
  });
  if (guard) registerGuardMetrics(reg, guard);
}

/** The API guard's refusals and every response class. */
export function registerGuardMetrics(reg: Registry, guard: ApiGuard): void {
  const registers = [reg];
  new Counter({
    name: 'cg_central_http_refused_total',
    help: 'requests refused by the API guard',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      this.inc({ reason: 'too_large' }, guard.counters.tooLarge);
      this.inc({ reason: 'rate_limited' }, guard.counters.rateLimited);
    },
  });
  new Counter({
    name: 'cg_central_http_responses_total',
    help: 'responses by status class',
    labelNames: ['class'],
    registers,
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(guard.counters.responses)) this.inc({ class: k }, v);
    },
  });
}
