/**
 * architecture - the one-way arrows of docs/ARCHITECTURE.md, read from every source file's
 * relative imports: edge and central never import each other, camera and vehicle neither,
 * protocol imports none of ours, production code never imports sim/, test/, bench/ or scripts/,
 * sim/ never imports test/, and only the transport imports the NATS client.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../sim/processes.js';

const sources = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.vue'],
  {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => f && !f.startsWith('node_modules/'));

/** every (file, imported file) pair, both relative to the repo root */
const imports = sources.flatMap((file) => {
  let text: string;
  try {
    text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  } catch {
    return []; // deleted in the working tree
  }
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1],
  );
  return specs.map((s) => ({
    file,
    target: path.posix.normalize(path.posix.join(path.posix.dirname(file), s)),
  }));
});

const under = (dir: string) => (f: string) => f === dir || f.startsWith(`${dir}/`);
const isTestish = (f: string) => /\.test\.ts$|(^|\/)fixtures\.ts$/.test(f);
/** imports from files in `from` (tests and fixtures aside) into `to` */
const crossing = (from: (f: string) => boolean, to: (f: string) => boolean) =>
  imports
    .filter((i) => from(i.file) && !isTestish(i.file) && to(i.target))
    .map((i) => `${i.file} → ${i.target}`);

/** files that import the NATS client (`nats`, `@nats-io/*`), by any import form */
const natsImporters = sources.filter((file) => {
  let text: string;
  try {
    text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  } catch {
    return false;
  }
  return /(?:from\s+|import\s*\(\s*|import\s+|require\(\s*)['"](?:nats|@nats-io\/[^'"]+)['"]/.test(text);
});

describe('architecture - import arrows', () => {
  it('architecture - the scan sees the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(1000);
    expect(imports).toContainEqual({
      file: 'edge/jt808/unit.ts',
      target: expect.stringMatching(/^edge\/vehicle\//),
    });
  });

  it('architecture - edge and central never import each other; protocol imports neither', () => {
    expect(crossing(under('edge'), under('central'))).toEqual([]);
    expect(crossing(under('central'), under('edge'))).toEqual([]);
    expect(crossing(under('protocol'), (f) => !under('protocol')(f))).toEqual([]);
  });

  it('architecture - only the transport imports the NATS client (and the raw client tests use)', () => {
    // biome's noRestrictedImports says the same at lint time; npm test does not run the linter
    expect(natsImporters.sort()).toEqual(['protocol/transport/nats.ts', 'test/support/nats-raw.ts']);
  });

  it('architecture - camera and vehicle never import each other', () => {
    expect(crossing(under('edge/camera'), under('edge/vehicle'))).toEqual([]);
    expect(crossing(under('edge/vehicle'), under('edge/camera'))).toEqual([]);
  });

  it('architecture - production code imports no sim, test, bench or script file; sim imports no test', () => {
    const dev = (f: string) => ['sim', 'test', 'bench', 'scripts', 'models'].some((d) => under(d)(f));
    for (const part of ['edge', 'protocol', 'central']) expect(crossing(under(part), dev)).toEqual([]);
    expect(crossing(under('sim'), (f) => under('test')(f) || under('bench')(f))).toEqual([]);
  });
});
