/**
 * @module edge/jt808/server
 * The JT/T 808 TCP endpoint: one session per connection, framing and sub-package reassembly,
 * registration (0x0100 → 0x8100 with an authentication code), authentication (0x0102), general
 * responses, and request/answer matching for platform commands by serial number. What a
 * terminal reports after it authenticated goes to the `onMessage` hook; the session logic knows
 * nothing of vehicles or rules. Nothing a terminal sends is trusted: every refusal is counted and
 * answered with the protocol's error response where it has one; one terminal never stalls another.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { encodeFrame, type FrameError, FrameSplitter, type Header, parseFrame } from './codec.js';
import { decodeBody, type Message } from './decode.js';
import type { Registration } from './messages.js';
import { BodyError, generalResponse, MSG, RESULT, registrationAnswer, resendRequest } from './messages.js';

export interface ServerOptions {
  host: string;
  port: number;
  authTimeoutS: number;
  /** no message for this long: the session is closed */
  idleTimeoutS: number;
  subpackageTimeoutS: number;
  maxSubpackages: number;
  maxConnections: number;
  /** file holding the secret that authentication codes are derived from (made on first start) */
  secretFile: string;
  /** a registration: the vehicle id it maps to, or a 0x8100 refusal code (2 = no such vehicle) */
  register(phone: string, reg: Registration): { vehicleId: string } | { result: number };
  /** the vehicle an authenticated phone belongs to (undefined: refuse) */
  vehicleOf(phone: string): string | undefined;
  onMessage(s: Session, h: Header, m: Message): void;
  onSession?(s: Session, event: 'authenticated' | 'closed'): void;
  log: { warn(o: object, m?: string): void; info(o: object, m?: string): void };
}

const MAX_REASSEMBLIES = 4;
const MAX_REASSEMBLY_BYTES = 8 * 1024 * 1024;

interface Reassembly {
  total: number;
  parts: Map<number, Buffer>;
  bytes: number;
  first: Header;
  timer: NodeJS.Timeout;
}

interface Waiter {
  match(h: Header, m: Message): boolean;
  resolve(v: { h: Header; m: Message }): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Thrown when a terminal does not answer a command in time (or is not connected). */
export class NoAnswerError extends Error {
  readonly deviceNoAnswer = true;
}

export class Session {
  phone: string | undefined;
  version: number | undefined;
  vehicleId: string | undefined;
  authenticated = false;
  readonly connectedAt = Date.now();
  lastAt = Date.now();
  private serialOut = 0;
  readonly splitter = new FrameSplitter();
  readonly reassembly = new Map<number, Reassembly>();
  readonly waiters = new Set<Waiter>();
  closed = false;

  constructor(
    readonly socket: Socket,
    readonly remote: string,
  ) {}

  /** Send one platform message; returns its serial number. */
  send(msgId: number, body: Buffer, phone = this.phone ?? '0'): number {
    const serial = this.serialOut;
    this.serialOut = (this.serialOut + 1) & 0xffff;
    if (!this.closed && this.socket.writable)
      this.socket.write(encodeFrame({ msgId, phone, serial, version: this.version }, body));
    return serial;
  }

