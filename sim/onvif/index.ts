/**
 * @module sim/onvif
 * An ONVIF camera on 127.0.0.1 for tests and the demo: the SOAP operations node-onvif's init()
 * needs, a JPEG snapshot URL with Basic or Digest auth, frame sequences, the quirks real cameras
 * have (switchable per instance), fault injection, and replay of recorded Bosch/Dahua answers.
 *
 * @example
 * const cam = await startOnvifCamera({ username: 'admin', password: 'pw', frames: await makeTestFrames() });
 * const dev = new OnvifDevice({ xaddr: cam.xaddr, user: 'admin', pass: 'pw' });
 * cam.setFault('timeout');   // snapshots hang from now on
 * await cam.stop();
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import sharp from 'sharp';
import { HttpAuthServer } from './auth.js';
import { startDiscoveryResponder } from './discovery.js';
import { loadFrameDir, makeTestFrames } from './frames.js';
import { loadRecording, type ReplayCamera, rewriteHosts } from './replay.js';
import {
  actionNotSupportedFault,
  generated,
  notAuthorizedFault,
  parseSoapRequest,
  passwordDigest,
} from './soap.js';

export { loadFrameDir, makeTestFrames } from './frames.js';
export { ONVIF_TESTDATA, type ReplayCamera, replayAvailable } from './replay.js';

export interface Quirks {
  /** URIs and XAddrs wrapped in spaces and newlines */
  paddedUris: boolean;
  /** snapshots served as `image/jpg` instead of `image/jpeg` */
  jpgContentType: boolean;
  /** HTTP status of a SOAP NotAuthorized fault: 400 (the spec), 401, 500, or 200 (fault in a 200) */
  authFaultStatus: 200 | 400 | 401 | 500;
  /** discovery scopes with percent-encoded names (UTF-8 Chinese names, spaces) */
  percentScopes: boolean;
  /** camera clock minus real clock, ms (WS-Security Created is checked against the camera clock) */
  clockSkewMs: number;
  /** an unknown operation answered with HTTP 200 and an empty body instead of a fault */
  emptyUnknownOps: boolean;
}

export type Fault = 'timeout' | 'http500' | 'empty' | 'corrupt' | 'reset' | 'unauthorized';

export interface OnvifCameraOptions {
  port?: number;
  name?: string;
  location?: string;
  manufacturer?: string;
  model?: string;
  /** when set, SOAP (except pre-auth ops) and snapshots require these credentials */
  username?: string;
  password?: string;
  snapshotAuth?: 'basic' | 'digest' | 'none';
  /** JPEG frames, or a folder of them (name order); default: 3 generated frames */
  frames?: Buffer[] | string;
  /** 'request': next frame per snapshot; { intervalMs }: by time; 'manual': only setFrame() */
  advance?: 'request' | 'manual' | { intervalMs: number };
  /** at the end of the sequence: start again, or keep serving the last frame */
  loop?: boolean;
  quirks?: Partial<Quirks>;
  /** answer with a real camera's recorded responses (ops it lacks are generated) */
  replay?: ReplayCamera;
  /** also answer WS-Discovery probes on a 127.0.0.1 UDP port; 'multicast' only inside a private netns */
  discovery?: boolean | 'multicast';
  /** WS-Security Created tolerance, s */
  maxDriftS?: number;
  /**
   * media profiles, main stream first (default one 640x360 profile serving the frames as they
   * are); a profile's snapshots are the current frame resized to its resolution
   */
  profiles?: { name?: string; width: number; height: number }[];
}

export interface OnvifCamera {
  xaddr: string;
  port: number;
  /** UDP port of the discovery responder, when enabled */
  discoveryPort?: number;
  setFrames(frames: Buffer[]): void;
  setFrame(index: number): void;
  /** Inject a fault into snapshots ('snapshot') or every request ('all'); null clears it. */
  setFault(fault: Fault | null, scope?: 'snapshot' | 'all'): void;
  setQuirks(q: Partial<Quirks>): void;
  /** forget the Digest nonces handed out (a reboot): the next snapshot is challenged again */
  expireNonces(): void;
  stats: {
    soap: Record<string, number>;
    snapshots: number;
    /** snapshots served per profile index (0 = main) */
    profileSnapshots: Record<number, number>;
    authFailures: number;
    probes: () => number;
  };
  stop(): Promise<void>;
}

const PRE_AUTH = new Set(['GetSystemDateAndTime', 'GetCapabilities', 'GetServices', 'GetEndpointReference']);

