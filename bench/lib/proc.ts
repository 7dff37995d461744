/**
 * @module bench/lib/proc
 * What Linux's /proc says about a process: CPU seconds used so far and memory figures, for the
 * benchmarks that run what they measure as processes of their own (central, gateways, PostgreSQL).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux) */
const CLK_TCK = 100;

/** The command name and the fields after it of /proc/<pid>/stat ("pid (comm) state …"). */
function stat(pid: number | string): { comm: string; fields: string[] } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the name may hold spaces and parentheses: it ends at the last ')'
  const close = s.lastIndexOf(')');
  return { comm: s.slice(s.indexOf('(') + 1, close), fields: s.slice(close + 2).split(' ') };
}

/** utime + stime (the 14th and 15th fields) in seconds */
const seconds = (fields: string[]) => (Number(fields[11]) + Number(fields[12])) / CLK_TCK;

/** CPU seconds (user + system) process `pid` has used so far. */
export function cpuSeconds(pid: number): number {
  return seconds(stat(pid).fields);
}

/** A `kB` figure of /proc/<pid>/status in MB (`VmHWM`: peak RSS, `VmRSS`: RSS now); 0 when absent. */
export function statusMB(pid: number, key: string): number {
  return (
    Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
  );
}

/**
 * CPU seconds used so far by every `postgres` process on this machine (server and backends);
 * undefined where /proc cannot tell (not Linux). The difference over a timed window is
 * PostgreSQL's share of the work done in it, when it runs here.
 */
export function postgresCpuSeconds(): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const s = stat(pid);
      if (s.comm === 'postgres') total += seconds(s.fields);
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}
