/**
 * @module central/devices/commands
 * Central → gateway calls over NATS request/reply (ping, where, snapshot, reload_config).
 * Every call is recorded on the devices board; an unanswered one is an equipment finding
 * (设备未应答) that the devices page shows and scoring can count.
 */
import {
  CommandReply,
  CommandRequest,
  type CommandVerb,
  decode,
  encode,
  newId,
  type CommandReply as Reply,
  subjects,
} from '../../protocol/index.js';
import type { Link } from '../../protocol/transport.js';
import type { DeviceBoard } from './board.js';

export type CallResult = { answered: true; reply: Reply } | { answered: false; error: string };

export class GatewayCaller {
  constructor(
    private readonly nc: () => Link | undefined,
    private readonly board: DeviceBoard,
    private readonly timeoutMs = 5000,
  ) {}

  async call(
    gatewayId: string,
    verb: CommandVerb,
    o: { deviceId?: string; by?: string; text?: string } = {},
  ): Promise<CallResult> {
    const nc = this.nc();
    const at = new Date().toISOString();
    if (!nc || nc.isClosed()) return { answered: false, error: 'central is not connected to NATS' };
    const req = CommandRequest.parse({
      v: 1,
      requestId: newId(),
      verb,
      deviceId: o.deviceId,
      sentAt: at,
      by: o.by,
      text: o.text,
    });
    let result: CallResult;
    try {
      const m = await nc.request(subjects.command(gatewayId, verb), encode(CommandRequest, req), {
        timeout: this.timeoutMs,
      });
      const r = decode(CommandReply, m.data, 8 * 1024 * 1024);
      result = !r.ok
        ? { answered: false, error: `invalid reply: ${r.reason}` }
        : r.value.data?.noAnswer === true
          ? // the gateway answered for a device behind it (a truck's terminal) that did not
            { answered: false, error: r.value.error ?? 'the device did not answer' }
          : { answered: true, reply: r.value };
    } catch (e) {
      const msg = (e as Error).message;
      result = {
        answered: false,
        error: /timeout|no responders|503/i.test(msg) ? `no answer within ${this.timeoutMs} ms` : msg,
      };
    }
    this.board.recordCall(gatewayId, {
      at,
      verb,
      deviceId: o.deviceId,
      by: o.by,
      answered: result.answered,
      error: result.answered ? undefined : result.error,
    });
    await this.board.save();
    return result;
  }
}
