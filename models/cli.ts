/**
 * @module models/cli
 * The `models` command: `npm run models -- <command>`.
 *   validate <manifest>                       schema, sha256, shapes, labels, a test inference
 *   run <manifest> <images...> [--annotate d] JSON lines: file, label, score, box (image pixels)
 *   eval [--detector m] [--classifier m]      AP@0.5 per class and no_uniform precision/recall
 *        [--seed 7] [--images 200] [--crops 400] on a held-out set generated with another seed
 *   eval --folder <dir> --detector a --detector b   per-class counts of several detectors side by side
 *   eval --baseline A --candidate B --dataset ZIP   AP per class + false positives on a data set zip's val split
 *   enrol-uniform --positives DIR --negatives DIR  fine-tune the uniform classifier on the city's crops
 *   train --dataset ZIP [--from MANIFEST]          fine-tune the detector on a data set zip; writes a candidate
 *   publish DIR --nats URL [--user u --pass p]     put a version folder into cg_models for rollout
 *        [--force]                                 (a detector only when eval marked it better, unless --force)
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { publishModel } from '../central/gateways/models.js';
import { connectNats } from '../protocol/transport.js';
import { compareCommand } from './dataset/cli.js';
import { checkPublishable } from './dataset/evaluation.js';
import { trainFromDataset } from './dataset/train.js';
import { enrolUniform } from './enrol/uniform.js';
import { ensureHeldout, evalClassifier, evalDetector, MODELS_DIR } from './eval/index.js';
import { compareDetectors, comparisonTable, runModel, validateModel } from './tools.js';
import { stopSignal } from './trainer.js';

const program = new Command('models').description(
  'validate, run and evaluate ONNX models described by a manifest',
);

function fail(e: unknown): never {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  const sig = stopSignal();
  process.exit(sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 1);
}

program
  .command('validate <manifest>')
  .description('check a model against its manifest (shapes, labels, a test inference)')
  .action(async (manifest: string) => {
    try {
      process.stdout.write(`${JSON.stringify(await validateModel(manifest), null, 2)}\n`);
    } catch (e) {
      fail(e);
    }
  });

program
  .command('run <manifest> <images...>')
  .description('detections (or a class) per image as JSON lines on stdout')
  .option('--annotate <dir>', 'write <name>.annotated.jpg with the boxes drawn')
  .option('--score <n>', 'minimum score (default: the manifest threshold)', Number.parseFloat)
  .action(async (manifest: string, images: string[], o: { annotate?: string; score?: number }) => {
    try {
      const r = await runModel(
        manifest,
        images,
        (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
        {
          annotateDir: o.annotate,
          score: o.score,
        },
      );
      if (r.errors) process.exitCode = 2;
    } catch (e) {
      fail(e);
    }
  });

program
  .command('eval')
  .description('metrics on a held-out generated set (different seed than training)')
  .option(
    '--detector <manifest>',
    'detector manifest (repeat with --folder to compare)',
    (v: string, prev: string[]) => [...prev, v],
    [] as string[],
  )
  .option('--folder <dir>', 'real images: per-class counts of each --detector side by side')
  .option('--classifier <manifest>', 'classifier manifest', path.join(MODELS_DIR, 'uniform', 'manifest.json'))
  .option('--seed <n>', 'generator seed of the held-out set', (v) => Number.parseInt(v, 10), 7)
  .option('--images <n>', 'held-out detection images', (v) => Number.parseInt(v, 10), 200)
  .option('--crops <n>', 'held-out person crops', (v) => Number.parseInt(v, 10), 400)
  .option('--data <dir>', 'where held-out sets are generated', path.join(MODELS_DIR, 'data', 'heldout'))
  .option('--dataset <zip>', "compare on a data set zip's held-out split (with --baseline, --candidate)")
  .option('--baseline <manifest>', 'detector now in use')
  .option('--candidate <manifest>', 'detector proposed; offered only when better')
  .option(
    '--frames-per-hour <n>',
    'frames a camera analyses per hour (false positives per hour)',
    Number.parseFloat,
    3600,
  )
  .action(
    async (o: {
      framesPerHour: number;
      dataset?: string;
      baseline?: string;
      candidate?: string;
      detector: string[];
      folder?: string;
      classifier: string;
      seed: number;
      images: number;
      crops: number;
      data: string;
    }) => {
      try {
        if (o.dataset) return await compareCommand(o);
        if (o.folder) {
          const dir = o.folder;
          const files = (await readdir(dir))
            .filter((f) => /\.(jpe?g|png)$/i.test(f))
            .sort()
            .map((f) => path.join(dir, f));
          const c = await compareDetectors(o.detector, files);
          process.stdout.write(comparisonTable(c));
          for (const e of c.errors) process.stderr.write(`${e.file}: ${e.error}\n`);
          return;
        }
        const set = await ensureHeldout({ root: o.data, seed: o.seed, detect: o.images, classify: o.crops });
        const d = await evalDetector(
          o.detector[0] ?? path.join(MODELS_DIR, 'detector', 'manifest.json'),
          set.detect,
        );
        process.stdout.write(`detector ${d.model} on ${d.images} held-out images (seed ${o.seed}):\n`);
        for (const l of d.labels)
          process.stdout.write(
            `  AP@0.5 ${l.padEnd(8)} ${d.ap[l].toFixed(3)}  (${d.groundTruth[l]} objects)\n`,
          );
        process.stdout.write(`  mAP@0.5  ${d.mAP.toFixed(3)}\n`);
        const c = await evalClassifier(o.classifier, set.classify);
        process.stdout.write(
          `classifier ${c.model} on ${c.n} held-out crops: ${c.positive} precision ${c.precision.toFixed(3)} recall ${c.recall.toFixed(3)} accuracy ${c.accuracy.toFixed(3)}\n`,
        );
        process.stdout.write(`${JSON.stringify({ detector: d, classifier: c })}\n`);
      } catch (e) {
        fail(e);
      }
    },
  );

program
  .command('enrol-uniform')
  .description("fine-tune the uniform classifier on the city's labelled person crops; writes a new version")
  .requiredOption('--positives <dir>', 'crops of staff in the uniform')
  .requiredOption('--negatives <dir>', 'crops of other people')
  .option('--base <manifest>', 'classifier to start from', path.join(MODELS_DIR, 'uniform', 'manifest.json'))
  .option('--version <v>', 'the new version', `city-${new Date().toISOString().slice(0, 10)}`)
  .option('--out <dir>', 'where the new version goes (default models/uniform-<version>)')
  .option('--epochs <n>', 'training epochs', (v) => Number.parseInt(v, 10), 8)
  .option('--device <d>', 'cpu or cuda', 'cpu')
  .action(
    async (o: {
      positives: string;
      negatives: string;
      base: string;
      version: string;
      out?: string;
      epochs: number;
      device: string;
    }) => {
      try {
        const r = await enrolUniform({ ...o, out: o.out ?? path.join(MODELS_DIR, `uniform-${o.version}`) });
        for (const x of r.refused) process.stderr.write(`refused ${x.file}: ${x.error}\n`);
        process.stdout.write(`${JSON.stringify(r)}\n`);
      } catch (e) {
        fail(e);
      }
    },
  );

program
  .command('train')
  .description("fine-tune the detector on a data set zip (operators' verdicts); writes a candidate version")
  .requiredOption('--dataset <zip>', "central's export (GET /api/datasets/export)")
  .option('--from <manifest>', 'detector to start from', path.join(MODELS_DIR, 'detector', 'manifest.json'))
  .option('--version <v>', 'the new version', `city-${new Date().toISOString().slice(0, 10)}`)
  .option('--out <dir>', 'where the candidate goes (default models/detector-<version>)')
  .option('--epochs <n>', 'training epochs', (v) => Number.parseInt(v, 10), 4)
  .option('--device <d>', 'cpu, or cuda where torch sees a GPU', 'cpu')
  .action(
    async (o: {
      dataset: string;
      from: string;
      version: string;
      out?: string;
      epochs: number;
      device: string;
    }) => {
      try {
        if (!/^(cpu|cuda(:\d+)?)$/.test(o.device)) throw new Error(`--device ${o.device}: cpu or cuda[:n]`);
        process.stdout.write(`${JSON.stringify(await trainFromDataset(o))}\n`);
      } catch (e) {
        fail(e);
      }
    },
  );

program
  .command('publish <dir>')
  .description('publish a model version folder (model.onnx, manifest.json, MODEL_CARD.md) for rollout')
  .requiredOption('--nats <url>', "NATS server (central's user: gateways may only read models)")
  .option('--user <user>', 'NATS user')
  .option('--pass <pass>', 'NATS password (or CG_NATS_PASS)')
  .option('--force', 'publish a detector that eval did not mark better (logged)')
  .action(async (dir: string, o: { nats: string; user?: string; pass?: string; force?: boolean }) => {
    try {
      checkPublishable(dir, o.force === true, (l) => process.stderr.write(`${l}\n`));
    } catch (e) {
      fail(e);
    }
    const quiet = { info() {}, warn() {}, error() {}, debug() {} };
    const nc = await connectNats({
      servers: o.nats,
      name: 'models publish',
      user: o.user,
      pass: o.pass ?? process.env.CG_NATS_PASS,
      log: quiet,
    }).catch(fail);
    try {
      process.stdout.write(`${JSON.stringify(await publishModel(nc, dir))}\n`);
    } catch (e) {
      process.exitCode = 1;
      process.stderr.write(`error: ${(e as Error).message}\n`);
    } finally {
      await nc.close();
    }
  });

await program.parseAsync(process.argv);
