/**
 * @module edge/camera/capture/discovery
 * WS-Discovery with node-onvif. By default it multicasts to 239.255.255.250:3702 (the `discover`
 * CLI on a real site network). Tests pass `target` = a loopback unicast address so no probe ever
 * reaches a real interface.
 */
import onvif, { type OnvifProbeMatch } from 'node-onvif';

export interface DiscoveredCamera {
  urn: string;
  xaddrs: string[];
  name: string;
  hardware: string;
  location: string;
  scopes: string[];
}

/** Percent-decoding that never throws: some cameras send malformed escapes. */
function decodeScope(s: string): string {
  try {
    return decodeURIComponent(s).replace(/_/g, ' ');
  } catch {
    return s;
  }
}

function scopeValue(scopes: string[], kind: string): string {
  const p = `onvif://www.onvif.org/${kind}/`;
  const s = scopes.find((x) => x.startsWith(p));
  return s ? decodeScope(s.slice(p.length)) : '';
}

export async function discoverCameras(
  opts: { target?: { host: string; port: number }; waitMs?: number } = {},
): Promise<DiscoveredCamera[]> {
  // node-onvif keeps these on its singleton; restore them so a later probe is not redirected.
  const saved = { a: onvif._MULTICAST_ADDRESS, p: onvif._PORT, w: onvif._DISCOVERY_WAIT };
  if (opts.target) {
    onvif._MULTICAST_ADDRESS = opts.target.host;
    onvif._PORT = opts.target.port;
  }
  onvif._DISCOVERY_WAIT = opts.waitMs ?? 3000;
  try {
    const list: OnvifProbeMatch[] = await onvif.startProbe();
    return list.map((d) => ({
      urn: d.urn,
      xaddrs: d.xaddrs.map((x) => x.trim()).filter(Boolean),
      scopes: d.scopes,
      name: scopeValue(d.scopes, 'name'),
      hardware: scopeValue(d.scopes, 'hardware'),
      location: scopeValue(d.scopes, 'location'),
    }));
  } finally {
    onvif._MULTICAST_ADDRESS = saved.a;
    onvif._PORT = saved.p;
    onvif._DISCOVERY_WAIT = saved.w;
  }
}
