/**
 * @module edge/gateway/sinks
 * What the units hand their incidents and telemetry to: each message is completed (gateway id,
 * protocol version), validated against the wire schema and made durable in the outbox. An invalid
 * draft is refused and counted, never queued.
 */
import { Incident, incidentMsgId, newId, subjects, Telemetry, validate } from '../../protocol/index.js';
import type { Outbox } from '../outbox/index.js';
import type { EdgeSinks, UnitContext } from '../unit.js';

export interface SinkCounters {
  incidents: number;
  telemetry: number;
  invalidDrafts: number;
}

export function outboxSinks(
  outbox: Outbox,
  /** the gateway id of the configuration running now */
  gatewayId: () => string,
  counters: SinkCounters,
  log: UnitContext['log'],
): EdgeSinks {
  return {
    async incident(draft, images = []) {
      const gw = gatewayId();
      const checked = validate(Incident, { ...draft, v: 1 as const, gatewayId: gw, evidence: [] });
      if (!checked.ok) {
        counters.invalidDrafts++;
        log.error(
          { kind: draft.kind, reason: checked.reason },
          'pipeline produced an invalid incident; not sent',
        );
        throw new Error(`invalid incident: ${checked.reason}`);
      }
      const inc = checked.value;
      const named = images.map((img) => ({
        ...img,
        name: `${inc.id}-r${inc.rev}-${img.role}.${img.contentType === 'image/png' ? 'png' : 'jpg'}`,
      }));
      await outbox.add('incident', subjects.incident(gw), incidentMsgId(inc), inc, named);
      counters.incidents++;
      log.info(
        { id: inc.id, rev: inc.rev, lifecycle: inc.lifecycle, kind: inc.kind, device: inc.deviceId },
        'incident queued',
      );
    },
    telemetry(vehicleId, points) {
      const gw = gatewayId();
      const msg = { v: 1 as const, gatewayId: gw, vehicleId, sentAt: new Date().toISOString(), points };
      const checked = validate(Telemetry, msg);
      if (!checked.ok) {
        counters.invalidDrafts++;
        log.warn({ vehicleId, reason: checked.reason }, 'invalid telemetry batch dropped');
        return;
      }
      counters.telemetry++;
      outbox
        .add('telemetry', subjects.telemetry(gw), `${gw}.t.${newId()}`, checked.value)
        .catch((e) => log.error({ err: (e as Error).message }, 'telemetry not stored'));
    },
  };
}
