/**
 * @module sim/stack
 * The whole system on one machine, as real processes: nats-server (JetStream), central, a
 * checkpoint gateway fed by simulated ONVIF cameras, and a vehicle gateway fed by a simulated
 * truck on socat pseudo-terminals, and a JT/T 808 gateway with a simulated terminal over TCP. The demo (`npm run demo`) and the end-to-end tests use it.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { ZHENGXIANG } from './city-points.js';
import { type Jt808Terminal, startJt808Terminal } from './jt808/index.js';
import { type NatsServerHandle, startNatsServer } from './nats-server.js';
import { loadFrameDir, makeTestFrames, type OnvifCamera, startOnvifCamera } from './onvif/index.js';
import { type ManagedProcess, REPO_ROOT, startCentral, startGatewayProcess } from './processes.js';
import {
  type PtyPair,
  type ScenarioName,
  startPtyPair,
  startTruckSimulator,
  type TruckSimulator,
} from './serial/index.js';

export const DETECTOR = join(REPO_ROOT, 'models/detector/manifest.json');
/** the real pretrained detector (vendored YOLOX-Nano, COCO): people and vehicles */
export const GENERAL_DETECTOR = join(REPO_ROOT, 'models/yolox-nano/manifest.json');
export const CLASSIFIER = join(REPO_ROOT, 'models/uniform/manifest.json');

/** The cameras' detectors: YOLOX-Nano for people and vehicles, the project's own model for litter (COCO has none). */
export const CAMERA_DETECTORS = [
  { manifest: GENERAL_DETECTOR, labels: ['person', 'car', 'bus', 'truck', 'motorcycle'] },
  { manifest: DETECTOR, labels: ['litter'] },
];
const SCENES = join(REPO_ROOT, 'models/scenes');

export interface CameraPlan {
  id: string;
  name: string;
  /** a scene folder under models/scenes (frames + scene.json with zones) */
  scene: string;
  lat: number;
  lon: number;
  zones: unknown[];
  snapshotIntervalS?: number;
}

export interface StackOptions {
  dir: string;
  /** print process output (the demo) */
  onLine?: (who: string, line: string) => void;
  centralPort?: number;
  /** `postgres://…`: central's case store (default lowdb) */
  storeUrl?: string;
  cameras?: CameraPlan[];
  truckScenario?: ScenarioName;
  /** real milliseconds between simulated fixes (1000 = real time) */
  truckIntervalMs?: number;
  truckLoop?: boolean;
  /** give the truck a camera (an ONVIF simulator) so `where` also returns a fresh frame */
  truckCamera?: boolean;
  /** extra camera-section keys (e.g. tracker timings for fast tests) */
  cameraSectionExtra?: Record<string, unknown>;
  heartbeatS?: number;
  /** a second truck whose own JT/T 808 terminal reports over TCP to its own gateway */
  jt808Scenario?: ScenarioName;
  jt808IntervalMs?: number;
  jt808Loop?: boolean;
}

export interface Stack {
  nats: NatsServerHandle;
  central: { proc: ManagedProcess; url: string };
  cameras: OnvifCamera[];
  checkpoint?: ManagedProcess;
  vehicle?: ManagedProcess;
  truck?: TruckSimulator;
  jt808?: ManagedProcess;
  jt808Terminal?: Jt808Terminal;
  ptys: PtyPair[];
  stop(): Promise<void>;
}

