/** @module sim/onvif/auth  Server side of HTTP Basic and Digest (RFC 7616, MD5, qop=auth). */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function parseAuthParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1].toLowerCase()] = m[2] ?? m[3];
  return out;
}

export class HttpAuthServer {
  readonly realm = 'onvif-sim';
  private readonly nonces = new Set<string>();
  /** the last `nc` seen per nonce: a reused nonce must count up (RFC 7616 replay protection) */
  private readonly lastNc = new Map<string, number>();
  constructor(
    readonly mode: 'basic' | 'digest' | 'none',
    private readonly user: string,
    private readonly pass: string,
  ) {}

  challenge(): string {
    if (this.mode === 'basic') return `Basic realm="${this.realm}"`;
    const nonce = randomBytes(16).toString('hex');
    this.nonces.add(nonce);
    if (this.nonces.size > 1000) this.nonces.delete(this.nonces.values().next().value as string);
    return `Digest realm="${this.realm}", qop="auth", nonce="${nonce}", algorithm=MD5`;
  }

  /** The user name the request authenticated as, or undefined. */
  check(req: IncomingMessage): string | undefined {
    if (this.mode === 'none') return '';
    const h = req.headers.authorization ?? '';
    if (this.mode === 'basic') {
      if (!h.startsWith('Basic ')) return undefined;
      const [u, ...p] = Buffer.from(h.slice(6), 'base64').toString().split(':');
      return u === this.user && p.join(':') === this.pass ? u : undefined;
    }
    if (!h.startsWith('Digest ')) return undefined;
    const a = parseAuthParams(h.slice(7));
    if (a.username !== this.user || !this.nonces.has(a.nonce) || a.uri !== req.url) return undefined;
    const ha1 = md5(`${this.user}:${this.realm}:${this.pass}`);
    const ha2 = md5(`${req.method}:${a.uri}`);
    const want = a.qop
      ? md5(`${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:${a.qop}:${ha2}`)
      : md5(`${ha1}:${a.nonce}:${ha2}`);
    if (a.response !== want) return undefined;
    const nc = Number.parseInt(a.nc ?? '', 16);
    if (a.qop && !(nc > (this.lastNc.get(a.nonce) ?? 0))) return undefined;
    this.lastNc.set(a.nonce, nc);
    return a.username;
  }

  /** The server forgets its nonces (a reboot, or their lifetime ended): the next request is challenged. */
  expireNonces(): void {
    this.nonces.clear();
    this.lastNc.clear();
  }
}
