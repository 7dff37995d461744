/**
 * @module sim/jt808
 * A JT/T 808 terminal simulator over TCP (tests, the demo's second truck, the benchmark).
 */
export { type Jt808Terminal, type Jt808TerminalOptions, startJt808Terminal } from './terminal.js';
