/**
 * Fault: central SIGKILLed while it ingests a 10,000-incident backlog. The backlog is published
 * straight to JetStream with the gateways' message ids (gateway processes would take minutes to
 * produce it on a small machine); central is killed three times at random points of the ingest
 * and restarted on the same data directory. Central acknowledges a message only after the case is
 * persisted, and ingest is idempotent by (incident id, rev): at the end every incident is exactly
 * one case.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encode, Incident, incidentMsgId, subjects } from '../protocol/index.js';
import { provisionStreams } from '../protocol/transport.js';
import type { ManagedProcess } from '../sim/processes.js';
import {
  census,
  expectExactlyOnce,
  FaultRig,
  incidents,
  metric,
  startCentralProcess,
  streamCount,
  untilAllCases,
} from './fault-kit.js';
import { until } from './support/until.js';

const N = Number(process.env.CG_FAULT_BACKLOG ?? 10_000);
const KILLS = 3;
const rig = new FaultRig('central');
const { dir } = rig;
/** restarted after each kill, so kept apart from rig.procs and stopped before the rig */
let central: ManagedProcess | undefined;
afterAll(async () => {
  await central?.stop();
  await rig.dispose();
});

async function casesNow(url: string): Promise<number> {
  const h = (await (await fetch(`${url}/api/health`)).json()) as { cases: number };
  return h.cases;
}

describe('fault - central SIGKILL during backlog ingest', () => {
  it(`ingests a ${N}-incident backlog through ${KILLS} kills: nothing lost, nothing twice`, {
    timeout: 300_000,
  }, async () => {
    const server = await rig.startNats();
    const nc = await rig.connect('backlog');
    await provisionStreams(nc);
    const gateways = ['cp-b1', 'cp-b2', 'cp-b3', 'cp-b4'];
    const list = gateways.flatMap((g) => incidents(N / gateways.length, g));
    for (let i = 0; i < list.length; i += 500) {
      await Promise.all(
        list.slice(i, i + 500).map((inc) =>
          nc.publishStored(subjects.incident(inc.gatewayId), encode(Incident, inc), {
            msgId: incidentMsgId(inc),
          }),
        ),
      );
    }
    const produced = list.map((i) => i.id);
    expect(await streamCount(nc)).toBe(N);

    const dataDir = join(dir, 'central');
    const seenAtKill: number[] = [];
    const pendingAtKill: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const c = await startCentralProcess(server.url, dataDir);
      central = c.proc;
      const target = (seenAtKill.at(-1) ?? 0) + 200 + Math.floor(Math.random() * (N / (KILLS + 1)));
      const n = await until(
        async () => {
          const now = await casesNow(c.url);
          return now >= Math.min(target, N - 1) ? now : undefined;
        },
        `central ingesting past ${target}`,
        120_000,
      );
      pendingAtKill.push(
        (await metric(
          `${c.url}/api/gateways/metrics`,
          'cg_central_ingest_pending',
          'stream="CG_INCIDENTS"',
        )) ?? -1,
      );
      await c.proc.kill('SIGKILL');
      seenAtKill.push(n);
    }
    const c = await startCentralProcess(server.url, dataDir);
    central = c.proc;
    await untilAllCases(c.url, produced, 180_000);
    const result = await census(c.url);
    expectExactlyOnce('central-kill', {
      produced,
      census: result,
      delivered: await streamCount(nc),
      extra: {
        kills: KILLS,
        casesAtEachKill: seenAtKill.join(','),
        ingestPendingAtEachKill: pendingAtKill.join(','),
      },
    });
  });
});