export async function startOnvifCamera(opts: OnvifCameraOptions = {}): Promise<OnvifCamera> {
  const quirks: Quirks = {
    paddedUris: false,
    jpgContentType: false,
    authFaultStatus: 400,
    percentScopes: false,
    clockSkewMs: 0,
    emptyUnknownOps: false,
    ...opts.quirks,
  };
  const recording = opts.replay ? loadRecording(opts.replay) : undefined;
  if (recording?.recordedClock && opts.quirks?.clockSkewMs === undefined)
    quirks.clockSkewMs = recording.recordedClock.getTime() - Date.now(); // the recorded camera's real skew
  let frames =
    typeof opts.frames === 'string'
      ? await loadFrameDir(opts.frames)
      : (opts.frames ?? (await makeTestFrames()));
  let frameIndex = 0;
  const loop = opts.loop ?? true;
  const startedAt = Date.now();
  const advance = opts.advance ?? 'request';
  let fault: { f: Fault; scope: 'snapshot' | 'all' } | null = null;
  const user = opts.username ?? '';
  const pass = opts.password ?? '';
  const httpAuth = new HttpAuthServer(user ? (opts.snapshotAuth ?? 'digest') : 'none', user, pass);
  const stats = {
    soap: {} as Record<string, number>,
    snapshots: 0,
    profileSnapshots: {} as Record<number, number>,
    authFailures: 0,
    probes: () => 0,
  };
  const profiles = (opts.profiles ?? [{ width: 640, height: 360 }]).map((p, i) => ({
    token: `profile_${i + 1}`,
    name: p.name ?? (i === 0 ? 'MainStream' : `SubStream${i}`),
    width: p.width,
    height: p.height,
  }));
  const sockets = new Set<Socket>();
  const uuid = randomUUID();
  let port = 0;
  const base = () => `http://127.0.0.1:${port}`;
  const pad = (u: string) => (quirks.paddedUris ? `\n\t  ${u}  \n` : u);
  const cameraNow = () => new Date(Date.now() + quirks.clockSkewMs);

  function currentFrame(): Buffer {
    if (typeof advance === 'object') {
      const i = Math.floor((Date.now() - startedAt) / advance.intervalMs);
      return frames[loop ? i % frames.length : Math.min(i, frames.length - 1)];
    }
    const f = frames[frameIndex];
    if (advance === 'request')
      frameIndex = loop ? (frameIndex + 1) % frames.length : Math.min(frameIndex + 1, frames.length - 1);
    return f;
  }

  function soapAuthorized(r: NonNullable<ReturnType<typeof parseSoapRequest>>): boolean {
    if (!user || PRE_AUTH.has(r.op)) return true;
    if (r.username !== user || !r.nonce || !r.created || !r.passwordDigest) return false;
    const drift = Math.abs(Date.parse(r.created) - cameraNow().getTime()) / 1000;
    if (!(drift <= (opts.maxDriftS ?? 30))) return false;
    return passwordDigest(r.nonce, r.created, pass) === r.passwordDigest;
  }

  function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer) {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** true when a fault took over the response */
  function injected(res: http.ServerResponse, scope: 'snapshot' | 'soap'): boolean {
    if (!fault || (fault.scope === 'snapshot' && scope !== 'snapshot')) return false;
    switch (fault.f) {
      case 'timeout':
        return true; // never answer; the client's timeout must fire
      case 'reset':
        res.socket?.destroy();
        return true;
      case 'http500':
        send(res, 500, 'text/plain', 'Internal Server Error');
        return true;
      case 'empty':
        send(res, 200, scope === 'snapshot' ? 'image/jpeg' : 'application/soap+xml', '');
        return true;
      case 'corrupt':
        if (scope !== 'snapshot') return false;
        send(res, 200, 'image/jpeg', Buffer.concat([frames[0].subarray(0, 200), Buffer.alloc(300, 0x5a)]));
        return true;
      case 'unauthorized':
        if (scope !== 'snapshot') return false;
        res.writeHead(401, { 'www-authenticate': 'Basic realm="locked"', 'content-length': 0 });
        res.end();
        return true;
    }
  }

  function soap(body: string, res: http.ServerResponse) {
    const r = parseSoapRequest(body);
    if (!r) return send(res, 400, 'text/plain', 'not a SOAP request');
    stats.soap[r.op] = (stats.soap[r.op] ?? 0) + 1;
    if (injected(res, 'soap')) return;
    if (!soapAuthorized(r)) {
      stats.authFailures++;
      return send(res, quirks.authFaultStatus, 'application/soap+xml; charset=utf-8', notAuthorizedFault());
    }
    const facts = {
      base: base(),
      pad,
      now: cameraNow(),
      manufacturer: opts.manufacturer ?? 'CityGrid',
      model: opts.model ?? 'SimCam-1',
      serial: uuid.slice(0, 8),
      profiles,
      profileToken: r.profileToken,
    };
    const recorded = recording?.responses.get(r.op);
    let xml = recorded ? rewriteHosts(recorded, '127.0.0.1', port) : generated(r.op, facts);
    if (recorded && r.op === 'GetSystemDateAndTime') xml = generated(r.op, facts); // the clock moves on
    if (xml && quirks.paddedUris && recorded)
      xml = xml.replace(/(<(?:\w+:)?(?:Uri|XAddr)\b[^>]*>)([^<]+)</g, (_m, t, u) => `${t}${pad(u)}<`);
    if (!xml) {
      if (quirks.emptyUnknownOps) return send(res, 200, 'application/soap+xml', '');
      return send(res, 400, 'application/soap+xml; charset=utf-8', actionNotSupportedFault(r.op));
    }
    send(res, 200, 'application/soap+xml; charset=utf-8', xml);
  }

  function snapshot(req: http.IncomingMessage, res: http.ServerResponse) {
    if (injected(res, 'snapshot')) return;
    if (httpAuth.check(req) === undefined) {
      stats.authFailures++;
      res.writeHead(401, {
        'www-authenticate': httpAuth.challenge(),
        'content-type': 'text/plain',
        'content-length': 12,
      });
      return res.end('Unauthorized');
    }
    stats.snapshots++;
    const subtype = Number(new URL(req.url ?? '/', base()).searchParams.get('subtype') ?? 0);
    const p = opts.profiles?.[subtype];
    stats.profileSnapshots[subtype] = (stats.profileSnapshots[subtype] ?? 0) + 1;
    const type = quirks.jpgContentType ? 'image/jpg' : 'image/jpeg';
    const f = currentFrame();
    if (!p) return send(res, 200, type, f);
    void resized(f, p).then(
      (b) => send(res, 200, type, b),
      () => send(res, 500, 'text/plain', 'resize failed'),
    );
  }

  /** the frame at a profile's resolution, made once per frame and size */
  const sizes = new WeakMap<Buffer, Map<string, Promise<Buffer>>>();
  function resized(f: Buffer, p: { width: number; height: number }): Promise<Buffer> {
    const bySize = sizes.get(f) ?? new Map<string, Promise<Buffer>>();
    sizes.set(f, bySize);
    const k = `${p.width}x${p.height}`;
    let b = bySize.get(k);
    if (!b) {
      b = sharp(f).resize(p.width, p.height, { fit: 'fill' }).jpeg({ quality: 85 }).toBuffer();
      bySize.set(k, b);
    }
    return b;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST') soap(Buffer.concat(chunks).toString('utf8'), res);
      else if (req.method === 'GET') snapshot(req, res);
      else send(res, 405, 'text/plain', 'method not allowed');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const xaddr = `${base()}/onvif/device_service`;

  let disco: Awaited<ReturnType<typeof startDiscoveryResponder>> | undefined;
  if (opts.discovery) {
    const enc = (s: string) => (quirks.percentScopes ? encodeURIComponent(s) : s.replace(/\s+/g, '_'));
    disco = await startDiscoveryResponder(
      () => ({
        uuid,
        xaddrs: [xaddr],
        scopes: [
          'onvif://www.onvif.org/type/video_encoder',
          'onvif://www.onvif.org/Profile/Streaming',
          `onvif://www.onvif.org/hardware/${enc(opts.model ?? 'SimCam-1')}`,
          `onvif://www.onvif.org/name/${enc(opts.name ?? 'Sim Camera')}`,
          `onvif://www.onvif.org/location/${enc(opts.location ?? 'city')}`,
        ],
      }),
      opts.discovery === 'multicast',
    );
    stats.probes = disco.probes;
  }

  return {
    xaddr,
    port,
    discoveryPort: disco?.port,
    setFrames(f) {
      if (!f.length) throw new Error('setFrames: at least one frame');
      frames = f;
      frameIndex = 0;
    },
    setFrame(i) {
      frameIndex = Math.max(0, Math.min(frames.length - 1, i));
    },
    expireNonces: () => httpAuth.expireNonces(),
    setFault(f, scope = 'snapshot') {
      fault = f ? { f, scope } : null;
    },
    setQuirks(q) {
      Object.assign(quirks, q);
    },
    stats,
    async stop() {
      await disco?.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
