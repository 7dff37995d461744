/**
 * camera lifecycle - the open incidents, their ids and revisions, are kept in one place: the
 * lifecycle state (saved with the camera); a state saved before that (v1, ids in a list beside
 * the lifecycle) is read into it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSavedCamera } from '../unit.js';
import { initialLifecycle, stepLifecycle } from './lifecycle.js';
import type { Finding } from './types.js';

const finding = (key: string, since = 0): Finding => ({
  key,
  kind: 'illegal_parking',
  zoneId: 'np',
  trackIds: [1],
  confidence: 0.9,
  since,
  details: {},
});
const p = { cooldownS: () => 0, updateEveryS: 10, newId: (t: number) => `id-${t}` };

describe('camera lifecycle - ids and revisions', () => {
  it('numbers new 0, each update +1, the end +1, under one id from the first frame', () => {
    let s = initialLifecycle();
    const seen: string[] = [];
    for (const [t, findings] of [
      [1000, [finding('a', 400)]],
      [5000, [finding('a', 400)]],
      [11_000, [finding('a', 400)]],
      [21_500, [finding('a', 400)]],
      [22_000, []],
    ] as const) {
      const out = stepLifecycle(s, { t, findings }, p);
      s = out.state;
      for (const e of out.events)
        seen.push(`${e.phase} ${e.incident.id} ${e.incident.rev} ${e.incident.startedAt}`);
    }
    const start = new Date(400).toISOString();
    expect(seen).toEqual([
      `new id-1000 0 ${start}`,
      `update id-1000 1 ${start}`,
      `update id-1000 2 ${start}`,
      `end id-1000 3 ${start}`,
    ]);
    expect(s.open).toEqual({});
  });
});

describe('camera lifecycle - saved state', () => {
  it('reads a v1 state into the lifecycle, keeping the ids and revisions, and drops what had none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cam-v1-'));
    try {
      const file = join(dir, 'cam.json');
      const camera = { id: 'cam', location: { lat: 26.9, lon: 112.6 } };
      writeFileSync(
        file,
        JSON.stringify({
          v: 1,
          camera,
          engine: {
            tracker: { nextId: 2, lastT: 5, tracks: [] },
            rules: {},
            lifecycle: {
              open: {
                a: { finding: finding('a'), lastRevAt: 5 },
                b: { finding: finding('b'), lastRevAt: 5 },
              },
              cooldown: {},
            },
          },
          open: [['a', { id: 'old-a', rev: 4, startedAt: '2026-11-30T01:00:00.000Z' }]],
        }),
      );
      const saved = loadSavedCamera(file, { warn() {} } as never);
      expect(saved?.v).toBe(2);
      expect(saved?.engine.lifecycle.open).toEqual({
        a: {
          finding: finding('a'),
          lastRevAt: 5,
          id: 'old-a',
          rev: 4,
          startedAt: '2026-11-30T01:00:00.000Z',
        },
      });
      expect(saved).not.toHaveProperty('open');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
