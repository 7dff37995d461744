/**
 * vehicle episodes - the open incidents, their ids and revisions, are kept in one place: the
 * episode state (saved with the vehicle); a state saved before that (v1, ids in a list beside the
 * episodes) is read into it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSavedVehicle } from '../vehicle-unit.js';
import { closeEpisode, type EpisodeState, idleEpisode, reviseEpisode, stepEpisode } from './episode.js';
import { initialRulesState } from './index.js';

const p = { minDurationS: 2, endAfterS: 3, updateEveryS: 10, newId: (t: number) => `id-${t}` };
const line = (e: { type: string; incident: { id: string; rev: number } }) =>
  `${e.type} ${e.incident.id} ${e.incident.rev}`;

describe('vehicle episodes - ids and revisions', () => {
  it('numbers start 0, each update +1 (its own and a photo), the end +1, under one id made at the start', () => {
    let s = idleEpisode();
    const seen: string[] = [];
    const feed = (t: number, active: boolean) => {
      const out = stepEpisode(s, { t: t * 1000, active }, p);
      s = out.state;
      seen.push(...out.events.map(line));
    };
    for (let t = 1; t <= 13; t++) feed(t, true); // pending at 1, start at 3, update at 13
    const photo = reviseEpisode(s, 14_000);
    s = photo.state;
    seen.push(...photo.events.map(line));
    for (let t = 15; t <= 18; t++) feed(t, false); // ends 3 s after it stopped holding
    expect(seen).toEqual(['start id-1000 0', 'update id-1000 1', 'update id-1000 2', 'end id-1000 3']);
    expect(s).toEqual(idleEpisode());
    expect(reviseEpisode(s, 20_000).events).toEqual([]);
  });

  it('a forced end (unit stopping) is the next revision of the open incident', () => {
    let s = idleEpisode();
    for (let t = 0; t <= 2; t++) s = stepEpisode(s, { t: t * 1000, active: true }, p).state;
    expect(closeEpisode(s, 5000).map(line)).toEqual(['end id-0 1']);
    expect(closeEpisode(idleEpisode(), 5000)).toEqual([]);
  });
});

describe('vehicle episodes - saved state', () => {
  it('reads a v1 state into the episodes, keeping ids and revisions, and drops an open episode that had none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'veh-v1-'));
    try {
      const file = join(dir, 'truck.json');
      const active = (since: number): EpisodeState => ({ phase: 'active', since, acc: 0, updatedAt: since });
      const rules = initialRulesState();
      const pending: EpisodeState = { phase: 'pending', since: 7, acc: 0 };
      writeFileSync(
        file,
        JSON.stringify({
          v: 1,
          vehicleId: 'truck',
          plate: '湘D·A1234',
          episodes: { ...rules.episodes, overspeed: active(5), dumping: active(6), coverOpen: pending },
          details: rules.details,
          offline: {
            gps: { ...active(8), phase: 'ending', falseSince: 9 },
            can: idleEpisode(),
            di: idleEpisode(),
          },
          open: [
            ['overspeed', { id: 'old-speed', rev: 4 }],
            ['device-gps', { id: 'old-gps', rev: 0 }],
          ],
        }),
      );
      const saved = loadSavedVehicle(file, { warn() {} } as never);
      expect(saved?.v).toBe(2);
      expect(saved?.episodes).toEqual({
        ...rules.episodes,
        overspeed: { ...active(5), incident: { id: 'old-speed', rev: 4 } },
        dumping: idleEpisode(),
        coverOpen: pending,
      });
      expect(saved?.offline).toEqual({
        gps: { ...active(8), phase: 'ending', falseSince: 9, incident: { id: 'old-gps', rev: 0 } },
        can: idleEpisode(),
        di: idleEpisode(),
      });
      expect(saved).not.toHaveProperty('open');
      // the taken-back incident goes on with its id: its end is the next revision
      expect(closeEpisode(saved!.episodes.overspeed, 10).map(line)).toEqual(['end old-speed 5']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
