/**
 * @module edge/metrics
 * Prometheus metrics (prom-client, one registry per gateway process) and a health endpoint for a gateway, on 127.0.0.1 by default:
 * outbox depth and age, drops, delivery counters and publish latency, device online state.
 */
import { createServer, type Server } from 'node:http';
import { Registry } from 'prom-client';
import type { Gateway } from './gateway.js';
import { type Labels, type Rows, readAtScrape } from './prom.js';
import { registerSyncMetrics } from './sync/metrics.js';

const registries = new WeakMap<Gateway, Registry>();

/** The gateway process's one registry (made on first use): outbox, delivery, devices, sync. */
export function gatewayMetrics(gw: Gateway): Registry {
  const known = registries.get(gw);
  if (known) return known;
  const reg = new Registry();
  const gateway = gw.config.gatewayId;
  const one = (v: number): Rows => [[{ gateway }, v]];
  const add = (type: 'gauge' | 'counter', name: string, help: string, read: () => number) =>
    readAtScrape(reg, type, name, help, [], () => one(read()));
  readAtScrape(reg, 'gauge', 'cg_outbox_depth', 'Messages waiting in the outbox.', ['kind'], () => {
    const o = gw.outbox.stats();
    return [
      [{ gateway, kind: 'incident' }, o.incidents],
      [{ gateway, kind: 'telemetry' }, o.telemetry],
    ];
  });
  add(
    'gauge',
    'cg_outbox_oldest_pending_seconds',
    'Age of the oldest message waiting.',
    () => gw.outbox.stats().oldestPendingAgeS,
  );
  add('gauge', 'cg_outbox_bytes', 'Disk the outbox uses.', () => gw.outbox.stats().bytes);
  readAtScrape(
    reg,
    'counter',
    'cg_outbox_dropped_total',
    'What the disk budget forced out.',
    ['what'],
    () => {
      const o = gw.outbox.stats();
      return [
        [{ gateway, what: 'telemetry' }, o.droppedTelemetry],
        [{ gateway, what: 'evidence' }, o.droppedEvidence],
        [{ gateway, what: 'incident' }, o.droppedIncidents],
      ];
    },
  );
  add(
    'counter',
    'cg_delivered_total',
    'Messages JetStream acknowledged.',
    () => gw.deliveryStats()?.delivered ?? 0,
  );
  add(
    'counter',
    'cg_delivery_failures_total',
    'Publishes that failed (retried).',
    () => gw.deliveryStats()?.failures ?? 0,
  );
  add(
    'gauge',
    'cg_publish_latency_seconds',
    'Time the last publish took to be acknowledged.',
    () => (gw.deliveryStats()?.lastPublishMs ?? 0) / 1000,
  );
  add(
    'counter',
    'cg_incidents_emitted_total',
    'Incident revisions the units emitted.',
    () => gw.counters.incidents,
  );
  add(
    'counter',
    'cg_invalid_drafts_total',
    'Unit drafts that failed the wire schema (refused, kept).',
    () => gw.counters.invalidDrafts,
  );
  add('gauge', 'cg_nats_connected', '1 while the NATS link is up.', () => (gw.connected() ? 1 : 0));
  readAtScrape(reg, 'gauge', 'cg_device_online', '1 while a device answers.', ['device', 'type'], () =>
    gw.status().devices.map((d) => [{ gateway, device: d.id, type: d.type }, d.online ? 1 : 0]),
  );
  readAtScrape(reg, 'gauge', 'cg_device_counter', "A device's own counters.", ['device', 'counter'], () =>
    gw
      .status()
      .devices.flatMap((d) =>
        Object.entries(d.counters ?? {}).map(([counter, v]): [Labels, number] => [
          { gateway, device: d.id, counter },
          v,
        ]),
      ),
  );
  registerSyncMetrics(reg, gateway, () => gw.syncStats());
  registries.set(gw, reg);
  return reg;
}

/** The Prometheus text of the gateway's registry. */
export const renderGatewayMetrics = (gw: Gateway): Promise<string> => gatewayMetrics(gw).metrics();

export function serveGatewayMetrics(gw: Gateway, port: number, host = '127.0.0.1'): Promise<Server> {
  const srv = createServer((req, res) => {
    if (req.url === '/metrics') {
      const reg = gatewayMetrics(gw);
      reg.metrics().then(
        (text) => res.writeHead(200, { 'content-type': reg.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(e.message),
      );
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
