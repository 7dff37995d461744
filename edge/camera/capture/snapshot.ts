/**
 * @module edge/camera/capture/snapshot
 * HTTP snapshot fetch with Basic and Digest auth, a hard timeout and a size cap. Each camera
 * keeps its own auth state ({@link SnapshotAuth}): node-onvif's digest helper is one shared
 * object, so two cameras fetched at once can swap credentials, hosts and frames. After the first
 * challenge a camera's requests carry credentials from the start (Basic pre-emptively, Digest by
 * reusing the server's nonce with a counted `nc`, RFC 7616 §3.4), so a snapshot is one request,
 * not anonymous → 401 → again; a stale nonce gets one fresh challenge.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export interface SnapshotOptions {
  user?: string;
  pass?: string;
  timeoutMs: number;
  maxBytes?: number;
  /** this camera's auth state, kept between snapshots; without it every snapshot starts anonymous */
  auth?: SnapshotAuth;
}

export class SnapshotError extends Error {
  constructor(
    message: string,
    readonly reason:
      | 'timeout'
      | 'network'
      | 'auth'
      | 'http'
      | 'empty'
      | 'not_image'
      | 'corrupt'
      | 'too_large',
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: URL, headers: Record<string, string>, o: SnapshotOptions): Promise<Reply> {
  const mod = url.protocol === 'https:' ? https : http;
  const max = o.maxBytes ?? 20 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: 'GET', headers, timeout: o.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let n = 0;
      res.on('data', (c: Buffer) => {
        n += c.length;
        if (n > max) {
          req.destroy();
          reject(new SnapshotError(`snapshot larger than ${max} bytes`, 'too_large'));
        } else chunks.push(c);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', (e) => reject(new SnapshotError(`snapshot: ${e.message}`, 'network')));
    });
    // `timeout` is idle time; the deadline below bounds the whole exchange.
    const deadline = setTimeout(
      () => req.destroy(new SnapshotError(`snapshot timed out after ${o.timeoutMs} ms`, 'timeout')),
      o.timeoutMs,
    );
    req.on('timeout', () =>
      req.destroy(new SnapshotError(`snapshot timed out after ${o.timeoutMs} ms`, 'timeout')),
    );
    req.on('error', (e) =>
      reject(e instanceof SnapshotError ? e : new SnapshotError(`snapshot: ${e.message}`, 'network')),
    );
    req.on('close', () => clearTimeout(deadline));
    req.end();
  });
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** One camera's snapshot auth: the scheme its server asked for and, for Digest, the nonce in use. */
export class SnapshotAuth {
  scheme?: 'basic' | 'digest';
  challenge: Record<string, string> = {};
  /** requests made with the current nonce (the `nc` of the last one) */
  nc = 0;
  /** requests answered with 401 on the first try (for tests and metrics) */
  challenges = 0;

  learn(header: string): void {
    this.challenges++;
    if (/^digest/i.test(header)) {
      this.scheme = 'digest';
      this.challenge = {};
      for (const m of header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g))
        this.challenge[m[1].toLowerCase()] = m[2] ?? m[3];
      this.nc = 0;
    } else this.scheme = 'basic';
  }

  /** The Authorization header for the next request, or none before the first challenge. */
  header(url: URL, user: string, pass: string): string | undefined {
    if (this.scheme === 'basic') return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    if (this.scheme === 'digest') return digestHeader(this.challenge, url, user, pass, ++this.nc);
    return undefined;
  }
}

function digestHeader(
  p: Record<string, string>,
  url: URL,
  user: string,
  pass: string,
  count: number,
): string {
  const algo = (p.algorithm ?? 'MD5').toUpperCase();
  const h = algo.startsWith('SHA-256') ? sha256 : md5;
  const uri = url.pathname + url.search;
  const cnonce = randomBytes(8).toString('hex');
  const nc = count.toString(16).padStart(8, '0');
  const qop = p.qop
    ?.split(',')
    .map((s) => s.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  const ha1 = h(`${user}:${p.realm}:${pass}`);
  const ha2 = h(`GET:${uri}`);
  const response = qop ? h(`${ha1}:${p.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${p.nonce}:${ha2}`);
  const parts = [
    `username="${user}"`,
    `realm="${p.realm}"`,
    `nonce="${p.nonce}"`,
    `uri="${uri}"`,
    `algorithm=${p.algorithm ?? 'MD5'}`,
    `response="${response}"`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (p.opaque) parts.push(`opaque="${p.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

function isJpeg(b: Buffer): boolean {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return false;
  // Some cameras pad after EOI: look for it near the end.
  const tail = b.subarray(Math.max(0, b.length - 64));
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}

/**
 * GET a JPEG snapshot. With credentials known from an earlier challenge it sends them at once;
 * otherwise (or when the server challenges again: a new or stale nonce) it answers the challenge
 * once. Accepts `image/jpeg`, `image/jpg` and a missing content type; checks JPEG start and end markers.
 */
export async function fetchSnapshot(rawUrl: string, o: SnapshotOptions): Promise<Buffer> {
  const url = new URL(rawUrl.trim());
  const auth = o.auth ?? new SnapshotAuth();
  const user = o.user;
  const pass = o.pass ?? '';
  const first = user === undefined ? undefined : auth.header(url, user, pass);
  let reply = await get(url, first ? { authorization: first } : {}, o);
  if (reply.status === 401 && user !== undefined) {
    auth.learn(String(reply.headers['www-authenticate'] ?? ''));
    reply = await get(url, { authorization: auth.header(url, user, pass)! }, o);
  }
  if (reply.status === 401 || reply.status === 403)
    throw new SnapshotError(`snapshot: HTTP ${reply.status}, credentials refused`, 'auth');
  if (reply.status !== 200) throw new SnapshotError(`snapshot: HTTP ${reply.status}`, 'http');
  if (!reply.body.length) throw new SnapshotError('snapshot: empty body', 'empty');
  const ct = String(reply.headers['content-type'] ?? '').toLowerCase();
  if (ct && !/^image\/(jpeg|jpg|pjpeg)/.test(ct))
    throw new SnapshotError(`snapshot: content type "${ct}"`, 'not_image');
  if (!isJpeg(reply.body))
    throw new SnapshotError(`snapshot: not a complete JPEG (${reply.body.length} bytes)`, 'corrupt');
  return reply.body;
}
