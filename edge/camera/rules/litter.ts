/**
 * @module edge/camera/rules/litter
 * Litter / exposed garbage, one incident per zone while any piece persists (a pile seen as a
 * changing number of boxes is still one problem to clear); it lists every persisting piece and
 * ends when none is left (removed). A zone finds pieces one of two ways (`litterBy`):
 * - `detector`: litter-class tracks in the zone for `persistS`;
 * - `persistence`: static objects against the camera's learnt background (edge/camera/background)
 *   for `persistS`, not people or vehicles; an overlapping litter-class track raises the
 *   confidence. While a person or vehicle hides the object the incident holds.
 */
import type { Box } from '../detect/index.js';
import { boxInZone, scheduleActive } from '../zones/index.js';
import type { Finding, Mark, Rule, RuleInput, RuleParams } from './types.js';

/**
 * per piece `${zoneId}:${trackId}` → when it was first seen in the zone (detector), or
 * `${zoneId}:bg` → the zone's last finding (persistence, to hold it while the object is hidden).
 */
type State = Record<string, { since: number; finding?: Finding }>;
type Zone = RuleParams['zones'][number];

export const litter: Rule<State> = {
  kind: 'litter',
  init: () => ({}),
  step(state, input, p) {
    const next: State = {};
    const findings: Finding[] = [];
    const marks: Mark[] = [];
    for (const z of p.zones) {
      if (z.type !== 'litter' || !scheduleActive(z.schedule, input.t, p.timezone)) continue;
      const f =
        z.litterBy === 'persistence'
          ? byPersistence(z, state, next, marks, input, p)
          : byDetector(z, state, next, marks, input, p);
      if (f) findings.push(f);
    }
    return { state: next, findings, marks };
  },
};

function byDetector(
  z: Zone,
  state: State,
  next: State,
  marks: Mark[],
  { t, tracks }: RuleInput,
  p: RuleParams,
): Finding | undefined {
  const key = `litter:${z.id}`;
  const hadPieces = Object.keys(state).some((k) => k.startsWith(`${z.id}:`));
  const persisting: { id: number; since: number; score: number }[] = [];
  for (const tr of tracks) {
    if (!p.labels.litter.includes(tr.label) || !boxInZone(tr.box, z.polygon)) continue;
    const piece = `${z.id}:${tr.id}`;
    const since = state[piece]?.since ?? t;
    next[piece] = { since };
    if (!hadPieces && !marks.some((m) => m.key === key)) marks.push({ key, zoneId: z.id, trackIds: [tr.id] });
    if (t - since >= z.persistS * 1000) persisting.push({ id: tr.id, since, score: tr.score });
  }
  if (!persisting.length) return undefined;
  const since = Math.min(...persisting.map((x) => x.since));
  return {
    key,
    kind: 'litter',
    zoneId: z.id,
    trackIds: persisting.map((x) => x.id),
    confidence: Math.max(...persisting.map((x) => x.score)),
    since,
    details: { pieces: persisting.length, presentS: Math.round((t - since) / 1000) },
  };
}

const overlap = (a: Box, b: Box) => {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? (w * h) / Math.min(a.w * a.h, b.w * b.h) : 0;
};

function byPersistence(
  z: Zone,
  state: State,
  next: State,
  marks: Mark[],
  { t, tracks, statics }: RuleInput,
  p: RuleParams,
): Finding | undefined {
  const key = `litter:${z.id}`;
  const zs = statics?.[z.id];
  const prev = state[`${z.id}:bg`];
  if (!zs) return undefined;
  const regions = zs.regions;
  if (regions.length && !prev)
    marks.push({ key, zoneId: z.id, trackIds: [], boxes: regions.map((r) => asBox(r, r.confidence)) });
  const persisting = regions.filter((r) => t - r.since >= z.persistS * 1000);
  if (!persisting.length) {
    // hidden under a person/vehicle: the piece is still there, keep the finding as it was
    const held = prev?.finding && zs.occludedPx > 0 ? prev.finding : undefined;
    if (regions.length || held) next[`${z.id}:bg`] = { since: prev?.since ?? t, finding: held };
    return held && { ...held, details: { ...held.details, presentS: Math.round((t - held.since) / 1000) } };
  }
  const litterTracks = tracks.filter((tr) => tr.seen && p.labels.litter.includes(tr.label));
  const pieces = persisting.map((r) => {
    const hit = litterTracks.filter((tr) => overlap(tr.box, r.box) > 0.3);
    const score = Math.max(0, ...hit.map((tr) => tr.score));
    // two independent signs of the same object: combine as independent evidence
    return { r, hit, confidence: 1 - (1 - r.confidence) * (1 - score) };
  });
  const since = Math.min(...persisting.map((r) => r.since));
  const finding: Finding = {
    key,
    kind: 'litter',
    zoneId: z.id,
    trackIds: pieces.flatMap((x) => x.hit.map((tr) => tr.id)),
    confidence: Math.max(...pieces.map((x) => x.confidence)),
    since,
    details: {
      pieces: persisting.length,
      presentS: Math.round((t - since) / 1000),
      method: 'persistence',
      areaPx: persisting.reduce((a, r) => a + r.areaPx, 0),
    },
    boxes: pieces.map((x) => asBox(x.r, x.confidence)),
  };
  next[`${z.id}:bg`] = { since: prev?.since ?? t, finding };
  return finding;
}

const asBox = (r: { box: Box }, score: number): { label: string; score: number; box: Box } => ({
  label: 'static_object',
  score,
  box: { x: Math.round(r.box.x), y: Math.round(r.box.y), w: Math.round(r.box.w), h: Math.round(r.box.h) },
});
