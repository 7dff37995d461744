/**
 * @module bench/lib/cases
 * Stored cases for the size sweeps: a year (or any span) of the demo city's cases with
 * realistic lives (register → dispatch → accept → feedback → close, some returns, reworks,
 * rejections; recent ones still open), written straight into the lowdb store's month partition
 * files so `LowdbCaseStore.open()` loads them as if central had recorded them. The newest
 * `reported` cases stay unconfirmed: the transition benchmarks act on them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseRecord } from '../../central/cases/model.js';
import type { City } from '../../central/city/index.js';
import { mkCase, type Step } from '../../central/scoring/fixtures.js';
import { newId } from '../../protocol/index.js';

const DAY = 86_400_000;

/** Deterministic PRNG so every run stores the same cases. */
export function prng(seed = 42) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenOptions {
  n: number;
  /** creation times spread evenly over this many days before `end` */
  days: number;
  end: Date;
  /** the newest this many cases stay `reported` (awaiting confirmation) */
  reported: number;
  /** cases younger than this many days are still somewhere along their life (default 3) */
  openDays?: number;
  seed?: number;
}

export function generateCases(city: City, o: GenOptions): CaseRecord[] {
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const grids = [...city.grids.values()];
  const cats = [...city.categories.keys()];
  const out: CaseRecord[] = [];
  const t0 = o.end.getTime() - o.days * DAY;
  for (let i = 0; i < o.n; i++) {
    const created = t0 + Math.floor(((i + rnd()) / o.n) * o.days * DAY);
    const at = (h: number) => new Date(created + h * 3_600_000).toISOString();
    const grid = pick(grids);
    const category = pick(cats);
    const unit = city.route(category, grid.code) ?? `${grid.areaId}-zf`;
    const age = (o.end.getTime() - created) / DAY;
    const r = rnd();
    let steps: Step[] = [];
    if (i >= o.n - o.reported) steps = [];
    else if (r < 0.1) steps = [['reject', at(0.5)]];
    else {
      const life: Step[] = [
        ['register', at(0.2)],
        ['dispatch', at(0.3), unit],
        ['accept', at(1)],
      ];
      if (r < 0.15) life.push(['return', at(2)], ['dispatch', at(3), unit], ['accept', at(4)]);
      life.push(['feedback', at(20)]);
      if (r > 0.95) life.push(['rework', at(22)], ['accept', at(23)], ['feedback', at(30)]);
      life.push(['close', at(32)]);
      // recent cases are still somewhere along their life
      const open = age < (o.openDays ?? 3) ? Math.floor(rnd() * life.length) : life.length;
      steps = life.slice(0, Math.max(1, open)).filter(([, t]) => Date.parse(t) < o.end.getTime());
    }
    const [lon0, lat0, lon1, lat1] = grid.bbox;
    const c = mkCase({
      id: newId(created),
      source: rnd() < 0.4 ? 'ai' : rnd() < 0.7 ? 'collector' : 'hotline_12345',
      category,
      createdAt: new Date(created).toISOString(),
      steps,
      grid: grid.code,
      deadline: at(24),
      onTime: rnd() < 0.9,
    });
    c.location = {
      lat: lat0 + (lat1 - lat0) * rnd(),
      lon: lon0 + (lon1 - lon0) * rnd(),
      gridCode: grid.code,
      streetId: grid.streetId,
      areaId: grid.areaId,
    };
    c.proposedUnitId = unit;
    c.deadlineSpec = city.deadlineOf(category);
    out.push(c);
  }
  return out;
}

/** Write cases as lowdb month partitions (`YYYY-MM.json`) in `dir` (central's `<data>/cases`). */
export function writePartitions(dir: string, cases: readonly CaseRecord[]): void {
  mkdirSync(dir, { recursive: true });
  const byMonth = new Map<string, CaseRecord[]>();
  for (const c of cases) {
    const m = c.createdAt.slice(0, 7);
    const l = byMonth.get(m);
    if (l) l.push(c);
    else byMonth.set(m, [c]);
  }
  for (const [m, l] of byMonth)
    writeFileSync(join(dir, `${m}.json`), JSON.stringify({ cases: l, incidents: [], idempotency: [] }));
}
