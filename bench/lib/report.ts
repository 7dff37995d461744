/**
 * @module bench/lib/report
 * Renders results: a plain table for the console, and the Markdown results section of
 * BENCHMARKS.md (between `<!-- results:start -->` and `<!-- results:end -->`), regenerated from
 * bench/results/latest.json after every run so the document never drifts from the numbers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './types.js';

export const fmt = (v: number | undefined | null) =>
  v === undefined || v === null || Number.isNaN(v)
    ? '-'
    : Math.abs(v) >= 1000
      ? Math.round(v).toLocaleString('en-US')
      : Math.abs(v) >= 10
        ? v.toFixed(1)
        : v.toFixed(3);

function rows(r: BenchResult): string[][] {
  if (r.error) return [[r.name, 'FAILED', r.error.split('\n')[0], '', '']];
  const out: string[][] = [];
  for (const q of r.ratios)
    out.push([
      r.name,
      `ratio ${q.label}`,
      `${fmt(q.value.median)}x`,
      `${fmt(q.value.min)}..${fmt(q.value.max)}`,
      String(q.value.n),
    ]);
  for (const [k, s] of Object.entries(r.figures))
    out.push([
      r.name,
      `${k} (${s.unit})`,
      fmt(s.median),
      s.p99 !== undefined ? `p50 ${fmt(s.p50)}, p99 ${fmt(s.p99)}` : `${fmt(s.min)}..${fmt(s.max)}`,
      String(s.n),
    ]);
  out.push([
    r.name,
    'peak RSS of the benchmark process (MB) / wall (s)',
    String(r.peakRssMB),
    String(r.wallS),
    '',
  ]);
  return out;
}

const HEAD = ['benchmark', 'measure', 'median', 'spread: min..max, or p50, p99', 'n'];

export function consoleTable(results: BenchResult[]): string {
  const all = [HEAD, ...results.flatMap(rows)];
  const w = HEAD.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
}

export function markdown(results: Record<string, BenchResult>, machine: Record<string, unknown>): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `Machine: ${machine.nproc}x ${machine.cpu}, node ${machine.node}, load average ${JSON.stringify(machine.loadavgBefore)} before / ${JSON.stringify(machine.loadavg)} after the last run (commit ${machine.commit}).`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
  ];
  for (const r of Object.values(results))
    for (const row of rows(r)) lines.push(`| ${row.map(esc).join(' | ')} |`);
  lines.push('', 'Notes per benchmark (inputs, what was not available):', '');
  for (const r of Object.values(results))
    lines.push(`- **${r.name}** (${r.at ?? '?'}): ${r.notes.map(esc).join('; ') || '-'}`);
  return lines.join('\n');
}

/** Replace the generated section of BENCHMARKS.md, when the file and its markers exist. */
export function updateBenchmarksMd(
  file: string,
  results: Record<string, BenchResult>,
  machine: Record<string, unknown>,
): boolean {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return false;
  writeFileSync(file, `${text.slice(0, a + start.length)}\n${markdown(results, machine)}\n${text.slice(b)}`);
  return true;
}
