/**
 * @module edge/camera/cli
 * Field-engineer tools for the camera pipeline / 摄像机现场工具:
 *   discover — find ONVIF cameras by WS-Discovery (multicast on this network, or --target host:port)
 *   draw     — fetch a camera's current frame and draw its zones (and detections) to a JPEG
 *   check    — validate the cameras section of a gateway config and load its models
 *
 * @example
 *   npm run camera -- discover
 *   npm run camera -- draw --config gateway.yaml --camera gate-1 --out gate-1.jpg --detect
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { loadGatewayConfig } from '../config.js';
import { connectOnvif, discoverCameras, fetchSnapshot, redact } from './capture/index.js';
import type { CameraSection } from './config.js';
import { type Detection, loadClassifier } from './detect/index.js';
import { annotate } from './evidence/index.js';
import { loadDetectorSet, parseCameraSection } from './index.js';

function section(configPath: string) {
  const cfg = loadGatewayConfig(configPath);
  return { s: parseCameraSection(cfg.cameras), dir: path.dirname(path.resolve(configPath)) };
}

const program = new Command().name('camera').description('数字城管 摄像机工具 / camera pipeline tools');

program
  .command('discover')
  .description('WS-Discovery probe; prints one JSON line per camera / 发现摄像机')
  .option('--target <host:port>', 'send the probe to this unicast address instead of multicast')
  .option('--wait <ms>', 'how long to collect answers', (v) => Number(v), 3000)
  .action(async (o) => {
    const [host, port] = o.target ? String(o.target).split(':') : [];
    const found = await discoverCameras({
      target: host ? { host, port: Number(port) } : undefined,
      waitMs: o.wait,
    });
    for (const c of found) console.log(JSON.stringify(c));
    console.error(`${found.length} camera(s) found / 发现 ${found.length} 台`);
  });

program
  .command('draw')
  .description("draw a camera's current frame with its zones / 绘制当前画面与区域")
  .requiredOption('--out <file>', 'output JPEG')
  .option('--config <file>', 'gateway config with a cameras section')
  .option('--camera <id>', 'camera id in the config')
  .option('--xaddr <url>', 'or: ONVIF device service URL')
  .option('--user <name>')
  .option('--pass <password>')
  .option('--detect', 'also run the detector (and draw its boxes)', false)
  .action(async (o) => {
    let cam: {
      xaddr?: string;
      username?: string;
      password?: string;
      snapshotUri?: string;
      zones: never[] | unknown[];
    };
    let models: { s: CameraSection; dir: string } | undefined;
    if (o.config) {
      const { s, dir } = section(o.config);
      const c = s.list.find((x) => x.id === o.camera) ?? (o.camera ? undefined : s.list[0]);
      if (!c)
        throw new Error(
          `camera "${o.camera}" not in ${o.config} (have ${s.list.map((x) => x.id).join(', ')})`,
        );
      cam = c;
      models = { s, dir };
    } else if (o.xaddr) cam = { xaddr: o.xaddr, username: o.user, password: o.pass, zones: [] };
    else throw new Error('give --config (and --camera) or --xaddr');
    if (!cam.xaddr)
      throw new Error('this camera is configured by discovery: run `discover` and give --xaddr');
    const info = await connectOnvif({
      xaddr: cam.xaddr,
      user: cam.username,
      pass: cam.password,
      timeoutMs: 15_000,
    });
    const uri = cam.snapshotUri ?? info.snapshotUri;
    const jpeg = await fetchSnapshot(uri, { user: cam.username, pass: cam.password, timeoutMs: 10_000 });
    let dets: Detection[] = [];
    if (o.detect && models) {
      const d = await loadDetectorSet(models.s, models.dir);
      dets = await d.detect(jpeg);
      await d.close();
    }
    const zones = cam.zones as Parameters<typeof annotate>[1]['zones'];
    const out = await annotate(
      jpeg,
      { boxes: dets, zones, caption: `${info.model ?? ''} ${redact(uri)}` },
      90,
    );
    await writeFile(o.out, out);
    // the size of the frame written, which may differ from the profile's (a sub-stream snapshot)
    const { width, height } = await sharp(out).metadata();
    const profile =
      info.width && (info.width !== width || info.height !== height)
        ? ` (profile says ${info.width}x${info.height})`
        : '';
    console.error(
      `wrote ${o.out}: ${width}x${height}${profile}, ${zones.length} zone(s), ${dets.length} detection(s)`,
    );
  });

program
  .command('check')
  .description('validate the cameras section and load its models / 校验配置')
  .requiredOption('--config <file>', 'gateway config')
  .action(async (o) => {
    const { s, dir } = section(o.config);
    const d = await loadDetectorSet(s, dir);
    for (const u of d.uses)
      console.log(
        `detector ${u.detector.model.name} ${u.detector.model.version} labels=${(u.labels ?? u.detector.manifest.labels).join(',')}`,
      );
    await d.close();
    if (s.models.classifier) {
      const c = await loadClassifier(path.resolve(dir, s.models.classifier));
      console.log(`classifier ${c.model.name} ${c.model.version} labels=${c.manifest.labels.join(',')}`);
      await c.close();
    }
    console.log(`${s.list.length} camera(s), ${s.list.reduce((n, c) => n + c.zones.length, 0)} zone(s): OK`);
  });

program.parseAsync().catch((e: Error) => {
  console.error(`camera: ${e.message}`);
  process.exit(1);
});
