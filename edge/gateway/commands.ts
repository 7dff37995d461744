/**
 * @module edge/gateway/commands
 * Central's commands on `cg.v1.command.<gatewayId>.<verb>` (request/reply): ping and
 * reload_config are the core's own; every other verb goes to the first unit that owns the device.
 * A request that does not parse is answered with the reason and counted; a device behind the
 * gateway that did not answer is marked `noAnswer` (an equipment finding at central).
 */
import {
  CommandReply,
  CommandRequest,
  decode,
  encode,
  type GatewayStatus,
  subjects,
} from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import type { GatewayConfig } from '../config.js';
import type { EdgeSinks, EdgeUnit, UnitContext } from '../unit.js';

export interface CommandCounters {
  commands: number;
  badCommands: number;
}

export interface CommandDeps {
  units: () => readonly EdgeUnit[];
  sinks: EdgeSinks;
  kind: () => GatewayConfig['kind'];
  status: () => GatewayStatus;
  /** re-read and apply the config file; resolves with the version now running */
  reload: () => Promise<string>;
  counters: CommandCounters;
  log: UnitContext['log'];
}

export function commandHandler(d: CommandDeps): (data: Uint8Array) => Promise<CommandReply> {
  /** "Where are you" to a vehicle with a camera also answers "what do you see now". */
  const vehicleSnapshot = async (answered: EdgeUnit, req: CommandRequest): Promise<unknown> => {
    for (const u of d.units()) {
      if (u === answered || !u.command) continue;
      try {
        const snap = await u.command({ ...req, verb: 'snapshot', deviceId: undefined }, d.sinks);
        if (snap !== undefined) return snap;
      } catch (e) {
        return { error: (e as Error).message };
      }
    }
    return undefined;
  };

  return async (data) => {
    const answeredAt = () => new Date().toISOString();
    const r = decode(CommandRequest, data);
    if (!r.ok) {
      d.counters.badCommands++;
      return {
        v: 1,
        requestId: 'unknown',
        ok: false,
        error: `bad command: ${r.reason}`,
        answeredAt: answeredAt(),
      };
    }
    const req = r.value;
    const ok = (out: Record<string, unknown>): CommandReply => ({
      v: 1,
      requestId: req.requestId,
      ok: true,
      answeredAt: answeredAt(),
      data: out,
    });
    d.counters.commands++;
    d.log.info({ verb: req.verb, deviceId: req.deviceId, by: req.by }, 'command from central');
    try {
      if (req.verb === 'ping') return ok({ status: d.status() });
      if (req.verb === 'reload_config') return ok({ configVersion: await d.reload() });
      for (const u of d.units()) {
        const out = await u.command?.(req, d.sinks);
        if (out === undefined) continue;
        if (req.verb === 'where' && d.kind() === 'vehicle') out.snapshot = await vehicleSnapshot(u, req);
        return ok(out);
      }
      throw new Error(`no device here answers ${req.verb}${req.deviceId ? ` for ${req.deviceId}` : ''}`);
    } catch (e) {
      const noAnswer = (e as { deviceNoAnswer?: boolean }).deviceNoAnswer === true;
      return {
        v: 1,
        requestId: req.requestId,
        ok: false,
        error: (e as Error).message.slice(0, 512),
        answeredAt: answeredAt(),
        ...(noAnswer ? { data: { noAnswer: true, deviceId: req.deviceId ?? null } } : {}),
      };
    }
  };
}

/** Answer every command for this gateway on `link` until it closes. */
export function serveCommands(
  link: Link,
  gatewayId: string,
  handle: (data: Uint8Array) => Promise<CommandReply>,
): void {
  const sub = link.subscribe(subjects.all.command(gatewayId));
  void (async () => {
    for await (const m of sub) {
      const reply = await handle(m.data);
      if (m.reply) m.respond(encode(CommandReply, reply));
    }
  })();
}
