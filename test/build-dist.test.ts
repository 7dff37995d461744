/**
 * build - the field build (`npm run build`, scripts/build.ts) holds edge/, protocol/ and central/
 * production code only, with the files that code reads at run time, and runs from its own folder
 * with plain node. Regression: `scripts/demo.ts` and a store benchmark pulled the simulators,
 * test support and bench/ into `dist/`, onto field boxes; the seed and README generators were
 * emitted beside the code they document.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer } from '../sim/nats-server.js';
import { REPO_ROOT, spawnTs } from '../sim/processes.js';
import { ensureConsoleBuilt } from './console-support.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'build-dist-'));
const out = path.join(tmp, 'dist');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** every file under dir, relative to it, `/`-separated */
function files(dir: string, under = ''): string[] {
  return readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((e) => {
    const rel = under ? `${under}/${e.name}` : e.name;
    return e.isDirectory() ? files(dir, rel) : [rel];
  });
}

/** plain node on an entry of the build, run from the build's folder (nothing resolved from the repo's cwd) */
const run = (entry: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [path.join(out, entry), ...args], { cwd: out, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
};

beforeAll(() => {
  ensureConsoleBuilt();
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out', out], {
    cwd: REPO_ROOT,
    stdio: 'pipe',
  });
  // a field box: the build beside the installed packages
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(out, 'node_modules'));
}, 600_000);

describe('build - dist holds production code only', () => {
  it('build - edge/, protocol/ and central/ only: no test, fixture, bench, simulator or test-support file', () => {
    const emitted = files(out).filter((f) => !f.startsWith('node_modules/'));
    expect(readdirSync(out).sort()).toEqual(['central', 'edge', 'node_modules', 'package.json', 'protocol']);
    const strays = emitted.filter((f) =>
      /\.(test|bench)\.|(^|\/)fixtures\.|(^|\/)(test|tests|sim|bench|support|testdata|simulators|scripts)\//.test(
        f,
      ),
    );
    expect(strays).toEqual([]);
    expect(emitted.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(100);
  });

  it('build - the files read at run time beside their module are there', () => {
    const emitted = new Set(files(out));
    for (const f of [
      'central/seed/catalog.json',
      'central/seed/org.json',
      'central/seed/grids.geojson',
      'central/seed/users.json',
      'central/scoring/rules.json',
      'edge/jt808/vendors.yaml',
      'central/console/dist/index.html',
    ])
      expect(emitted.has(f), f).toBe(true);
    // the seed and the JSON Schemas are data: their generators and the README tables' are dev tools (scripts/)
    expect([...emitted].filter((f) => f.startsWith('central/seed/') && /\.(ts|js|map)$/.test(f))).toEqual([]);
    expect(
      [...emitted].filter((f) => /config-doc|seed\/generate|json-schema\.js|protocol-schemas/.test(f)),
    ).toEqual([]);
  });
});

describe('build - the entry points run from dist with plain node', () => {
  it('build - central --help and gateway --check on a checkpoint (ONNX model loaded) and a vehicle + JT/T 808 config', () => {
    const help = run('central/main.js', '--help');
    expect([help.code, help.out]).toEqual([0, expect.stringContaining('Usage: central')]);

    const checkpoint = path.join(tmp, 'checkpoint.yaml');
    writeFileSync(
      checkpoint,
      `gatewayId: gw-dist
kind: checkpoint
dataDir: ${tmp}/gw-data
cameras:
  models:
    detectors:
      - { manifest: ${REPO_ROOT}/models/yolox-nano/manifest.json, labels: [person, car] }
  list:
    - id: gate-1
      xaddr: http://127.0.0.1:9/onvif/device_service
      location: { lat: 26.89, lon: 112.57 }
      zones:
        - { id: np-1, type: no_parking, polygon: [[0, 0], [100, 0], [100, 100], [0, 100]] }
`,
    );
    expect(run('edge/main.js', '--check', '--config', checkpoint)).toEqual({
      code: 0,
      out: 'config OK: gateway gw-dist (checkpoint)\n',
    });

    const demo = path.join(REPO_ROOT, 'edge/vehicle/demo');
    const geo = `{ route: ${demo}/route.geojson, sites: ${demo}/sites.geojson, zones: ${demo}/zones.geojson }`;
    const vehicle = path.join(tmp, 'vehicle.yaml');
    // jt808 without vendorsFile: the default vendors.yaml is read beside the built module
    writeFileSync(
      vehicle,
      `gatewayId: gw-dist-veh
kind: vehicle
dataDir: ${tmp}/veh-data
vehicle:
  id: truck-1
  plate: 浙A·D1234
  gnss: { port: /dev/ttyUSB0 }
  can:
    port: /dev/ttyACM0
    dbc: ${REPO_ROOT}/edge/vehicle/can/muck-truck.dbc
    signals: { dumpBodyRaised: { signal: DumpBodyRaised }, coverOpen: { signal: CoverOpen } }
  geo: ${geo}
jt808:
  listen: { host: 127.0.0.1, port: 0 }
  vehicles:
    - { id: truck-hy-d8808, plate: 湘D·A8808, phone: "13907340002", vendor: generic-io }
  geo: ${geo}
`,
    );
    expect(run('edge/main.js', '--check', '--config', vehicle)).toEqual({
      code: 0,
      out: 'config OK: gateway gw-dist-veh (vehicle)\n',
    });
  });

  it('build - central from dist starts on its seed and rules and serves the console and the API', async () => {
    await using nats = await startNatsServer();
    const { proc, match } = await spawnTs({
      name: 'central (dist)',
      script: path.join(out, 'central/main.js'),
      cwd: out,
      args: ['--port', '0', '--nats', nats.url, '--data', path.join(tmp, 'central-data'), '--demo'],
      readyLine: /central listening on (http:\/\/\S+)/,
      readyTimeoutMs: 60_000,
    });
    try {
      const url = match![1];
      const page = await fetch(`${url}/console/`);
      expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('<div id="app">')]);
      const me = await fetch(`${url}/api/me`, { headers: { authorization: 'Bearer demo-operator' } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ role: 'operator' });
    } finally {
      await proc.stop();
    }
  });
});
