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

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * @example
 * const gps = await startPtyPair(tmpDir, 'gps'); // gps.a for the simulator, gps.b for the unit
 */
export async function startPtyPair(dir: string, name: string): Promise<PtyPair> {
  const a = join(dir, `${name}-a`);
  const b = join(dir, `${name}-b`);
  let proc: ChildProcess | undefined;
  const start = async () => {
    const p = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
      stdio: 'ignore',
    });
    p.on('error', (e) => {
      throw new Error(`socat could not start (is it installed? apt-get install socat): ${e.message}`);
    });
    proc = p;
    await until(() => existsSync(a) && existsSync(b), 5000, `socat links ${a} ${b}`);
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await gone;
    await until(() => !existsSync(a) && !existsSync(b), 5000, 'socat links to go');
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
