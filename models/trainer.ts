/**
 * @module models/trainer
 * Run one of the Python trainers (models/train/*.py) as a child process: its progress lines are
 * forwarded as they come, a non-zero exit rejects with its last output, and a SIGINT/SIGTERM to
 * this process stops the trainer and rejects too, so the caller's `finally` removes the half-built
 * version folder before the process exits (`stopSignal()` then names the signal for the exit code).
 */
import { spawn } from 'node:child_process';
import { python } from './eval/index.js';

let stoppedBy: NodeJS.Signals | undefined;

/** The signal that stopped the last trainer run, if one did (the CLI exits 128 + its number). */
export const stopSignal = () => stoppedBy;

export function runTrainer(what: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(python(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const take = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
      for (const l of b.toString().split('\n')) if (l.trim()) log(l);
    };
    const stop = (sig: NodeJS.Signals) => {
      stoppedBy = sig;
      p.kill('SIGTERM');
    };
    const signals = ['SIGINT', 'SIGTERM'] as const;
    for (const s of signals) process.on(s, stop);
    p.stdout.on('data', take);
    p.stderr.on('data', take);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      for (const s of signals) process.off(s, stop);
      if (code === 0 && !stoppedBy) return resolve();
      const why = stoppedBy ? `stopped by ${stoppedBy}` : `stopped (${signal ?? `exit ${code}`})`;
      reject(new Error(`${what}: training ${why}; nothing written\n${tail}`));
    });
  });
}
