/**
 * @module sim/serial/cli
 * Run the truck simulator from a shell (the demo does): makes its own socat pty pairs in
 * --pty-dir (the unit reads <dir>/gps-b and <dir>/can-b) or writes to given ports.
 *   tsx sim/serial/cli.ts --pty-dir /tmp/truck --scenario speeding --loop
 */
import { mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { type PtyPair, startPtyPair } from './pty.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';
import { startTruckSimulator } from './truck.js';

const program = new Command()
  .name('truck-simulator')
  .description('渣土车模拟器 muck truck simulator: NMEA + SLCAN on serial ptys')
  .option('--pty-dir <dir>', 'create socat pty pairs here (gps-a/gps-b, can-a/can-b)')
  .option('--gnss <path>', 'write NMEA to this serial device (instead of --pty-dir)')
  .option('--can <path>', 'write SLCAN to this serial device (instead of --pty-dir)')
  .option('--scenario <name>', `one of ${SCENARIOS.join(', ')}`, 'speeding')
  .option('--interval-ms <ms>', 'real ms between fixes (1000 = real time)', '1000')
  .option('--talker <id>', 'NMEA talker: GN, GP, BD, GB, GL, GA', 'GN')
  .option('--loop', 'drive the scenario again and again', false)
  .option('--candump <file>', 'replay this candump log on the CAN port instead of the truck frames')
  .parse();

const o = program.opts<{
  ptyDir?: string;
  gnss?: string;
  can?: string;
  scenario: string;
  intervalMs: string;
  talker: string;
  loop: boolean;
  candump?: string;
}>();

async function main() {
  if (!SCENARIOS.includes(o.scenario as ScenarioName)) throw new Error(`unknown scenario ${o.scenario}`);
  const pairs: PtyPair[] = [];
  let gnss = o.gnss;
  let can = o.can;
  if (o.ptyDir) {
    mkdirSync(o.ptyDir, { recursive: true });
    const g = await startPtyPair(o.ptyDir, 'gps');
    const c = await startPtyPair(o.ptyDir, 'can');
    pairs.push(g, c);
    gnss = g.a;
    can = c.a;
    console.log(JSON.stringify({ gnssPort: g.b, canPort: c.b }));
  }
  if (!gnss) throw new Error('give --pty-dir or --gnss');
  const sim = await startTruckSimulator({
    gnssPort: gnss,
    canPort: can,
    scenario: o.scenario as ScenarioName,
    intervalMs: Number(o.intervalMs),
    talker: o.talker,
    loop: o.loop,
    canReplay: o.candump,
  });
  const shutdown = async () => {
    await sim.stop();
    for (const p of pairs) await p.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  await sim.done;
  await shutdown();
}

main().catch((e) => {
  console.error(`truck-simulator: ${(e as Error).message}`);
  process.exit(1);
});
