/**
 * camera - rules: tracker, zones and rules as pure state machines driven by timed detection
 * sequences (no clocks, no sleeps). Times are seconds from a Monday 10:00 Asia/Shanghai.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOCS, normaliseTables, renderReadme } from '../../../scripts/config-doc.js';
import { CameraSection } from '../config.js';
import type { Detection } from '../detect/index.js';
import { initialEngine, judgeFrame, personsToJudge, trackFrame } from '../engine.js';
import { initialTracker, stepTracker } from '../track/index.js';
import { pointInPolygon, scheduleActive } from '../zones/index.js';
import { initialRules, type Rule, stepRules } from './index.js';

const T0 = Date.parse('2026-11-23T02:00:00Z'); // Monday 10:00 in Asia/Shanghai
const at = (s: number) => T0 + s * 1000;

function section(zones: unknown[]) {
  return CameraSection.parse({
    models: { detector: 'd.json', classifier: 'c.json' },
    list: [
      {
        id: 'cam-1',
        xaddr: 'http://127.0.0.1:1/onvif/device_service',
        location: { lat: 30, lon: 120 },
        zones,
      },
    ],
  });
}
const ZONE = [
  [100, 100],
  [500, 100],
  [500, 400],
  [100, 400],
] as [number, number][];

const car = (x: number, y = 200, score = 0.9): Detection => ({
  label: 'vehicle',
  classId: 1,
  score,
  box: { x, y, w: 120, h: 60 },
});
const litterAt = (x: number): Detection => ({
  label: 'litter',
  classId: 2,
  score: 0.8,
  box: { x, y: 300, w: 30, h: 20 },
});
const person = (x: number): Detection => ({
  label: 'person',
  classId: 0,
  score: 0.85,
  box: { x, y: 150, w: 40, h: 120 },
});

interface Frame {
  s: number;
  dets: Detection[];
  /** for persons: in uniform? (what the classifier would say) */
  uniform?: boolean;
}

function run(sec: CameraSection, frames: Frame[]) {
  const p = { camera: sec.list[0], section: sec };
  let st = initialEngine();
  const events: string[] = [];
  const marks: string[] = [];
  for (const f of frames) {
    const tr = trackFrame(st, at(f.s), f.dets, p);
    st = tr.state;
    if (!tr.fresh) continue;
    const judged = Object.fromEntries(
      personsToJudge(tr.tracks, at(f.s), p).map((t) => [t.id, f.uniform ?? true]),
    );
    const out = judgeFrame(st, at(f.s), judged, p);
    st = out.state;
    for (const e of out.events) events.push(`${f.s}:${e.phase}:${e.finding.kind}:${e.finding.zoneId}`);
    for (const m of out.marks) marks.push(`${f.s}:${m.key.split(':')[0]}`);
  }
  return { events, marks, state: st };
}

/** Frames every `step` seconds from `from` to `to` (inclusive). */
function every(
  from: number,
  to: number,
  step: number,
  dets: (s: number) => Detection[],
  uniform?: boolean,
): Frame[] {
  const out: Frame[] = [];
  for (let s = from; s <= to; s += step) out.push({ s, dets: dets(s), uniform });
  return out;
}

describe('camera - rules: illegal parking', () => {
  const sec = section([{ id: 'np', type: 'no_parking', polygon: ZONE, stoppedAfterS: 10, dwellS: 120 }]);

  it('a car drives in, parks: stopped after 10 s, violation after the dwell, end when it leaves', () => {
    const frames = [
      ...every(0, 18, 2, (s) => [car(s * 10)]), // driving in: x 0..180
      ...every(20, 200, 2, (s) => [car(200, 202 + (s % 4 === 0 ? 1 : -1))]), // parked, jittering a pixel
      ...every(202, 230, 2, (s) => [car(200 + (s - 200) * 20)]), // drives off to the right
      ...every(232, 250, 2, () => []),
    ];
    const { events, marks } = run(sec, frames);
    // stopped at 20 s (last move), confirmed at 30 s; violation at 20 + 10 + 120 = 150 s.
    expect(marks).toEqual(['30:illegal_parking']);
    // At 202 it has moved 40 px (more than 15 % of its diagonal): the cause is gone.
    expect(events).toEqual(['150:new:illegal_parking:np', '202:end:illegal_parking:np']);
  });

  it('a car that only stops briefly produces nothing', () => {
    const frames = [
      ...every(0, 18, 2, (s) => [car(s * 10)]),
      ...every(20, 80, 2, () => [car(200)]), // 60 s stop < 130 s
      ...every(82, 120, 2, (s) => [car(200 + (s - 80) * 20)]),
    ];
    expect(run(sec, frames).events).toEqual([]);
  });

  it('a car parked outside the zone (bottom centre outside) produces nothing', () => {
    expect(
      run(
        sec,
        every(0, 400, 5, () => [car(600)]),
      ).events,
    ).toEqual([]);
  });

  it('missed detections shorter than maxMissedS keep the same incident', () => {
    const frames = every(0, 400, 2, (s) => (s % 10 === 4 ? [] : [car(200)]));
    expect(run(sec, frames).events).toEqual(['130:new:illegal_parking:np']);
  });
});

