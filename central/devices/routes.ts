/**
 * @module central/devices/routes
 * The devices board: gateways with their devices and online state, vehicles and their tracks.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { CommandVerb, Token } from '../../protocol/index.js';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import { ProblemError } from '../http/problem.js';
import type { DeviceBoard } from './board.js';
import type { GatewayCaller } from './commands.js';

/** The optional body of a gateway call: which device behind the gateway, the text of a message. */
export const CommandBody = z.object({
  deviceId: Token.optional(),
  text: z
    .string()
    .max(512)
    .refine((s) => s.trim().length > 0, 'not blank')
    .optional(),
});

export function deviceRoutes(
  board: DeviceBoard,
  users: UserDirectory,
  caller?: GatewayCaller,
): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use('*', requireUser(users, ['operator', 'leader', 'admin']));
  app.get('/', (c) => c.json({ gateways: board.gateways(), vehicles: board.vehicles() }));
  app.get('/vehicles/:id/track', (c) => {
    const t = board.track(c.req.param('id'));
    if (!t)
      throw new ProblemError(404, 'vehicle-not-found', `no telemetry from vehicle ${c.req.param('id')}`);
    return c.json(t);
  });
  app.get('/calls', (c) => c.json(board.calls(c.req.query('gatewayId'))));
  // Call a gateway: 200 with its reply; 504 when it does not answer (recorded as 设备未应答).
  app.post('/:gatewayId/commands/:verb', async (c) => {
    const gw = Token.safeParse(c.req.param('gatewayId'));
    const verb = CommandVerb.safeParse(c.req.param('verb'));
    if (!gw.success)
      throw new ProblemError(422, 'invalid-gateway', 'gatewayId: letters, digits, _ and - only');
    if (!verb.success)
      throw new ProblemError(422, 'invalid-verb', `verb must be one of ${CommandVerb.options.join(', ')}`);
    let deviceId: string | undefined;
    let text: string | undefined;
    if (c.req.header('content-type')?.includes('json')) {
      const r = CommandBody.safeParse(await c.req.json().catch(() => ({})));
      if (!r.success)
        throw r.error.issues[0]?.path[0] === 'deviceId'
          ? new ProblemError(422, 'invalid-device', 'deviceId: letters, digits, _ and - only')
          : new ProblemError(422, 'invalid-text', 'text: 1-512 characters');
      ({ deviceId, text } = r.data);
    }
    if (verb.data === 'message' && !text)
      throw new ProblemError(422, 'invalid-text', 'message needs a text (1-512 characters)');
    if (!caller)
      throw new ProblemError(503, 'no-nats', 'central runs without NATS; gateways cannot be called');
    const r = await caller.call(gw.data, verb.data, { deviceId, by: c.get('user')?.id, text });
    if (!r.answered)
      throw new ProblemError(
        504,
        'gateway-no-answer',
        `gateway ${gw.data} did not answer ${verb.data}: ${r.error}`,
      );
    return c.json({ reply: r.reply });
  });
  return app;
}
