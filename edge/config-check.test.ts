/**
 * config - `gateway --check` and the check before every start. Regression: `--check` said
 * "config OK" (exit 0) for a 2-point polygon, a self-intersecting polygon, a `no_parkng` zone kind
 * and a camera without location, all refused by a real start; a typo key had no line or hint.
 * Now each section is validated by its own schema in the same pass, every problem with its file,
 * line and column, and `--check` then builds the units as a start does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigText, formatProblem } from './config-check.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const td = (f: string) => path.join(ROOT, 'edge/camera/detect/testdata', f);
const dir = mkdtempSync(path.join(tmpdir(), 'cfg-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A checkpoint config whose camera block is `camera` (indented under `list:`). */
const checkpoint = (
  camera: string,
  models = `detector: ${td('yolov8.manifest.json')}`,
) => `gatewayId: gw-check
kind: checkpoint
dataDir: ${dir}/data
cameras:
  models:
    ${models}
  list:
${camera}`;

const CAM = `    - id: gate-1
      xaddr: http://127.0.0.1:9/onvif/device_service
      location: { lat: 26.89, lon: 112.57 }
      zones:
        - id: np-1
          type: no_parking
          polygon: [[0, 0], [100, 0], [100, 100], [0, 100]]
`;

const problems = async (text: string) => (await checkConfigText(text, 'gw.yaml')).map(formatProblem);

describe('config - every problem with its line and column', () => {
  it('config - a good file has none', async () => {
    expect(await problems(checkpoint(CAM))).toEqual([]);
  });

  it('config - a 2-point polygon', async () => {
    const p = await problems(
      checkpoint(CAM.replace('[[0, 0], [100, 0], [100, 100], [0, 100]]', '[[0, 0], [100, 0]]')),
    );
    expect(p[0]).toMatch(/^gw\.yaml:14:11: cameras\.list\.0\.zones\.0\.polygon: .*>=3 items/);
  });

  it('config - a self-intersecting polygon', async () => {
    const p = await problems(
      checkpoint(
        CAM.replace('[[0, 0], [100, 0], [100, 100], [0, 100]]', '[[0, 0], [100, 100], [100, 0], [0, 60]]'),
      ),
    );
    expect(p).toEqual([
      'gw.yaml:14:11: cameras.list.0.zones.0.polygon: camera gate-1 zone np-1: polygon crosses itself (edges 1 and 3); list the corners in order around the zone',
    ]);
  });

  it('config - a zone kind typo gets the nearest kind', async () => {
    const p = await problems(checkpoint(CAM.replace('type: no_parking', 'type: no_parkng')));
    expect(p).toEqual([
      'gw.yaml:13:11: cameras.list.0.zones.0.type: "no_parkng" is not one of no_parking, litter, post; did you mean "no_parking"?',
    ]);
  });

  it('config - a camera without location', async () => {
    const p = await problems(checkpoint(CAM.replace('      location: { lat: 26.89, lon: 112.57 }\n', '')));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^gw\.yaml:8:7: cameras\.list\.0\.location: required; /);
  });

  it('config - unknown keys anywhere get the nearest known key', async () => {
    const text = checkpoint(
      CAM.replace('      zones:', '      snapshotIntervalSecs: 2\n      zones:'),
    ).replace('dataDir:', 'heartbeatSecs: 5\ndataDir:');
    expect(await problems(text)).toEqual([
      'gw.yaml:3:1: heartbeatSecs: unknown key "heartbeatSecs"; did you mean "heartbeatS"?',
      'gw.yaml:12:7: cameras.list.0.snapshotIntervalSecs: unknown key "snapshotIntervalSecs"; did you mean "snapshotIntervalS"?',
    ]);
  });

  it('config - the vehicle section too, and broken YAML', async () => {
    const vehicle = `gatewayId: gw-v
kind: vehicle
vehicle:
  id: truck-1
  plate: 湘D·12345
  gnss: { port: /dev/ttyUSB0, baud: 9601 }
  rules:
    overspeed: { defaultLimitKmh: 60, minDuration: 10 }
`;
    const p = await problems(vehicle);
    expect(p).toEqual([
      'gw.yaml:6:31: vehicle.gnss.baud: Invalid option: expected one of 4800|9600|19200|38400|57600|115200|230400|460800|921600',
      'gw.yaml:8:39: vehicle.rules.overspeed.minDuration: unknown key "minDuration"; did you mean "minDurationS"?',
    ]);
    expect((await problems('gatewayId: [unclosed\n'))[0]).toMatch(
      /^gw\.yaml:\d+:\d+: \(root\): not valid YAML/,
    );
  });
});

function gateway(text: string) {
  const file = path.join(dir, `gw-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'edge/main.ts', '--config', file, '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout, err: r.stderr, file };
}

describe('config - gateway --check runs what a start runs', () => {
  it('config - --check refuses each bad section with positions, exit 2', async () => {
    const r = gateway(checkpoint(CAM.replace('type: no_parking', 'type: no_parkng')));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${r.file}:13:11: cameras.list.0.zones.0.type: "no_parkng"`);
    expect(r.out).not.toContain('config OK');
  });

  it('config - --check loads the models: a detector without the labels a zone needs is refused', async () => {
    const ok = gateway(checkpoint(CAM));
    expect([ok.code, ok.out.trim()]).toEqual([0, 'config OK: gateway gw-check (checkpoint)']);
    // the schema is happy with any label; only the loaded model knows it has no "trash"
    const litter = CAM.replace('type: no_parking', 'type: litter');
    const r = gateway(checkpoint(litter).replace('  list:', '  labels: { litter: [trash] }\n  list:'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/zone np-1: detector labels \[.*\] have none of \[.*\] needed by litter/);
  });
});
