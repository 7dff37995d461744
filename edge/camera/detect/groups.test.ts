/**
 * camera - one object = one track = one incident: boxes of one label group (car, bus, truck →
 * vehicle) are suppressed across the group, tracked as one object, and labelled by a vote over
 * the track's life; labels of different groups never merge (a person in front of a car stays).
 */
import { describe, expect, it } from 'vitest';
import { initialTracker, stepTracker } from '../track/index.js';
import { groupNms, groupResolver } from './ensemble.js';

const groupOf = groupResolver({ vehicle: ['car', 'bus', 'truck', 'motorcycle'] });
const det = (label: string, score: number, x = 100, w = 200) => ({
  label,
  classId: 0,
  score,
  box: { x, y: 100, w, h: 150 },
});
const params = {
  iouMatch: 0.3,
  maxMissedS: 8,
  maxMissedStationaryS: 60,
  stationaryAfterS: 10,
  stationaryTolerance: 0.15,
  groupOf,
};

describe('camera - label groups', () => {
  it('bus .74 and truck .53 on the same pixels are one vehicle; a person over it stays', () => {
    const out = groupNms(
      [det('truck', 0.53, 102), det('bus', 0.74), det('person', 0.8, 150, 40)],
      groupOf,
      0.6,
    );
    expect(out.map((d) => d.label)).toEqual(['person', 'bus']);
  });
  it('two cars side by side (little overlap) stay two', () => {
    expect(groupNms([det('car', 0.9, 0), det('car', 0.8, 190)], groupOf, 0.6)).toHaveLength(2);
  });
  it('a track matches across labels of its group and keeps the label its life votes for', () => {
    let s = initialTracker();
    const seq = ['bus', 'truck', 'bus', 'truck', 'truck'];
    const scores = [0.74, 0.53, 0.7, 0.5, 0.5];
    for (let i = 0; i < seq.length; i++)
      s = stepTracker(s, { t: i * 1000, detections: [det(seq[i], scores[i])] }, params).state;
    expect(s.tracks).toHaveLength(1);
    // bus 1.44 vs truck 1.53: the vote follows the evidence, not the last frame alone
    expect(s.tracks[0].label).toBe('truck');
    expect(s.tracks[0].votes.bus).toBeCloseTo(1.44, 5);
  });
  it('without groups a bus seen as a truck becomes a second track (what the groups fix)', () => {
    let s = initialTracker();
    s = stepTracker(s, { t: 0, detections: [det('bus', 0.74)] }, { ...params, groupOf: undefined }).state;
    s = stepTracker(s, { t: 1000, detections: [det('truck', 0.6)] }, { ...params, groupOf: undefined }).state;
    expect(s.tracks).toHaveLength(2);
  });
});
