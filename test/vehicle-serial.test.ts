/**
 * The GNSS serial line through real socat ptys: a port missing at start gives one log line and
 * retries; a port that vanishes is reported offline (and, after deviceOfflineAfterS, as a
 * device_offline incident) and is reopened when it comes back at the same path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IncidentDraft } from '../edge/unit.js';
import { createVehicleUnit } from '../edge/vehicle/index.js';
import { SerialLine } from '../edge/vehicle/serial/line.js';
import { Incident, validate } from '../protocol/index.js';
import { type PtyPair, startPtyPair, startTruckSimulator, type TruckSimulator } from '../sim/serial/index.js';
import { until } from './support/until.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vehicle-serial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vehicle serial - port lifecycle', () => {
  it('serial - missing at start, then vanishes and returns: reported, reopened, one incident episode per outage', async () => {
    const logs: { level: string; msg?: string; obj: object }[] = [];
    const mk = (level: string) => (obj: object, msg?: string) => logs.push({ level, msg, obj });
    const log = { info: mk('info'), warn: mk('warn'), error: mk('error'), debug() {} };
    const drafts: IncidentDraft[] = [];
    const port = path.join(dir, 'gps-b');
    const unit = await createVehicleUnit(
      {
        id: 'truck-9',
        plate: '浙A·00009',
        gnss: { port, staleAfterS: 1 },
        deviceOfflineAfterS: 1,
        rules: {
          dumping: { enabled: false },
          coverOpen: { enabled: false },
          routeDeviation: { enabled: false },
        },
      },
      { gatewayId: 'gw-v9', dataDir: dir, log },
    );
    let pair: PtyPair | undefined;
    let sim: TruckSimulator | undefined;
    const drive = async () =>
      startTruckSimulator({
        gnssPort: pair!.a,
        scenario: 'clean',
        t0: Date.now() - 3_600_000,
        intervalMs: 20,
        loop: true,
      });
    const gps = () => unit.devices().find((d) => d.type === 'gps')!;
    try {
      await unit.start({
        async incident(d) {
          // what the gateway core does with a draft: it must be a valid wire incident
          const checked = validate(Incident, { ...d, v: 1, gatewayId: 'gw-v9', evidence: [] });
          if (!checked.ok) logs.push({ level: 'invalid', msg: checked.reason, obj: d });
          drafts.push(d);
        },
        telemetry() {},
      });
      await until(() => gps().error?.includes('No such file'), 'missing port reported', 5000);
      expect(gps().online).toBe(false);
      // missing longer than deviceOfflineAfterS: the first offline episode
      await until(() => drafts.some((d) => d.kind === 'device_offline'), 'offline incident at start', 5000);

      pair = await startPtyPair(dir, 'gps');
      sim = await drive();
      await until(() => gps().online, 'gps online', 10_000);
      // several retries happened before the port appeared, yet one log line said so
      expect(logs.filter((l) => l.msg?.includes('not available'))).toHaveLength(1);

      const ends = () => drafts.filter((d) => d.kind === 'device_offline' && d.lifecycle === 'end');
      await until(() => ends().length === 1, 'first offline episode ended', 5000);

      await sim.stop();
      await pair.stop();
      // reported from the port's error, or at the latest by the silence watchdog (10 s)
      await until(() => !gps().online && gps().error?.includes(port), 'vanished port reported', 20_000);
      const news = () => drafts.filter((d) => d.kind === 'device_offline' && d.lifecycle === 'new');
      await until(() => news().length === 2, 'offline incident', 10_000);

      await pair.restart();
      sim = await drive();
      await until(() => gps().online, 'gps back online', 10_000);
      expect(gps().counters!.reopens).toBeGreaterThanOrEqual(1);
      await until(() => ends().length === 2, 'offline ended', 5000);
      expect(logs.filter((l) => l.msg?.includes('lost'))).toHaveLength(1);
      expect(logs.filter((l) => l.level === 'invalid' || l.level === 'error')).toEqual([]);
      const offline = drafts.filter((d) => d.kind === 'device_offline');
      // two outages (missing at start, pulled later): two episodes, each new → end under one id
      expect(offline.map((d) => d.lifecycle)).toEqual(['new', 'end', 'new', 'end']);
      expect(offline[2].details).toMatchObject({ device: 'gps', deviceId: 'truck-9-gps' });
      expect(offline[0].id).toBe(offline[1].id);
      expect(offline[2].id).toBe(offline[3].id);
      expect(offline[0].id).not.toBe(offline[2].id);
    } finally {
      await sim?.stop();
      await unit.stop();
      await pair?.stop();
    }
  });

  it('serial - a port that stays open but silent is reopened, with one log line for the whole silence', async () => {
    const logs: string[] = [];
    const log = { info() {}, warn: (_o: object, m?: string) => logs.push(m ?? ''), error() {}, debug() {} };
    const pair = await startPtyPair(dir, 'quiet');
    const got: Buffer[] = [];
    const line = new SerialLine({
      name: 'gps',
      path: pair.b,
      baudRate: 9600,
      onData: (b) => got.push(b),
      log,
      retryMs: 50,
      silentReopenMs: 300,
    });
    try {
      line.start();
      await until(() => line.state.reopens >= 2, 'two silent reopens', 10_000);
      expect(logs.filter((m) => m.includes('lost'))).toHaveLength(1);
      expect(line.state.error ?? '').toMatch(/no data for|^$/);
    } finally {
      await line.stop();
      await pair.stop();
    }
  });
});
