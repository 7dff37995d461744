/**
 * @module edge/camera/capture/discovery
 * WS-Discovery: a Probe for ONVIF devices, the ProbeMatches collected for `waitMs`. By default it
 * multicasts to 239.255.255.250:3702 (the `discover` CLI, or cameras configured by urn/name on a
 * site network); tests and sites with directed probes give `target` (a unicast address).
 *
 * Our own prober (dgram + fast-xml-parser) instead of node-onvif's: node-onvif keeps one probe
 * socket and timer on a singleton, so two concurrent probes (two cameras found by discovery in one
 * gateway) overwrote each other and the second never settled, holding the gateway's shutdown.
 * Here probes run one at a time per process (a queue), each on its own socket, each ends after
 * `waitMs` at the latest and is cancelled by its `signal` (socket closed, timer cleared).
 */
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { XMLParser } from 'fast-xml-parser';

export interface DiscoveredCamera {
  urn: string;
  xaddrs: string[];
  name: string;
  hardware: string;
  location: string;
  scopes: string[];
}

export interface DiscoveryOptions {
  /** where the probe goes; default the WS-Discovery multicast group */
  target?: { host: string; port: number };
  /** how long answers are collected, ms (default 3000) */
  waitMs?: number;
  /** cancels a queued or running probe (the unit is stopping) */
  signal?: AbortSignal;
}

export const WS_DISCOVERY_GROUP = { host: '239.255.255.250', port: 3702 };

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

const probeXml = (messageId: string) =>
  '<?xml version="1.0" encoding="UTF-8"?>' +
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
  'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
  `<s:Header><a:MessageID>${messageId}</a:MessageID>` +
  '<a:To s:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>' +
  '<a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
  '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>';

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false });
const text = (v: unknown): string =>
  typeof v === 'string' ? v : v && typeof v === 'object' && '#text' in v ? String(v['#text']) : '';
const words = (v: unknown) => text(v).split(/\s+/).filter(Boolean);

/** The cameras in one ProbeMatches answer; nothing for anything else (a device's datagram is untrusted). */
export function parseProbeMatches(xml: string): DiscoveredCamera[] {
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch {
    return [];
  }
  const body = (doc as { Envelope?: { Body?: { ProbeMatches?: { ProbeMatch?: unknown } } } })?.Envelope?.Body;
  const matches = body?.ProbeMatches?.ProbeMatch;
  const list = Array.isArray(matches) ? matches : matches ? [matches] : [];
  const out: DiscoveredCamera[] = [];
  for (const m of list as Record<string, unknown>[]) {
    const urn = text((m.EndpointReference as Record<string, unknown> | undefined)?.Address).trim();
    const xaddrs = words(m.XAddrs);
    const scopes = words(m.Scopes);
    if (!urn || !xaddrs.length) continue;
    out.push({
      urn,
      xaddrs,
      scopes,
      name: scopeValue(scopes, 'name'),
      hardware: scopeValue(scopes, 'hardware'),
      location: scopeValue(scopes, 'location'),
    });
  }
  return out;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Probe and collect answers; one probe at a time per process.
 * @example
 * const cams = await discoverCameras({ waitMs: 3000 });
 */
export function discoverCameras(opts: DiscoveryOptions = {}): Promise<DiscoveredCamera[]> {
  const run = queue.then(() => probeOnce(opts));
  queue = run.catch(() => undefined);
  return run;
}

function probeOnce({ target = WS_DISCOVERY_GROUP, waitMs = 3000, signal }: DiscoveryOptions) {
  return new Promise<DiscoveredCamera[]>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('discovery cancelled'));
    const sock = createSocket('udp4');
    const found = new Map<string, DiscoveredCamera>();
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve([...found.values()]);
    };
    const onAbort = () => done(new Error('discovery cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (e) => done(e));
    sock.on('message', (buf) => {
      for (const c of parseProbeMatches(buf.toString('utf8'))) if (!found.has(c.urn)) found.set(c.urn, c);
    });
    sock.bind(0, () => {
      timer = setTimeout(() => done(), waitMs);
      sock.send(probeXml(`uuid:${randomUUID()}`), target.port, target.host, (e) => e && done(e));
    });
  });
}
