/**
 * @module sim/serial/scenarios
 * Scenario scripts for the truck simulator, on the demo city's route (edge/vehicle/demo): a plan is
 * a list of legs (drive along points at a speed, cover open or not) and stops (body raised or not).
 * Every scenario ends unloading at the approved disposal site, which alone must raise nothing.
 */
export type LonLat = [number, number];

export type Leg =
  | { drive: LonLat[]; speedKmh: number; coverOpen?: boolean }
  | { stopS: number; dumpBodyRaised?: boolean; coverOpen?: boolean };

export const SCENARIOS = ['clean', 'speeding', 'detour', 'dumping', 'cover'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

// Demo route corners (route.geojson) and the points the scenarios use.
const P0: LonLat = [120.13, 30.28];
const M: LonLat = [120.14, 30.28]; // mid-street, outside every site
const P1: LonLat = [120.15, 30.28];
const S1: LonLat = [120.15, 30.277]; // school zone (limit 30) from S1 to S2
const S2: LonLat = [120.15, 30.273];
const P2: LonLat = [120.15, 30.27];
const C1: LonLat = [120.155, 30.27];
const C2: LonLat = [120.162, 30.27];
const P3: LonLat = [120.17, 30.27]; // inside the approved disposal site
const D1: LonLat = [120.15, 30.262]; // detour through the restricted core area
const D2: LonLat = [120.17, 30.262];

const unload: Leg[] = [
  { stopS: 8, coverOpen: true },
  { stopS: 30, dumpBodyRaised: true, coverOpen: true },
  { stopS: 8, coverOpen: true },
  { stopS: 8 },
];

/** What each scenario should produce, for tests and the demo's description. */
export const EXPECTED: Record<ScenarioName, string[]> = {
  clean: [],
  speeding: ['overspeed'],
  detour: ['route_deviation', 'restricted_zone'],
  dumping: ['dumping_outside_site'],
  cover: ['cover_open'],
};

export function scenario(name: ScenarioName): Leg[] {
  const school = name === 'speeding' ? 45 : 25;
  const toP2: Leg[] = [
    { drive: [P1, S1], speedKmh: 40 },
    { drive: [S1, S2], speedKmh: school },
    { drive: [S2, P2], speedKmh: 40 },
  ];
  const start: Leg[] =
    name === 'dumping'
      ? [
          { drive: [P0, M], speedKmh: 40 },
          { stopS: 5 },
          { stopS: 40, dumpBodyRaised: true },
          { stopS: 5 },
          { drive: [M, P1], speedKmh: 40 },
        ]
      : [{ drive: [P0, P1], speedKmh: 40 }];
  const finish: Leg[] =
    name === 'detour'
      ? [{ drive: [P2, D1, D2, P3], speedKmh: 40 }]
      : name === 'cover'
        ? [
            { drive: [P2, C1], speedKmh: 40 },
            { drive: [C1, C2], speedKmh: 40, coverOpen: true },
            { drive: [C2, P3], speedKmh: 40 },
          ]
        : [{ drive: [P2, P3], speedKmh: 40 }];
  return [...start, ...toP2, ...finish, ...unload];
}
