/**
 * @module sim/processes
 * Start the project's own processes (central, gateways, simulators) as real child processes, the
 * way they run in the field, for the end-to-end tests, fault tests and the demo.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** lines printed so far (stdout and stderr), for diagnostics */
  output: string[];
  /** SIGTERM, then SIGKILL after a grace period; resolves when it exited */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  exited(): boolean;
}

export interface SpawnOptions {
  name: string;
  /** an entry relative to the repo root (or absolute): `.ts` runs with tsx, built `.js` with plain node */
  script: string;
  /** working directory (default the repo root) */
  cwd?: string;
  args?: string[];
  env?: Record<string, string>;
  /** resolve once a printed line matches; the match is returned */
  readyLine?: RegExp;
  readyTimeoutMs?: number;
  /** forward the process output to this function (the demo prints it) */
  onLine?: (line: string) => void;
}

export async function spawnTs(
  opts: SpawnOptions,
): Promise<{ proc: ManagedProcess; match?: RegExpMatchArray }> {
  const entry = resolve(REPO_ROOT, opts.script);
  const child = spawn(
    process.execPath,
    [...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry, ...(opts.args ?? [])],
    {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  let waiting: ((m: RegExpMatchArray) => void) | undefined;
  const onData = (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      if (!line) continue;
      output.push(line);
      if (output.length > 2000) output.shift();
      opts.onLine?.(line);
      const m = opts.readyLine && line.match(opts.readyLine);
      if (m && waiting) {
        waiting(m);
        waiting = undefined;
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exitedP = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: ManagedProcess = {
    name: opts.name,
    child,
    output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async kill(signal = 'SIGKILL') {
      if (!proc.exited()) child.kill(signal);
      await exitedP;
    },
    async stop(graceMs = 5000) {
      if (proc.exited()) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitedP;
      clearTimeout(t);
    },
  };
  if (!opts.readyLine) return { proc };
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    waiting = resolve;
    const t = setTimeout(
      () =>
        reject(
          new Error(
            `${opts.name} not ready in ${opts.readyTimeoutMs ?? 30_000} ms:\n${output.slice(-15).join('\n')}`,
          ),
        ),
      opts.readyTimeoutMs ?? 30_000,
    );
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(
        new Error(`${opts.name} exited with ${code} before it was ready:\n${output.slice(-15).join('\n')}`),
      );
    });
    void exitedP;
  }).finally(() => undefined);
  return { proc, match };
}

export async function startCentral(o: {
  natsUrl: string;
  dataDir: string;
  onLine?: (l: string) => void;
  port?: number;
  /** sign in the demo users (fixed tokens): the demo and the tests do; a deployment never */
  demo?: boolean;
  /** `postgres://…`: central's case store (default lowdb in dataDir) */
  storeUrl?: string;
}) {
  const { proc, match } = await spawnTs({
    name: 'central',
    script: 'central/main.ts',
    args: [
      '--port',
      String(o.port ?? 0),
      '--nats',
      o.natsUrl,
      '--data',
      o.dataDir,
      ...(o.demo ? ['--demo'] : []),
      ...(o.storeUrl ? ['--store', o.storeUrl] : []),
    ],
    readyLine: /central listening on (http:\/\/\S+)/,
    onLine: o.onLine,
    readyTimeoutMs: 60_000,
  });
  return { proc, url: match![1] };
}

export async function startGatewayProcess(o: {
  configPath: string;
  name: string;
  onLine?: (l: string) => void;
}) {
  const { proc } = await spawnTs({
    name: o.name,
    script: 'edge/main.ts',
    args: ['--config', o.configPath],
    onLine: o.onLine,
  });
  return proc;
}
