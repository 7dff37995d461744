/**
 * gateway - shutdown during a hung discovery. Regression: with two cameras configured by
 * WS-Discovery, node-onvif's shared probe left one "connecting" forever, and after that SIGINT and
 * SIGTERM no longer stopped the gateway (one run still hung 9 minutes later). The probes here go
 * to a loopback UDP socket that never answers (a directed probe: nothing reaches a real network).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './support/until.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const td = (f: string) => path.join(ROOT, 'edge/camera/detect/testdata', f);
const dir = mkdtempSync(path.join(tmpdir(), 'gw-shutdown-'));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway - shutdown within a bound', () => {
  it('gateway - SIGINT while both discovery cameras wait on a silent network: stops cleanly, exit 0', async () => {
    const silent = dgram.createSocket('udp4');
    const probes: string[] = [];
    silent.on('message', (m) => probes.push(m.toString()));
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const probeTo = `127.0.0.1:${silent.address().port}`;
    const camera = (id: string) => `    - id: ${id}
      discovery: { name: ${id}, probeTo: "${probeTo}" }
      location: { lat: 26.89, lon: 112.57 }
      backoff: { initialS: 0.05, maxS: 0.1 }
`;
    const file = path.join(dir, 'gw.yaml');
    writeFileSync(
      file,
      `gatewayId: gw-shutdown
kind: checkpoint
dataDir: ${dir}/data
configSync: false
nats: { servers: nats://127.0.0.1:9 }
cameras:
  models: { detector: ${td('yolov8.manifest.json')} }
  list:
${camera('east')}${camera('west')}`,
    );
    let log = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'edge/main.ts', '--config', file], { cwd: ROOT });
    child.stdout?.on('data', (b) => {
      log += b;
    });
    child.stderr?.on('data', (b) => {
      log += b;
    });
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    try {
      // each camera gets its own probe, one after the other: the second is not starved
      await until(() => probes.length >= 2 && /not found by WS-Discovery/.test(log), 'both cameras probed');
      const during = probes.length;
      await until(() => probes.length > during, 'a probe in flight');
      child.kill('SIGINT');
      const code = await Promise.race([
        exited,
        new Promise((r) => setTimeout(() => r('still running'), 20_000)),
      ]);
      expect(code, log.slice(-2000)).toBe(0);
      expect(log).toContain('gateway stopped');
      expect(log).toMatch(/camera east: not found by WS-Discovery \(0 cameras answered\)/);
      expect(log).toMatch(/camera west: not found by WS-Discovery \(0 cameras answered\)/);
    } finally {
      silent.close();
    }
  });
});
