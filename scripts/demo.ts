/**
 * @module scripts/demo
 * `npm run demo`: the whole stack on this machine — NATS (JetStream), central with the console,
 * a checkpoint gateway with four simulated ONVIF cameras (a no-parking street, a sidewalk, two
 * duty posts), a muck truck on a simulated serial GPS/CAN device driving its scenarios in a
 * loop, and a second truck whose own JT/T 808 terminal reports over TCP (cover open while driving). Prints the console URL and demo sign-in tokens; Ctrl-C stops everything cleanly.
 * Options: --port <n> (central, default 8080, 0 = any), --store postgres://… (central's cases in
 * PostgreSQL instead of lowdb; env CG_STORE_URL), --realtime (truck at 1 fix/s), --verbose.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { REPO_ROOT } from '../sim/processes.js';
import { type CameraPlan, startStack } from '../sim/stack.js';

const opts = new Command()
  .name('demo')
  .option('--port <n>', 'central HTTP port (0 = any free port)', process.env.CG_DEMO_PORT ?? '8080')
  .option(
    '--realtime',
    'drive the truck in real time (default: 5x fast-forward, so its violations show within a minute)',
    false,
  )
  .option('--verbose', 'print every process log line', false)
  .option(
    '--store <url>',
    "central's case store: postgres://user@host:5432/db (default lowdb)",
    process.env.CG_STORE_URL,
  )
  .parse()
  .opts<{ port: string; realtime: boolean; verbose: boolean; store?: string }>();

type SceneZones = Record<string, [number, number][]>;
function sceneZones(scene: string): SceneZones {
  const f = join(REPO_ROOT, 'models/scenes', scene, 'scene.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')).zones as SceneZones) : {};
}
const full: [number, number][] = [
  [0, 0],
  [639, 0],
  [639, 359],
  [0, 359],
];

const allDay = [{ from: '00:00', to: '24:00' }];

const cameras: CameraPlan[] = [
  {
    id: 'cam-street',
    name: '解放路禁停路段',
    scene: 'street-parking',
    lat: 26.8935,
    lon: 112.5985,
    // the scene's car stays 16 s: short demo timings (a city uses minutes)
    zones: [
      {
        id: 'no-park',
        name: '禁停区',
        type: 'no_parking',
        polygon: sceneZones('street-parking').noParking ?? full,
        stoppedAfterS: 3,
        dwellS: 10,
      },
    ],
  },
  {
    id: 'cam-sidewalk',
    name: '沿江风光带人行道',
    scene: 'litter',
    lat: 26.8885,
    lon: 112.6105,
    zones: [
      {
        id: 'walk',
        name: '人行道',
        type: 'litter',
        polygon: sceneZones('litter').litter ?? full,
        persistS: 5,
      },
    ],
  },
  {
    id: 'cam-post',
    name: '执勤岗亭',
    scene: 'post',
    lat: 26.901,
    lon: 112.564,
    // one frame per 2 s: the post stays empty ~28 s, longer than a person's track outlives them
    snapshotIntervalS: 2,
    zones: [
      {
        id: 'post',
        name: '执勤岗',
        type: 'post',
        polygon: sceneZones('post').post ?? full,
        absenceS: 10,
        schedule: allDay,
      },
    ],
  },
  {
    id: 'cam-gate',
    name: '南门岗',
    scene: 'no-uniform',
    lat: 26.878,
    lon: 112.638,
    zones: [
      {
        id: 'gate-post',
        name: '南门执勤岗',
        type: 'post',
        polygon: sceneZones('no-uniform').post ?? full,
        absenceS: 600,
        schedule: allDay,
      },
    ],
  },
];

const interesting = /incident queued|NATS|error|offline|listening|config error|failed/i;
console.log('启动演示环境 / starting the demo stack … (first start loads the models, ~20 s)');
const stack = await startStack({
  dir: join(REPO_ROOT, '.data/demo'),
  centralPort: Number(opts.port),
  storeUrl: opts.store,
  cameras,
  truckScenario: 'speeding',
  truckIntervalMs: opts.realtime ? 1000 : 200,
  truckLoop: true,
  jt808Scenario: 'cover',
  jt808IntervalMs: opts.realtime ? 1000 : 200,
  jt808Loop: true,
  onLine: (who, line) => {
    if (opts.verbose || interesting.test(line))
      console.log(`[${who}] ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
  },
});

console.log(`
════════════════════════════════════════════════════════════════════
 数字城管 演示 / citygrid demo is running
   控制台 Console:   ${stack.central.url}/console/
   API:              ${stack.central.url}/api/cases   (OpenAPI: /api/openapi.json)
   NATS:             ${stack.nats.url}
 登录令牌 Sign-in tokens (demo only):
   demo-operator (值班员 operator) · demo-leader (领导 leader) · demo-admin
   demo-handler-hwc (市环卫处 sanitation handler) · demo-collector (采集员 collector)
 Cameras: ${cameras.map((c) => c.name).join(', ')}; truck 浙A·D1234 on serial GPS/CAN;
 truck 湘D·A8808 on its own JT/T 808 terminal (gateway veh-hy-jt808, deviceId truck-hy-d8808).
 City: 衡阳 (placeholder grids; import-city loads the real ones).
 AI and vehicle incidents appear in 待确认 (confirmation queue) within seconds.
 Ctrl-C 停止 / stops everything.
════════════════════════════════════════════════════════════════════`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\n正在停止 / stopping …');
  await stack.stop();
  console.log('已停止 / stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