describe('camera - rules: litter', () => {
  const sec = section([{ id: 'lt', type: 'litter', polygon: ZONE, persistS: 30, cooldownS: 120 }]);

  it('litter that appears and stays produces one incident; removal ends it; cooldown blocks a quick repeat', () => {
    const frames = [
      ...every(0, 10, 2, () => []),
      ...every(12, 100, 2, (s) => (s % 6 === 0 ? [] : [litterAt(200)])), // flickering detector
      ...every(102, 200, 2, () => []), // removed
      ...every(202, 400, 2, () => [litterAt(300)]), // dropped again
    ];
    const { events } = run(sec, frames);
    // First seen at 14 (12 is a dropped frame) + 30 → 44. Lost at 100; it had stood still, so the
    // tracker waits maxMissedStationaryS (60 s) for an occlusion to pass → end at 162. The new
    // piece persists from 232, but the cooldown (120 s from 162) holds it until 282.
    expect(events).toEqual(['44:new:litter:lt', '162:end:litter:lt', '282:new:litter:lt']);
  });
});

describe('camera - rules: uniform and absence', () => {
  const post = {
    id: 'post',
    type: 'post',
    polygon: ZONE,
    consensusFrames: 5,
    consensusRatio: 0.6,
    absenceS: 300,
  };

  it('an out-of-uniform person produces one incident after consensus; a uniformed one none', () => {
    const sec = section([post]);
    const bad = run(
      sec,
      every(0, 60, 2, () => [person(200)], false),
    );
    expect(bad.events).toEqual(['8:new:uniform_violation:post']); // 5th judgement at 8 s
    const good = run(
      sec,
      every(0, 60, 2, () => [person(200)], true),
    );
    expect(good.events).toEqual([]);
  });

  it('a post left empty during duty hours produces an absence incident; staff back ends it', () => {
    const sec = section([{ ...post, schedule: [{ days: [1, 2, 3, 4, 5], from: '08:00', to: '18:00' }] }]);
    const frames = [
      ...every(0, 100, 5, () => [person(200)], true), // staffed
      ...every(105, 500, 5, () => []), // left at 100 s
      ...every(505, 600, 5, () => [person(200)], true), // back
    ];
    // The tracker keeps the guard's track through a 5 s dropout (maxMissedS 8), so empty counts from 105.
    expect(run(sec, frames).events).toEqual([
      '405:new:absence_from_post:post',
      '505:end:absence_from_post:post',
    ]);
  });

  it('outside duty hours an empty post is fine', () => {
    const sec = section([{ ...post, schedule: [{ days: [6, 7], from: '08:00', to: '18:00' }] }]);
    expect(
      run(
        sec,
        every(0, 1000, 10, () => []),
      ).events,
    ).toEqual([]);
  });
});

