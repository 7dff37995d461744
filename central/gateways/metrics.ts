/**
 * @module central/gateways/metrics
 * Prometheus text for what central/gateways knows: configuration versions stored and refused,
 * each gateway's sync state and heartbeat age, and the ingest lag of central's durable
 * consumers (messages not yet delivered / not yet acknowledged), read from JetStream.
 */
import { CONSUMERS, STREAMS } from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import type { ApiGuard } from './guard.js';
import type { GatewayConfigHub } from './hub.js';

const CONSUMED = [
  [STREAMS.incidents.name, CONSUMERS.centralIngest],
  [STREAMS.status.name, CONSUMERS.centralStatus],
  [STREAMS.telemetry.name, CONSUMERS.centralTelemetry],
] as const;

const esc = (s: string) => s.replace(/["\\\n]/g, '_');

export async function renderGatewayMetrics(
  hub: GatewayConfigHub,
  nc: Link | undefined,
  guard?: ApiGuard,
  now = Date.now(),
): Promise<string> {
  const lines = [
    '# HELP cg_central_gateway_config_puts_total configuration versions stored',
    '# TYPE cg_central_gateway_config_puts_total counter',
    `cg_central_gateway_config_puts_total ${hub.counters.puts}`,
    '# TYPE cg_central_gateway_config_rejected_total counter',
    `cg_central_gateway_config_rejected_total ${hub.counters.rejected}`,
    '# TYPE cg_central_gateway_config_conflicts_total counter',
    `cg_central_gateway_config_conflicts_total ${hub.counters.conflicts}`,
  ];
  if (hub.ready) {
    const views = await hub.list().catch(() => []);
    lines.push(
      '# HELP cg_central_gateway_config_in_sync 1 when the gateway reports the desired version',
      '# TYPE cg_central_gateway_config_in_sync gauge',
      ...views.map(
        (v) => `cg_central_gateway_config_in_sync{gateway="${esc(v.gatewayId)}"} ${v.inSync ? 1 : 0}`,
      ),
      '# HELP cg_central_gateway_heartbeat_age_seconds time since the last heartbeat',
      '# TYPE cg_central_gateway_heartbeat_age_seconds gauge',
      ...views
        .filter((v) => v.reported)
        .map(
          (v) =>
            `cg_central_gateway_heartbeat_age_seconds{gateway="${esc(v.gatewayId)}"} ${Math.max(0, (now - Date.parse(v.reported!.sentAt)) / 1000).toFixed(1)}`,
        ),
    );
  }
  if (nc && !nc.isClosed()) {
    lines.push(
      '# HELP cg_central_ingest_pending messages in the stream not yet delivered to central',
      '# TYPE cg_central_ingest_pending gauge',
      '# HELP cg_central_ingest_unacked messages delivered to central, not yet persisted and acknowledged',
      '# TYPE cg_central_ingest_unacked gauge',
    );
    try {
      for (const [stream, durable] of CONSUMED) {
        const ci = await nc.consumerState(stream, durable).catch(() => null);
        if (!ci) continue;
        lines.push(`cg_central_ingest_pending{stream="${stream}"} ${ci.pending}`);
        lines.push(`cg_central_ingest_unacked{stream="${stream}"} ${ci.ackPending}`);
      }
    } catch {
      // NATS is reconnecting: the gauges are simply absent this scrape
    }
  }
  return `${lines.join('\n')}\n${guard?.metrics() ?? ''}`;
}