  /** Wait for a message matching `match`; rejects with NoAnswerError after `timeoutMs`. */
  waitFor(match: Waiter['match'], timeoutMs: number, what: string): Promise<{ h: Header; m: Message }> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new NoAnswerError(`terminal ${this.phone} did not answer ${what} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Send and wait for the answer whose reply serial is this message's serial. */
  request(
    msgId: number,
    body: Buffer,
    answer: (serial: number, h: Header, m: Message) => boolean,
    timeoutMs: number,
  ) {
    const hex = `0x${msgId.toString(16)}`;
    let serial = -1;
    const p = this.waitFor((h, m) => answer(serial, h, m), timeoutMs, hex);
    serial = this.send(msgId, body);
    return p;
  }
}

export type ServerCounters = Record<string, number>;

export class Jt808Server {
  private server: Server | undefined;
  private readonly sessions = new Set<Session>();
  private readonly byPhone = new Map<string, Session>();
  private readonly secret: Buffer;
  readonly counters: ServerCounters = {
    connections: 0,
    connectionsRefused: 0,
    closed: 0,
    frames: 0,
    registrations: 0,
    registrationsRefused: 0,
    authenticated: 0,
    authFailures: 0,
    authTimeouts: 0,
    unauthenticated: 0,
    idleClosed: 0,
    replaced: 0,
    phoneMismatch: 0,
    badChecksum: 0,
    badEscape: 0,
    tooShort: 0,
    lengthMismatch: 0,
    tooLong: 0,
    cut: 0,
    badBody: 0,
    unknownId: 0,
    textFrames: 0,
    subpackages: 0,
    subpackageTimeouts: 0,
    subpackagesRefused: 0,
  };
  /** undecoded message ids seen, e.g. { '0x5501': 3 } */
  readonly unknownIds: Record<string, number> = {};

  constructor(private readonly o: ServerOptions) {
    this.secret = loadSecret(o.secretFile);
  }

  /** The authentication code handed out at registration: stable across restarts, per phone. */
  authCode(phone: string): string {
    return createHmac('sha256', this.secret).update(normalPhone(phone)).digest('hex').slice(0, 16);
  }

  async listen(): Promise<{ host: string; port: number }> {
    const srv = createServer({ noDelay: true }, (sock) => this.accept(sock));
    srv.maxConnections = this.o.maxConnections;
    srv.on('drop', () => this.counters.connectionsRefused++);
    this.server = srv;
    await new Promise<void>((res, rej) => {
      srv.once('error', rej);
      srv.listen(this.o.port, this.o.host, () => res());
    });
    const a = srv.address() as { address: string; port: number };
    return { host: a.address, port: a.port };
  }

  async close(): Promise<void> {
    for (const s of this.sessions) this.drop(s);
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
  }

  session(phone: string): Session | undefined {
    return this.byPhone.get(normalPhone(phone));
  }

  openSessions(): number {
    return this.sessions.size;
  }

  private accept(sock: Socket): void {
    this.counters.connections!++;
    const s = new Session(sock, `${sock.remoteAddress}:${sock.remotePort}`);
    this.sessions.add(s);
    const authTimer = setTimeout(() => {
      if (s.authenticated) return;
      this.counters.authTimeouts!++;
      this.drop(s);
    }, this.o.authTimeoutS * 1000);
    sock.setTimeout(this.o.idleTimeoutS * 1000, () => {
      this.counters.idleClosed!++;
      this.drop(s);
    });
    sock.on('data', (chunk) => {
      s.lastAt = Date.now();
      s.splitter.push(
        chunk,
        (seg) => this.segment(s, seg),
        () => this.counters.tooLong!++,
      );
    });
    sock.on('error', () => undefined); // reset by peer and the like: the close below cleans up
    sock.on('close', () => {
      clearTimeout(authTimer);
      if (s.splitter.pending()) this.counters.cut!++;
      this.drop(s);
    });
  }

  private drop(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    this.counters.closed!++;
    this.sessions.delete(s);
    if (s.phone && this.byPhone.get(s.phone) === s) this.byPhone.delete(s.phone);
    for (const r of s.reassembly.values()) clearTimeout(r.timer);
    s.reassembly.clear();
    for (const w of s.waiters) {
      clearTimeout(w.timer);
      w.reject(new NoAnswerError(`terminal ${s.phone} disconnected before answering`));
    }
    s.waiters.clear();
    s.socket.destroy();
    if (s.authenticated) this.o.onSession?.(s, 'closed');
  }

  private segment(s: Session, seg: Buffer): void {
    let h: Header;
    let body: Buffer;
    try {
      ({ header: h, body } = parseFrame(seg));
    } catch (e) {
      const fe = e as FrameError;
      if (fe.problem === 'textFrame') {
        this.counters.textFrames!++;
        return;
      }
      this.counters[fe.problem] = (this.counters[fe.problem] ?? 0) + 1;
      // the header was readable: tell the terminal its message was wrong (result 2)
      if (fe.header && s.authenticated) this.respond(s, fe.header, RESULT.badMessage);
      return;
    }
    this.counters.frames!++;
    if (s.authenticated && normalPhone(h.phone) !== s.phone) {
      this.counters.phoneMismatch!++;
      this.respond(s, h, RESULT.failure);
      return;
    }
    if (h.packages && h.packages.total > 1) {
      const whole = this.collect(s, h, body);
      if (!whole) return;
      ({ h, body } = whole);
    }
    let m: Message;
    try {
      m = decodeBody(h, body);
    } catch (e) {
      if (!(e instanceof BodyError)) throw e;
      this.counters.badBody!++;
      this.respond(s, h, RESULT.badMessage);
      return;
    }
    this.handle(s, h, m);
  }

  /** Keep one part; the whole message when the last part arrived. */
  private collect(s: Session, h: Header, body: Buffer): { h: Header; body: Buffer } | undefined {
    const { total, index } = h.packages!;
    this.counters.subpackages!++;
    if (total > this.o.maxSubpackages || index < 1 || index > total) {
      this.counters.subpackagesRefused!++;
      this.respond(s, h, RESULT.badMessage);
      return undefined;
    }
    let r = s.reassembly.get(h.msgId);
    if (r && r.total !== total) {
      clearTimeout(r.timer);
      s.reassembly.delete(h.msgId);
      r = undefined;
    }
    if (!r) {
      if (s.reassembly.size >= MAX_REASSEMBLIES) {
        const [oldId, old] = s.reassembly.entries().next().value!;
        clearTimeout(old.timer);
        s.reassembly.delete(oldId);
        this.counters.subpackageTimeouts!++;
      }
      const first = { ...h, serial: (h.serial - (index - 1)) & 0xffff };
      const fresh: Reassembly = {
        total,
        parts: new Map(),
        bytes: 0,
        first,
        timer: setTimeout(() => this.expire(s, h.msgId), this.o.subpackageTimeoutS * 1000),
      };
      s.reassembly.set(h.msgId, fresh);
      r = fresh;
    }
    if (!r.parts.has(index)) {
      r.parts.set(index, Buffer.from(body));
      r.bytes += body.length;
    }
    if (r.bytes > MAX_REASSEMBLY_BYTES) {
      clearTimeout(r.timer);
      s.reassembly.delete(h.msgId);
      this.counters.subpackagesRefused!++;
      this.respond(s, h, RESULT.badMessage);
      return undefined;
    }
    if (r.parts.size < total) return undefined;
    clearTimeout(r.timer);
    s.reassembly.delete(h.msgId);
    const parts = [...Array(total).keys()].map((i) => r.parts.get(i + 1)!);
    return { h: { ...r.first, packages: undefined, serial: h.serial }, body: Buffer.concat(parts) };
  }

  /** Parts missing after the timeout: ask once for them (0x8003), then drop what was kept. */
  private expire(s: Session, msgId: number): void {
    const r = s.reassembly.get(msgId);
    if (!r) return;
    s.reassembly.delete(msgId);
    this.counters.subpackageTimeouts!++;
    const missing = [...Array(r.total).keys()].map((i) => i + 1).filter((i) => !r.parts.has(i));
    if (s.authenticated) s.send(MSG.resendRequest, resendRequest(r.first.serial, missing));
  }

  private respond(s: Session, h: Header, result: number): void {
    s.send(MSG.platformResponse, generalResponse(h.serial, h.msgId, result), h.phone);
  }

  private handle(s: Session, h: Header, m: Message): void {
    s.version = h.version;
    if (m.kind === 'register') {
      this.registration(s, h, m.registration);
      return;
    }
    if (m.kind === 'auth') {
      this.authenticate(s, h, m.code);
      return;
    }
    if (!s.authenticated) {
      this.counters.unauthenticated!++;
      this.respond(s, h, RESULT.failure);
      return;
    }
    for (const w of s.waiters)
      if (w.match(h, m)) {
        clearTimeout(w.timer);
        s.waiters.delete(w);
        w.resolve({ h, m });
      }
    switch (m.kind) {
      case 'terminalResponse':
      case 'locationAnswer':
      case 'cameraAnswer':
        break; // answers to our commands: no general response
      case 'mediaData':
        break; // acknowledged with 0x8800 by the unit once stored
      case 'logout':
        this.respond(s, h, RESULT.ok);
        s.authenticated = false;
        break;
      case 'undecoded': {
        const key = `0x${h.msgId.toString(16).padStart(4, '0')}`;
        this.unknownIds[key] = (this.unknownIds[key] ?? 0) + 1;
        this.counters.unknownId!++;
        this.respond(s, h, RESULT.unsupported);
        return;
      }
      default:
        this.respond(s, h, RESULT.ok);
    }
    this.o.onMessage(s, h, m);
  }

  private registration(s: Session, h: Header, reg: Registration): void {
    const phone = normalPhone(h.phone);
    const out = this.o.register(phone, reg);
    if ('result' in out) {
      this.counters.registrationsRefused!++;
      s.send(MSG.registerAnswer, registrationAnswer(h.serial, out.result), h.phone);
      return;
    }
    this.counters.registrations!++;
    s.send(MSG.registerAnswer, registrationAnswer(h.serial, 0, this.authCode(phone)), h.phone);
  }

  private authenticate(s: Session, h: Header, code: string): void {
    const phone = normalPhone(h.phone);
    const vehicleId = code === this.authCode(phone) ? this.o.vehicleOf(phone) : undefined;
    if (!vehicleId) {
      this.counters.authFailures!++;
      this.respond(s, h, RESULT.failure);
      return;
    }
    const old = this.byPhone.get(phone);
    if (old && old !== s) {
      // the terminal reconnected; the old connection is stale
      this.counters.replaced!++;
      this.drop(old);
    }
    s.phone = phone;
    s.vehicleId = vehicleId;
    s.authenticated = true;
    this.byPhone.set(phone, s);
    this.counters.authenticated!++;
    this.respond(s, h, RESULT.ok);
    this.o.onSession?.(s, 'authenticated');
  }
}

/** Phone numbers compare without leading zeros (BCD pads them). */
export function normalPhone(p: string): string {
  return p.replace(/^0+/, '') || '0';
}

function loadSecret(file: string): Buffer {
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(dirname(file), { recursive: true });
  const s = randomBytes(32);
  writeFileSync(file, s, { mode: 0o600 });
  return s;
}
