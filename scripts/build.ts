/**
 * @module scripts/build
 * `npm run build`: the field build. Compiles edge/, protocol/ and central/ (tsconfig.build.json:
 * no tests, benchmarks, simulators or test data) into a fresh `dist/`, then copies the files the
 * compiled code reads beside itself at run time. Models are not part of it: a gateway's config
 * names its manifests, or central rolls them out (edge/sync).
 * Options: --out <dir> (default dist; the build test builds into a temporary folder).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Read at run time relative to their module: the city seed, the scoring rules, the JT/T 808
 *  vendor mapping, and the console (built by `npm run console:build`). */
const ASSETS: { from: string; what: string; filter?: (src: string) => boolean }[] = [
  { from: 'central/seed', what: 'the city seed', filter: (f) => !f.endsWith('.ts') },
  { from: 'central/scoring/rules.json', what: 'the scoring rules' },
  { from: 'edge/jt808/vendors.yaml', what: 'the JT/T 808 vendor mapping' },
  { from: 'central/console/dist', what: 'the console (npm run console:build)' },
];

const { out } = new Command()
  .name('build')
  .option('--out <dir>', 'output folder (emptied first)', 'dist')
  .parse()
  .opts<{ out: string }>();
const outDir = resolve(ROOT, out);
// it is emptied first: never the repository, a folder above it, or a source folder in it
const inside = (dir: string, parent: string) => !relative(parent, dir).startsWith('..');
if (inside(ROOT, outDir) || (inside(outDir, ROOT) && !inside(outDir, join(ROOT, 'dist')))) {
  console.error(`build: refusing to empty ${outDir}; give a folder outside the sources, e.g. dist`);
  process.exit(2);
}

for (const a of ASSETS)
  if (!existsSync(join(ROOT, a.from))) {
    console.error(`build: ${a.from} is missing (${a.what})`);
    process.exit(1);
  }

// tsc never deletes: a stale dist/ would keep files this build no longer emits.
rmSync(outDir, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], {
  stdio: 'inherit',
});
for (const a of ASSETS) {
  const to = join(outDir, a.from);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(join(ROOT, a.from), to, { recursive: true, filter: a.filter });
}
// The emitted files are ES modules; say so where node looks first, so dist/ runs on its own.
writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
console.log(`build: ${outDir}`);
