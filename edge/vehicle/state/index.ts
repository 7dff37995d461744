/**
 * @module edge/vehicle/state
 * The vehicle's state as the rules see it: the last accepted fix and the body/cover signals.
 * `stepVehicle` is a pure function: fixes older than the last one (replayed, out of order) are
 * dropped, and a fix implying a move faster than physically possible is discarded as a GPS jump;
 * both are counted. Three jumps in a row re-anchor (the earlier fix was the bad one).
 */

/** One accepted position with the signals known at that moment. */
export interface VehicleInput {
  /** fix time, ms since epoch (GNSS time, not the host clock) */
  t: number;
  lat: number;
  lon: number;
  speedKmh: number;
  track?: number;
  altM?: number;
  dumpBodyRaised?: boolean;
  coverOpen?: boolean;
}

export interface VehicleState {
  last?: VehicleInput;
  dropped: { outOfOrder: number; jumps: number };
  /** consecutive jumps since the last accepted fix */
  jumpRun: number;
}

export const initialVehicleState = (): VehicleState => ({ dropped: { outOfOrder: 0, jumps: 0 }, jumpRun: 0 });

const R = 6_371_008.8;
/** Great-circle distance in metres (haversine); cheap enough for every fix. */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface StepResult {
  state: VehicleState;
  /** the accepted input and the one before it, or undefined when the fix was dropped */
  accepted?: { cur: VehicleInput; prev?: VehicleInput };
  dropped?: 'outOfOrder' | 'jump';
}

/** Feed one candidate input; pure. */
export function stepVehicle(state: VehicleState, input: VehicleInput, maxJumpKmh: number): StepResult {
  const prev = state.last;
  if (prev && input.t <= prev.t) {
    return {
      state: { ...state, dropped: { ...state.dropped, outOfOrder: state.dropped.outOfOrder + 1 } },
      dropped: 'outOfOrder',
    };
  }
  if (prev && state.jumpRun < 2) {
    const kmh = (distanceM(prev, input) / ((input.t - prev.t) / 1000)) * 3.6;
    // allow a little slack for fix noise at low speed: 50 m is always possible
    if (kmh > maxJumpKmh && distanceM(prev, input) > 50) {
      return {
        state: {
          ...state,
          jumpRun: state.jumpRun + 1,
          dropped: { ...state.dropped, jumps: state.dropped.jumps + 1 },
        },
        dropped: 'jump',
      };
    }
  }
  return { state: { ...state, last: input, jumpRun: 0 }, accepted: { cur: input, prev } };
}