async function sceneFrames(scene: string): Promise<Buffer[]> {
  const dir = join(SCENES, scene);
  if (existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.jpg'))) return loadFrameDir(dir);
  return makeTestFrames();
}

function yamlOf(obj: unknown): string {
  // JSON is valid YAML; the gateway reads either.
  return `${JSON.stringify(obj, null, 2)}\n`;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const say = (who: string) => (line: string) => o.onLine?.(who, line);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const nats = await startNatsServer({ storeDir: join(o.dir, 'nats') });
    cleanups.push(() => nats.dispose());
    const central = await startCentral({
      demo: true,
      natsUrl: nats.url,
      dataDir: join(o.dir, 'central'),
      port: o.centralPort ?? 0,
      storeUrl: o.storeUrl,
      onLine: say('central'),
    });
    cleanups.push(() => central.proc.stop());

    const cameras: OnvifCamera[] = [];
    let checkpoint: ManagedProcess | undefined;
    if (o.cameras?.length) {
      const list = [];
      for (const c of o.cameras) {
        const cam = await startOnvifCamera({
          name: c.name,
          username: 'admin',
          password: `pw-${c.id}`,
          snapshotAuth: 'digest',
          frames: await sceneFrames(c.scene),
          advance: 'request',
          loop: true,
        });
        cameras.push(cam);
        cleanups.push(() => cam.stop());
        list.push({
          id: c.id,
          name: c.name,
          xaddr: cam.xaddr,
          username: 'admin',
          password: `pw-${c.id}`,
          snapshotIntervalS: c.snapshotIntervalS ?? 1,
          location: { lat: c.lat, lon: c.lon },
          zones: c.zones,
        });
      }
      const cfgPath = join(o.dir, 'checkpoint.yaml');
      writeFileSync(
        cfgPath,
        yamlOf({
          gatewayId: 'cp-xihu-01',
          kind: 'checkpoint',
          name: '西湖路执勤点',
          nats: { servers: nats.url },
          dataDir: join(o.dir, 'checkpoint'),
          heartbeatS: o.heartbeatS ?? 5,
          cameras: {
            models: {
              detectors: CAMERA_DETECTORS,
              ...(existsSync(CLASSIFIER) ? { classifier: CLASSIFIER } : {}),
            },
            ...o.cameraSectionExtra,
            list,
          },
        }),
      );
      checkpoint = await startGatewayProcess({
        configPath: cfgPath,
        name: 'checkpoint',
        onLine: say('checkpoint'),
      });
      cleanups.push(() => checkpoint!.stop());
    }

    const ptys: PtyPair[] = [];
    let vehicle: ManagedProcess | undefined;
    let truck: TruckSimulator | undefined;
    if (o.truckScenario) {
      const ptyDir = join(o.dir, 'pty');
      mkdirSync(ptyDir, { recursive: true });
      const gps = await startPtyPair(ptyDir, 'gps');
      const can = await startPtyPair(ptyDir, 'can');
      ptys.push(gps, can);
      cleanups.push(
        () => gps.stop(),
        () => can.stop(),
      );
      const demo = join(REPO_ROOT, 'edge/vehicle/demo');
      let truckCameras: unknown;
      if (o.truckCamera) {
        const cam = await startOnvifCamera({
          name: 'dashcam',
          frames: await sceneFrames('street-parking'),
          advance: 'request',
          loop: true,
        });
        cleanups.push(() => cam.stop());
        truckCameras = {
          models: { detectors: CAMERA_DETECTORS },
          list: [
            {
              id: 'truck-cam',
              name: '车载摄像头',
              xaddr: cam.xaddr,
              snapshotIntervalS: 5,
              location: { ...ZHENGXIANG },
            },
          ],
        };
      }
      const cfgPath = join(o.dir, 'vehicle.yaml');
      writeFileSync(
        cfgPath,
        yamlOf({
          gatewayId: 'veh-zj-a12345',
          kind: 'vehicle',
          name: '渣土车 浙A·D1234',
          nats: { servers: nats.url },
          dataDir: join(o.dir, 'vehicle'),
          heartbeatS: o.heartbeatS ?? 5,
          vehicle: {
            id: 'truck-zj-a12345',
            plate: '浙A·D1234',
            gnss: { port: gps.b, baud: 9600 },
            can: {
              port: can.b,
              baud: 115200,
              bitrate: 250000,
              dbc: join(REPO_ROOT, 'edge/vehicle/can/muck-truck.dbc'),
              signals: { dumpBodyRaised: { signal: 'DumpBodyRaised' }, coverOpen: { signal: 'CoverOpen' } },
            },
            geo: {
              route: join(demo, 'route.geojson'),
              sites: join(demo, 'sites.geojson'),
              zones: join(demo, 'zones.geojson'),
            },
          },
          cameras: truckCameras,
        }),
      );
      vehicle = await startGatewayProcess({ configPath: cfgPath, name: 'vehicle', onLine: say('vehicle') });
      cleanups.push(() => vehicle!.stop());
      truck = await startTruckSimulator({
        gnssPort: gps.a,
        canPort: can.a,
        scenario: o.truckScenario,
        intervalMs: o.truckIntervalMs ?? 1000,
        loop: o.truckLoop,
      });
      cleanups.push(() => truck!.stop());
    }
    const jt = o.jt808Scenario ? await startJt808Truck(o, nats.url, say) : undefined;
    if (jt) cleanups.push(jt.stop);
    return {
      nats,
      central,
      cameras,
      checkpoint,
      vehicle,
      truck,
      jt808: jt?.proc,
      jt808Terminal: jt?.terminal,
      ptys,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The JT/T 808 gateway (its endpoint on a free loopback port) and the terminal that reports to it. */
async function startJt808Truck(
  o: StackOptions,
  natsUrl: string,
  say: (who: string) => (line: string) => void,
) {
  const port = await freePort();
  const demo = join(REPO_ROOT, 'edge/vehicle/demo');
  const cfgPath = join(o.dir, 'jt808.yaml');
  writeFileSync(
    cfgPath,
    yamlOf({
      gatewayId: 'veh-hy-jt808',
      kind: 'vehicle',
      name: '渣土车终端接入 JT/T 808',
      nats: { servers: natsUrl },
      dataDir: join(o.dir, 'jt808'),
      heartbeatS: o.heartbeatS ?? 5,
      jt808: {
        listen: { host: '127.0.0.1', port },
        vehicles: [{ id: 'truck-hy-d8808', plate: '湘D·A8808', phone: '13907340002', vendor: 'generic-io' }],
        geo: {
          route: join(demo, 'route.geojson'),
          sites: join(demo, 'sites.geojson'),
          zones: join(demo, 'zones.geojson'),
        },
      },
    }),
  );
  const proc = await startGatewayProcess({ configPath: cfgPath, name: 'jt808', onLine: say('jt808') });
  const jpeg = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#5a6b7c' } })
    .jpeg({ quality: 80 })
    .toBuffer();
  let terminal: Jt808Terminal | undefined;
  const end = Date.now() + 30_000;
  for (;;) {
    terminal = startJt808Terminal({
      host: '127.0.0.1',
      port,
      phone: '13907340002',
      plate: '湘D·A8808',
      scenario: o.jt808Scenario,
      intervalMs: o.jt808IntervalMs ?? 1000,
      loop: o.jt808Loop,
      jpeg,
      heartbeatMs: 20_000,
    });
    const ok = await terminal.ready.then(
      () => true,
      () => false,
    );
    if (ok) break;
    await terminal.stop();
    if (Date.now() > end) throw new Error(`JT/T 808 terminal could not register at 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const t = terminal;
  return {
    proc,
    terminal: t,
    stop: async () => {
      await t.stop();
      await proc.stop();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}
