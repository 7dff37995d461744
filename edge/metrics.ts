/**
 * @module edge/metrics
 * Prometheus text metrics and a health endpoint for a gateway, on 127.0.0.1 by default:
 * outbox depth and age, drops, delivery counters and publish latency, device online state.
 */
import { createServer, type Server } from 'node:http';
import type { Gateway } from './gateway.js';
import { renderSyncMetrics } from './sync/metrics.js';

export function renderGatewayMetrics(gw: Gateway): string {
  const s = gw.status();
  const o = gw.outbox.stats();
  const d = gw.deliveryStats();
  const gid = `gateway="${s.gatewayId}"`;
  const lines = [
    '# HELP cg_outbox_depth Messages waiting in the outbox.',
    '# TYPE cg_outbox_depth gauge',
    `cg_outbox_depth{${gid},kind="incident"} ${o.incidents}`,
    `cg_outbox_depth{${gid},kind="telemetry"} ${o.telemetry}`,
    '# TYPE cg_outbox_oldest_pending_seconds gauge',
    `cg_outbox_oldest_pending_seconds{${gid}} ${o.oldestPendingAgeS}`,
    '# TYPE cg_outbox_bytes gauge',
    `cg_outbox_bytes{${gid}} ${o.bytes}`,
    '# HELP cg_outbox_dropped_total What the disk budget forced out.',
    '# TYPE cg_outbox_dropped_total counter',
    `cg_outbox_dropped_total{${gid},what="telemetry"} ${o.droppedTelemetry}`,
    `cg_outbox_dropped_total{${gid},what="evidence"} ${o.droppedEvidence}`,
    `cg_outbox_dropped_total{${gid},what="incident"} ${o.droppedIncidents}`,
    '# TYPE cg_delivered_total counter',
    `cg_delivered_total{${gid}} ${d?.delivered ?? 0}`,
    `cg_delivery_failures_total{${gid}} ${d?.failures ?? 0}`,
    '# TYPE cg_publish_latency_seconds gauge',
    `cg_publish_latency_seconds{${gid}} ${((d?.lastPublishMs ?? 0) / 1000).toFixed(4)}`,
    '# TYPE cg_incidents_emitted_total counter',
    `cg_incidents_emitted_total{${gid}} ${gw.counters.incidents}`,
    `cg_invalid_drafts_total{${gid}} ${gw.counters.invalidDrafts}`,
    '# TYPE cg_nats_connected gauge',
    `cg_nats_connected{${gid}} ${gw.connected() ? 1 : 0}`,
    '# TYPE cg_device_online gauge',
    ...s.devices.map(
      (dev) => `cg_device_online{${gid},device="${dev.id}",type="${dev.type}"} ${dev.online ? 1 : 0}`,
    ),
  ];
  for (const dev of s.devices)
    for (const [k, v] of Object.entries(dev.counters ?? {}))
      lines.push(
        `cg_device_counter{${gid},device="${dev.id}",counter="${k.replace(/[^A-Za-z0-9_]/g, '_')}"} ${v}`,
      );
  return `${lines.join('\n')}\n${renderSyncMetrics(s.gatewayId, gw.syncStats())}`;
}

export function serveGatewayMetrics(gw: Gateway, port: number, host = '127.0.0.1'): Promise<Server> {
  const srv = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderGatewayMetrics(gw));
    } else if (req.url === '/health') {
      const s = gw.status();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          ok: true,
          nats: gw.connected(),
          outboxDepth: s.outbox?.depth,
          devices: s.devices,
        }),
      );
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) => srv.listen(port, host, () => resolve(srv)));
}
