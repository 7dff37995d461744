/**
 * @module sim/onvif/discovery
 * A WS-Discovery responder bound to 127.0.0.1 (unicast only): answers a Probe with a ProbeMatch
 * naming the camera's XAddrs and scopes. Tests point the prober at this address; nothing is
 * multicast on a real interface.
 */
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';

export interface DiscoveryInfo {
  xaddrs: string[];
  scopes: string[];
  uuid: string;
}

/**
 * `multicast`: join 239.255.255.250:3702 on 127.0.0.1 like a real camera — only ever used inside
 * a private network namespace whose sole interface is lo (see netns-discovery.ts).
 */
export async function startDiscoveryResponder(
  info: () => DiscoveryInfo,
  multicast = false,
): Promise<{ port: number; probes: () => number; stop(): Promise<void> }> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  let probes = 0;
  sock.on('message', (buf, rinfo) => {
    const xml = buf.toString();
    if (!/Probe\b/.test(xml) || /ProbeMatches/.test(xml)) return;
    probes++;
    const rel = /<(?:\w+:)?MessageID[^>]*>([^<]+)</.exec(xml)?.[1] ?? '';
    const i = info();
    const reply =
      '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
      'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
      'xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Header>' +
      `<a:MessageID>uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${rel}</a:RelatesTo>` +
      '<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>' +
      '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header><s:Body>' +
      `<d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:${i.uuid}</a:Address></a:EndpointReference>` +
      `<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types><d:Scopes>${i.scopes.join(' ')}</d:Scopes>` +
      `<d:XAddrs>${i.xaddrs.join(' ')}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches>` +
      '</s:Body></s:Envelope>';
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    if (multicast)
      sock.bind(3702, '0.0.0.0', () => {
        sock.addMembership('239.255.255.250', '127.0.0.1');
        resolve();
      });
    else sock.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    port: sock.address().port,
    probes: () => probes,
    stop: () => new Promise((r) => sock.close(() => r())),
  };
}
