/**
 * @module sim/onvif/cli
 * Start one or more simulated ONVIF cameras on 127.0.0.1 for the demo. Prints one JSON line per
 * camera ({ id, xaddr, port, discoveryPort }) then "ready"; stops cleanly on SIGINT/SIGTERM.
 *
 * @example
 *   tsx sim/onvif/cli.ts --cameras gate-1:models/scenes/parking,gate-2 --user admin --pass admin
 */
import { Command } from 'commander';
import { type OnvifCamera, startOnvifCamera } from './index.js';

const program = new Command()
  .name('onvif-sim')
  .description('模拟 ONVIF 摄像机 / simulated ONVIF cameras on 127.0.0.1')
  .option('--cameras <list>', 'comma list of id[:framesDir]', 'cam-1')
  .option('--user <name>', 'username (omit for no auth)')
  .option('--pass <password>', 'password', '')
  .option('--auth <mode>', 'snapshot auth: digest | basic | none', 'digest')
  .option('--interval-ms <ms>', 'advance frames by time instead of per request', (v) => Number(v))
  .option('--base-port <port>', 'first port (0 = any free)', (v) => Number(v), 0)
  .option('--replay <camera>', 'answer with recorded responses: bosch | dahua')
  .option('--discovery', 'answer WS-Discovery probes on a loopback UDP port', false)
  .option('--quirks <list>', 'comma list: paddedUris,jpgContentType,percentScopes,emptyUnknownOps', '');

program.parse();
const o = program.opts();
const quirks = Object.fromEntries(
  String(o.quirks)
    .split(',')
    .filter(Boolean)
    .map((q) => [q, true]),
);
const cams: OnvifCamera[] = [];
for (const [i, spec] of String(o.cameras).split(',').entries()) {
  const [id, dir] = spec.split(':');
  const cam = await startOnvifCamera({
    port: o.basePort ? o.basePort + i : 0,
    name: id,
    username: o.user,
    password: o.pass,
    snapshotAuth: o.auth,
    frames: dir || undefined,
    advance: o.intervalMs ? { intervalMs: o.intervalMs } : 'request',
    replay: o.replay,
    discovery: o.discovery,
    quirks,
  });
  cams.push(cam);
  console.log(JSON.stringify({ id, xaddr: cam.xaddr, port: cam.port, discoveryPort: cam.discoveryPort }));
}
console.log('ready');
const stop = async () => {
  await Promise.all(cams.map((c) => c.stop()));
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
