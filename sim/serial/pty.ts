/**
 * @module sim/serial/pty
 * A socat pseudo-terminal pair with stable link paths: the simulator writes one end (`a`), the
 * unit reads the other (`b`). `restart()` brings the pair back at the same paths, as a USB
 * device coming back would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PtyPair {
  a: string;
  b: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** socat prints this (with -d -d) once both pseudo-terminals and their links exist */
const READY = /starting data transfer loop/;

/**
 * @example
 * const gps = await startPtyPair(tmpDir, 'gps'); // gps.a for the simulator, gps.b for the unit
 */
export async function startPtyPair(dir: string, name: string): Promise<PtyPair> {
  const a = join(dir, `${name}-a`);
  const b = join(dir, `${name}-b`);
  let proc: ChildProcess | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const p = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      proc = p;
      let said = '';
      const timer = setTimeout(
        () => reject(new Error(`socat links ${a} ${b}: not ready in 5 s: ${said}`)),
        5000,
      );
      const onOutput = (chunk: Buffer) => {
        said += chunk.toString();
        if (!READY.test(said)) return;
        clearTimeout(timer);
        p.stderr.off('data', onOutput);
        p.stderr.resume(); // keep draining: socat blocks on a full pipe
        resolve();
      };
      p.stderr.on('data', onOutput);
      p.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`socat could not start (is it installed? apt-get install socat): ${e.message}`));
      });
      p.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited with ${code} before its links ${a} ${b} were ready: ${said.trim()}`));
      });
    });
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await gone; // socat removes its links before it exits on SIGTERM
    if (existsSync(a) || existsSync(b)) throw new Error(`socat left its links ${a} ${b} behind`);
  };
  await start();
  return {
    a,
    b,
    stop,
    async restart() {
      await stop();
      await start();
    },
  };
}
