/**
 * @module edge/vehicle/serial/line
 * A serial line that stays up: opens the device with serialport, reports what it receives, and
 * when the device is missing at start or vanishes later (USB unplugged, adapter reset) it says so
 * in one log line, keeps the reason for the devices board, and reopens it when it comes back.
 */
import { SerialPort } from 'serialport';
import type { UnitContext } from '../../unit.js';

export interface SerialLineOptions {
  /** for logs, e.g. 'gps' */
  name: string;
  path: string;
  baudRate: number;
  onData(chunk: Buffer): void;
  /** called after each successful open, e.g. to send SLCAN setup */
  onOpen?(write: (s: string) => void): void;
  log: UnitContext['log'];
  /** first retry delay; doubles up to maxRetryMs */
  retryMs?: number;
  maxRetryMs?: number;
  /**
   * An open port that has said nothing for this long is closed and reopened: a pty or USB
   * device that vanished does not always raise an error on the old handle (default 10 s).
   */
  silentReopenMs?: number;
}

export interface SerialLineState {
  open: boolean;
  /** why it is not open, for the devices board */
  error?: string;
  openedAt?: number;
  lastDataAt?: number;
  bytes: number;
  reopens: number;
}

/**
 * @example
 * const gps = new SerialLine({ name: 'gps', path: '/dev/ttyUSB0', baudRate: 9600, onData: (b) => reader.push(b), log });
 * gps.start();
 */
export class SerialLine {
  readonly state: SerialLineState = { open: false, bytes: 0, reopens: 0 };
  private port: SerialPort | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private delay: number;
  private everOpened = false;
  private watchdog: NodeJS.Timeout | undefined;
  /** reopened for silence already, and nothing received since: log only the first */
  private silentAgain = false;

  constructor(private readonly o: SerialLineOptions) {
    this.delay = o.retryMs ?? 500;
  }

  start(): void {
    this.stopped = false;
    this.open();
    const silentMs = this.o.silentReopenMs ?? 10_000;
    this.watchdog = setInterval(
      () => {
        const port = this.port;
        if (!port || !this.state.open) return;
        const last = Math.max(this.state.lastDataAt ?? 0, this.state.openedAt ?? 0);
        if (Date.now() - last > silentMs) {
          const quiet = this.silentAgain;
          this.silentAgain = true;
          this.lost(port, `no data for ${Math.round(silentMs / 1000)} s; reopening`, quiet);
        }
      },
      Math.min(1000, silentMs),
    );
    this.watchdog.unref();
  }

  write(s: string): void {
    this.port?.write(s);
  }

  private open(): void {
    if (this.stopped) return;
    const port = new SerialPort({ path: this.o.path, baudRate: this.o.baudRate, autoOpen: false });
    this.port = port;
    port.on('data', (b: Buffer) => {
      this.state.lastDataAt = Date.now();
      this.silentAgain = false;
      this.state.bytes += b.length;
      this.o.onData(b);
    });
    port.on('error', (e) => this.lost(port, e.message));
    port.on('close', (e?: Error | null) => this.lost(port, e?.message ?? 'port closed'));
    port.open((err) => {
      if (this.stopped) {
        if (!err) port.close(() => {});
        return;
      }
      if (err) return this.lost(port, err.message);
      this.state.open = true;
      this.state.error = undefined;
      this.state.openedAt = Date.now();
      if (this.everOpened) this.state.reopens++;
      this.o.log.info(
        { device: this.o.name, path: this.o.path, reopen: this.everOpened },
        'serial port open',
      );
      this.everOpened = true;
      this.delay = this.o.retryMs ?? 500;
      this.o.onOpen?.((s) => port.write(s));
    });
  }

  /** One log line per outage (not per retry), then retry with backoff. */
  private lost(port: SerialPort, why: string, quiet = false): void {
    if (port !== this.port || this.stopped) return;
    this.port = undefined;
    const wasOpen = this.state.open;
    const first = !quiet && (wasOpen || this.state.error === undefined);
    this.state.open = false;
    this.state.error = `${this.o.path}: ${why}`;
    if (first)
      this.o.log.warn(
        { device: this.o.name, path: this.o.path, err: why },
        wasOpen ? 'serial port lost; will reopen when it returns' : 'serial port not available; retrying',
      );
    port.removeAllListeners('data');
    if (port.isOpen) port.close(() => {});
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), this.delay);
    this.delay = Math.min(this.delay * 2, this.o.maxRetryMs ?? 4000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    const port = this.port;
    this.port = undefined;
    this.state.open = false;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
  }
}
