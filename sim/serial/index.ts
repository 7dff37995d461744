/**
 * @module sim/serial
 * The serial truck simulator (NMEA + SLCAN on socat ptys) for tests and the demo.
 * CLI: `tsx sim/serial/cli.ts --pty-dir <dir> --scenario speeding --loop`.
 */
export { type PtyPair, startPtyPair } from './pty.js';
export { EXPECTED, type Leg, SCENARIOS, type ScenarioName, scenario } from './scenarios.js';
export { nmeaFor, type Sample, slcanFor, timeline } from './timeline.js';
export { nextLap, startTruckSimulator, type TruckSimulator, type TruckSimulatorOptions } from './truck.js';
