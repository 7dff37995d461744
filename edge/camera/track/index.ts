/**
 * @module edge/camera/track
 * IoU tracker with a centroid fallback, as a pure state machine:
 * `stepTracker(state, { t, detections }, params) → { state, started, ended }`.
 * Ids are stable while an object is matched frame to frame; a track survives missed frames for
 * `maxMissedS`, or `maxMissedStationaryS` once it has stood still (occlusions of parked cars). Stationary = the centre stays within a fraction of the box diagonal of its anchor;
 * `stationarySince` is when it last moved. Detections match tracks within a label group (a bus
 * seen as a truck in one frame is the same object); the track's label is the score-weighted vote
 * over its life, so it does not flip with one frame.
 */
import { type Box, type Detection, iou } from '../detect/index.js';

export interface Track {
  id: number;
  /** the label with the most score-weighted votes over the track's life */
  label: string;
  votes: Record<string, number>;
  box: Box;
  score: number;
  firstSeen: number;
  lastSeen: number;
  hits: number;
  /** matched in the latest frame */
  seen: boolean;
  anchor: [number, number];
  stationarySince: number;
}

export interface TrackerState {
  nextId: number;
  lastT: number;
  tracks: Track[];
}

export interface TrackerParams {
  iouMatch: number;
  maxMissedS: number;
  /** a track that had stood still for stationaryAfterS survives this long unseen (occlusion) */
  maxMissedStationaryS: number;
  stationaryAfterS: number;
  stationaryTolerance: number;
  /** labels that get the long occlusion allowance (vehicles, litter); people walk off */
  stationaryLabels?: readonly string[];
  /** label → group; detections match tracks of the same group (default: the same label) */
  groupOf?: (label: string) => string;
}

function vote(votes: Record<string, number>, label: string, score: number): Record<string, number> {
  return { ...votes, [label]: (votes[label] ?? 0) + score };
}

function winner(votes: Record<string, number>): string {
  return Object.entries(votes).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}

/** How long this track may go unseen: longer for things that stood still (a bus passing a parked car). */
export function missedLimitMs(tr: Track, p: TrackerParams): number {
  const stood =
    (p.stationaryLabels?.includes(tr.label) ?? false) &&
    tr.lastSeen - tr.stationarySince >= p.stationaryAfterS * 1000;
  return (stood ? Math.max(p.maxMissedS, p.maxMissedStationaryS) : p.maxMissedS) * 1000;
}

export const initialTracker = (): TrackerState => ({
  nextId: 1,
  lastT: Number.NEGATIVE_INFINITY,
  tracks: [],
});

export { iou };

const centre = (b: Box): [number, number] => [b.x + b.w / 2, b.y + b.h / 2];
const diag = (b: Box) => Math.hypot(b.w, b.h);
const dist = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);

export function stepTracker(
  state: TrackerState,
  input: { t: number; detections: readonly Detection[] },
  p: TrackerParams,
): { state: TrackerState; started: Track[]; ended: Track[] } {
  const { t, detections } = input;
  if (t <= state.lastT) return { state, started: [], ended: [] }; // out of order or duplicate frame
  const tracks = state.tracks.map((tr) => ({ ...tr, seen: false }));
  const pairs: { ti: number; di: number; score: number }[] = [];
  const groupOf = p.groupOf ?? ((l: string) => l);
  tracks.forEach((tr, ti) => {
    detections.forEach((d, di) => {
      if (groupOf(d.label) !== groupOf(tr.label)) return;
      const o = iou(tr.box, d.box);
      // Centroid fallback for small or fast-shrinking boxes: close centres count, ranked below any IoU match.
      const near = dist(centre(tr.box), centre(d.box)) < 0.5 * diag(tr.box);
      if (o >= p.iouMatch) pairs.push({ ti, di, score: 1 + o });
      else if (near) pairs.push({ ti, di, score: 1 - dist(centre(tr.box), centre(d.box)) / diag(tr.box) });
    });
  });
  pairs.sort((a, b) => b.score - a.score);
  const usedT = new Set<number>();
  const usedD = new Set<number>();
  for (const { ti, di } of pairs) {
    if (usedT.has(ti) || usedD.has(di)) continue;
    usedT.add(ti);
    usedD.add(di);
    const tr = tracks[ti];
    const d = detections[di];
    const c = centre(d.box);
    const moved = dist(c, tr.anchor) > p.stationaryTolerance * diag(d.box);
    const votes = vote(tr.votes, d.label, d.score);
    tracks[ti] = {
      ...tr,
      label: winner(votes),
      votes,
      box: d.box,
      score: d.score,
      lastSeen: t,
      hits: tr.hits + 1,
      seen: true,
      anchor: moved ? c : tr.anchor,
      stationarySince: moved ? t : tr.stationarySince,
    };
  }
  let nextId = state.nextId;
  const started: Track[] = [];
  detections.forEach((d, di) => {
    if (usedD.has(di)) return;
    const tr: Track = {
      id: nextId++,
      label: d.label,
      votes: { [d.label]: d.score },
      box: d.box,
      score: d.score,
      firstSeen: t,
      lastSeen: t,
      hits: 1,
      seen: true,
      anchor: centre(d.box),
      stationarySince: t,
    };
    tracks.push(tr);
    started.push(tr);
  });
  const ended = tracks.filter((tr) => t - tr.lastSeen > missedLimitMs(tr, p));
  const alive = tracks.filter((tr) => t - tr.lastSeen <= missedLimitMs(tr, p));
  return { state: { nextId, lastT: t, tracks: alive }, started, ended };
}