describe('camera - tracker and zones', () => {
  const p = {
    iouMatch: 0.3,
    maxMissedS: 8,
    maxMissedStationaryS: 60,
    stationaryAfterS: 10,
    stationaryTolerance: 0.15,
    stationaryLabels: ['vehicle'],
  };

  it('ids are stable across frames, new objects get new ids, lost ones end after maxMissedS', () => {
    let s = initialTracker();
    const r1 = stepTracker(s, { t: 0, detections: [car(100), car(400)] }, p);
    s = r1.state;
    const r2 = stepTracker(s, { t: 1000, detections: [car(405), car(110)] }, p);
    expect(r2.state.tracks.map((t) => [t.id, Math.round(t.box.x)])).toEqual([
      [1, 110],
      [2, 405],
    ]);
    const r3 = stepTracker(r2.state, { t: 10_000, detections: [car(110)] }, p);
    expect(r3.ended.map((t) => t.id)).toEqual([2]);
    expect(r3.started).toEqual([]);
  });

  it('a parked car hidden by a passing bus keeps its id; a car seen only driving is dropped after maxMissedS', () => {
    let s = initialTracker();
    for (let t = 0; t <= 30_000; t += 2000) s = stepTracker(s, { t, detections: [car(200)] }, p).state;
    const hidden = stepTracker(s, { t: 70_000, detections: [] }, p); // 40 s unseen < 60 s
    expect(hidden.ended).toEqual([]);
    const back = stepTracker(hidden.state, { t: 72_000, detections: [car(202)] }, p);
    expect(back.state.tracks.map((t) => [t.id, t.stationarySince])).toEqual([[1, 0]]);
    let m = initialTracker();
    for (let t = 0; t <= 8000; t += 2000) m = stepTracker(m, { t, detections: [car(t / 200)] }, p).state;
    expect(stepTracker(m, { t: 20_000, detections: [] }, p).ended.map((t) => t.id)).toEqual([1]);
  });

  it('out-of-order frames are ignored', () => {
    const a = stepTracker(initialTracker(), { t: 5000, detections: [car(100)] }, p);
    const b = stepTracker(a.state, { t: 4000, detections: [car(300)] }, p);
    expect(b.state).toBe(a.state);
  });

  it('point in polygon and schedules across midnight in the configured zone', () => {
    expect(pointInPolygon(300, 300, ZONE)).toBe(true);
    expect(pointInPolygon(50, 300, ZONE)).toBe(false);
    const night = [{ days: [1], from: '22:00', to: '06:00' }];
    // Monday 23:00 and Tuesday 05:00 Shanghai are on; Tuesday 07:00 is off.
    expect(scheduleActive(night, Date.parse('2026-11-23T15:00:00Z'), 'Asia/Shanghai')).toBe(true);
    expect(scheduleActive(night, Date.parse('2026-11-23T21:00:00Z'), 'Asia/Shanghai')).toBe(true);
    expect(scheduleActive(night, Date.parse('2026-11-23T23:00:00Z'), 'Asia/Shanghai')).toBe(false);
  });

  it('a rule that throws is reported and skipped; the others still run', () => {
    const boom: Rule<null> = {
      kind: 'litter',
      init: () => null,
      step() {
        throw new Error('boom');
      },
    };
    const ok: Rule<null> = {
      kind: 'overspeed',
      init: () => null,
      step: () => ({
        state: null,
        findings: [
          { key: 'k', kind: 'overspeed', zoneId: 'z', trackIds: [], confidence: 1, since: 0, details: {} },
        ],
      }),
    };
    const r = stepRules(
      initialRules(),
      { t: 0, tracks: [], judgements: {} },
      { zones: [], labels: { vehicle: [], person: [], litter: [] }, timezone: 'UTC' },
      [boom, ok],
    );
    expect(r.errors).toEqual([{ rule: 'litter', error: 'boom' }]);
    expect(r.findings.map((f) => f.key)).toEqual(['k']);
  });
});

describe('camera - config', () => {
  it('cross-field checks name the camera and zone', () => {
    const r = CameraSection.safeParse({
      models: { detector: 'd.json' },
      list: [
        {
          id: 'gate-1',
          location: { lat: 30, lon: 120 },
          zones: [
            { id: 'p', type: 'post', polygon: ZONE },
            {
              id: 'flat',
              type: 'litter',
              polygon: [
                [0, 0],
                [10, 10],
                [20, 20],
              ],
            },
          ],
        },
      ],
    });
    const msgs = r.error?.issues.map((i) => i.message) ?? [];
    expect(msgs).toContain('camera gate-1: needs xaddr or discovery');
    expect(msgs).toContain('camera gate-1 zone p: post zones need models.classifier (uniform model)');
    expect(msgs).toContain('camera gate-1 zone flat: polygon has no area');
  });

  it('the README config reference is generated from the schema and up to date', () => {
    const { readme, schema } = CONFIG_DOCS.camera;
    const text = readFileSync(readme, 'utf8');
    expect(normaliseTables(renderReadme(text, schema)), 'run: npx tsx scripts/config-doc.ts').toBe(
      normaliseTables(text),
    );
  });

  it('unknown keys are rejected', () => {
    const r = CameraSection.safeParse({ models: { detector: 'd' }, list: [], colour: 1 });
    expect(r.success).toBe(false);
  });
});
