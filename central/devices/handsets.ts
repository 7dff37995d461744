/**
 * @module central/devices/handsets
 * Collectors' 城管通 handsets as devices on the devices board. The app sends a heartbeat at least
 * every `intervalMinutes` while its collector is on duty (`POST /api/handsets/heartbeat`, the
 * collector's token, the handset id and the ICCID its SIM reads), and every report a collector
 * files counts as one too. Offline (no heartbeat for 3 intervals) during duty hours, a changed
 * SIM and a handset used by another collector than its assignee count in the equipment item
 * (central/scoring/devices.ts). The registered handsets are the city's collectors.json.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import type { City, Collector } from '../city/index.js';
import { ProblemError } from '../http/problem.js';
import { jsonBody } from '../http/validate.js';
import type { CentralStore } from '../store/contract/index.js';
import { type DeviceBoard, GRACE_INTERVALS } from './board.js';

export const DEFAULT_HANDSET_INTERVAL_MINUTES = 15;

export const Beat = z.strictObject({
  deviceId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional()
    .describe('the handset (default: the one assigned to the signed-in collector)'),
  iccid: z
    .string()
    .regex(/^\d{19,20}$/, 'iccid: the 19–20 digits the SIM reads')
    .optional(),
});

/** Which collector a handset is registered to. */
function assignee(city: City, deviceId: string): Collector | undefined {
  for (const c of city.collectors.values()) if (c.handset?.deviceId === deviceId) return c;
  return undefined;
}

function beat(
  board: DeviceBoard,
  city: City,
  intervalS: number,
  deviceId: string,
  collectorId: string,
  at: Date,
  iccid?: string,
) {
  const owner = assignee(city, deviceId);
  if (!owner?.handset)
    throw new ProblemError(422, 'unknown-handset', `no registered 城管通 handset ${deviceId}`);
  board.applyHandsetBeat({
    deviceId,
    collectorId,
    iccid,
    intervalS,
    assigned: {
      collectorId: owner.id,
      iccid: owner.handset.iccid,
      msisdn: owner.handset.msisdn,
      gridCodes: owner.gridCodes,
    },
    at,
  });
}

export function handsetRoutes(
  board: DeviceBoard,
  users: UserDirectory,
  city: City,
  o: { now: () => Date; intervalMinutes?: number },
): Hono<AuthEnv> {
  const intervalS = (o.intervalMinutes ?? DEFAULT_HANDSET_INTERVAL_MINUTES) * 60;
  const app = new Hono<AuthEnv>();
  app.post('/heartbeat', requireUser(users, ['collector']), async (c) => {
    const u = c.get('user');
    const body = await jsonBody(c, Beat);
    const mine = u.collectorId ? city.collectors.get(u.collectorId)?.handset?.deviceId : undefined;
    const deviceId = body.deviceId ?? mine;
    if (!deviceId || !u.collectorId)
      throw new ProblemError(422, 'no-handset', 'no handset is registered to this collector; give deviceId');
    beat(board, city, intervalS, deviceId, u.collectorId, o.now(), body.iccid);
    await board.save();
    return c.json({
      deviceId,
      intervalMinutes: intervalS / 60,
      offlineAfterMinutes: (GRACE_INTERVALS * intervalS) / 60,
    });
  });
  app.get('/', requireUser(users, ['operator', 'leader', 'admin']), (c) => {
    const seen = new Map(board.gateways(o.now()).map((g) => [g.gatewayId, g]));
    return c.json(
      [...city.collectors.values()]
        .filter((x) => x.handset)
        .map((x) => {
          const g = seen.get(x.handset!.deviceId);
          return {
            ...x.handset,
            collectorId: x.id,
            collectorName: x.name,
            gridCodes: x.gridCodes,
            online: g?.online ?? false,
            lastSeenAt: g?.lastReceivedAt,
            lastCollectorId: g?.handset?.lastCollectorId,
            currentIccid: g?.handset?.iccid,
            findings: g?.handset?.findings ?? [],
          };
        }),
    );
  });
  return app;
}

/** Every report a collector files is a heartbeat of their handset (the app sends it with the report). */
export function reportsAreHeartbeats(
  store: Pick<CentralStore, 'onCommit'>,
  board: DeviceBoard,
  city: City,
  intervalMinutes = DEFAULT_HANDSET_INTERVAL_MINUTES,
) {
  return store.onCommit((changes) => {
    for (const k of changes.cases ?? []) {
      const id = k.reporter.collectorId;
      const handset = id ? city.collectors.get(id)?.handset : undefined;
      if (k.source !== 'collector' || k.history.length !== 1 || !id || !handset) continue;
      beat(board, city, intervalMinutes * 60, handset.deviceId, id, new Date(k.createdAt));
      board.save().catch((e) => console.error(`devices board: ${(e as Error).message}`));
    }
  });
}
