/**
 * @module edge/sync/replay
 * A gateway unit that replays a JSON-lines file of recorded incidents (one IncidentDraft per
 * line) through the normal outbox → NATS path: drills, re-sending incidents recorded on another
 * box, and the fault tests' incident source. Enabled by a `replay` section in the gateway config.
 *
 * Exactly-once across crashes: the position (lines done) is kept in the unit's data dir after
 * each incident is durable in the outbox; a line without an `id` gets one derived from the file
 * and line number, so a line re-sent after a crash carries the same id and revision and central
 * sees it once.
 * @example
 *   replay: { file: drills/2026-11-28.jsonl, ratePerS: 20 }
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ulid } from 'ulidx';
import { z } from 'zod';
import { Token } from '../../protocol/index.js';
import type { EdgeSinks, EdgeUnit, IncidentDraft, UnitContext } from '../unit.js';

export const ReplaySection = z.strictObject({
  file: z.string().min(1).describe('JSON lines file, one incident draft per line'),
  ratePerS: z.number().min(0.01).max(10_000).default(10).describe('incidents per second'),
  deviceId: Token.default('replay').describe('device id shown in heartbeats'),
});
export type ReplaySection = z.infer<typeof ReplaySection>;

/** A ULID that is the same for the same file and line: time from observedAt, randomness from a hash. */
export function replayId(fileKey: string, line: number, observedAt: string): string {
  const h = createHash('sha256').update(`${fileKey}:${line}`).digest();
  let i = 0;
  const t = Date.parse(observedAt);
  return ulid(Number.isFinite(t) ? t : 0, () => h[i++ % h.length]! / 256);
}

export function createReplayUnit(section: unknown, ctx: UnitContext, baseDir = process.cwd()): EdgeUnit {
  const r = ReplaySection.safeParse(section);
  if (!r.success) throw new Error(`replay section: ${r.error.issues.map((i) => i.message).join('; ')}`);
  const cfg = r.data;
  const file = cfg.file.startsWith('/') ? cfg.file : join(baseDir, cfg.file);
  const lines = readFileSync(file, 'utf8').split('\n');
  const fileKey = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
  mkdirSync(ctx.dataDir, { recursive: true });
  const posFile = join(ctx.dataDir, `replay-${basename(file)}-${fileKey}.pos`);
  const counters = { replayed: 0, invalid: 0, remaining: 0 };
  let pos = 0;
  try {
    pos = Number(readFileSync(posFile, 'utf8')) || 0;
  } catch {
    pos = 0;
  }
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const savePos = () => {
    writeFileSync(`${posFile}.tmp`, String(pos));
    renameSync(`${posFile}.tmp`, posFile);
  };

  const emitOne = async (sinks: EdgeSinks) => {
    const text = lines[pos]!.trim();
    if (text) {
      try {
        const draft = JSON.parse(text) as IncidentDraft;
        if (!draft.id) draft.id = replayId(fileKey, pos, draft.observedAt);
        await sinks.incident(draft);
        counters.replayed++;
      } catch (e) {
        counters.invalid++;
        ctx.log.warn({ line: pos + 1, err: (e as Error).message }, 'replay line skipped');
      }
    }
    pos++;
    savePos();
  };

  const tick = (sinks: EdgeSinks) => {
    const perTick = Math.max(1, Math.round(cfg.ratePerS / 20));
    running = (async () => {
      for (let k = 0; k < perTick && pos < lines.length && !stopped; k++) await emitOne(sinks);
      counters.remaining = Math.max(0, lines.length - pos);
      if (!stopped && pos < lines.length)
        timer = setTimeout(() => tick(sinks), Math.max(1, (1000 * perTick) / cfg.ratePerS));
      else if (pos >= lines.length) ctx.log.info({ file, replayed: counters.replayed }, 'replay finished');
    })();
  };

  return {
    name: `replay:${cfg.deviceId}`,
    async start(sinks) {
      stopped = false;
      ctx.log.info({ file, from: pos, lines: lines.length }, 'replay started');
      tick(sinks);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    devices: () => [
      {
        id: cfg.deviceId,
        type: 'di',
        online: true,
        lastSeenAt: new Date().toISOString(),
        counters: { ...counters, remaining: Math.max(0, lines.length - pos) },
      },
    ],
  };
}
