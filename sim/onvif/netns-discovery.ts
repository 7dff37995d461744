/**
 * @module sim/onvif/netns-discovery
 * Run INSIDE a private network namespace only (`unshare -n`, lo up with multicast and a
 * 224.0.0.0/4 route): a simulated camera joins the WS-Discovery group and the real multicast
 * probe of discoverCameras() finds it. Refuses to run when any interface besides lo exists, so a
 * probe can never reach a real network. Prints the result as one JSON line.
 */
import os from 'node:os';
import { discoverCameras } from '../../edge/camera/capture/discovery.js';
import { startOnvifCamera } from './index.js';

const ifaces = Object.keys(os.networkInterfaces());
if (ifaces.some((i) => i !== 'lo')) {
  console.error(`refusing: interfaces ${ifaces.join(', ')} present; run inside unshare -n`);
  process.exit(2);
}
const cam = await startOnvifCamera({
  discovery: 'multicast',
  name: '南门 Camera',
  quirks: { percentScopes: true },
});
try {
  const found = await discoverCameras({ waitMs: 1000 });
  console.log(JSON.stringify({ xaddr: cam.xaddr, found }));
} finally {
  await cam.stop();
}
