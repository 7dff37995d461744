/**
 * @module edge/camera/detect/session
 * One onnxruntime-node session per model, created once, with the model's declared input/output
 * checked against its manifest at load so a mismatch fails with a clear message, not a wrong box.
 */
import ort from 'onnxruntime-node';
import type { Dims, OutTensor } from './decoders/index.js';
import type { ModelManifest } from './manifest.js';

export type { Dims, OutTensor };

export interface ModelSession {
  session: ort.InferenceSession;
  /** the outputs read, in `outputNames` order */
  readonly outputNames: readonly string[];
  run(data: Float32Array, dims: number[]): Promise<OutTensor[]>;
  close(): Promise<void>;
}

function metaDims(meta: readonly ort.InferenceSession.ValueMetadata[], name: string): Dims | undefined {
  const m = meta.find((x) => x.name === name);
  return m && 'shape' in m ? (m.shape as Dims) : undefined;
}

const same = (d: number | string | null | undefined, want: number) =>
  typeof d !== 'number' || d <= 0 || d === want;

export async function openSession(
  bytes: Uint8Array,
  m: ModelManifest,
  where: string,
  checkOutput: (dims: readonly Dims[]) => string | undefined,
  /** read every model output (a multi-head layout) instead of `output.name` alone */
  allOutputs = false,
): Promise<ModelSession> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  }).catch((e: Error) => {
    throw new Error(`model ${m.name} (${where}): cannot load the ONNX file: ${e.message}`);
  });
  const fail = (msg: string): never => {
    void session.release();
    throw new Error(`model ${m.name} (${where}): ${msg}`);
  };
  if (!session.inputNames.includes(m.input.name))
    fail(`input "${m.input.name}" not in model inputs [${session.inputNames}]`);
  const outputNames = allOutputs ? [...session.outputNames] : [m.output.name ?? ''];
  const what = allOutputs ? `outputs [${outputNames}]` : `output "${m.output.name}"`;
  for (const n of outputNames)
    if (!session.outputNames.includes(n)) fail(`output "${n}" not in model outputs [${session.outputNames}]`);
  const want =
    m.input.layout === 'nchw' ? [1, 3, m.input.height, m.input.width] : [1, m.input.height, m.input.width, 3];
  const inDims = metaDims(session.inputMetadata, m.input.name);
  if (inDims && (inDims.length !== 4 || !want.every((w, i) => same(inDims[i], w))))
    fail(`input "${m.input.name}" has shape [${inDims}], manifest says [${want}]`);
  const outDims = outputNames.map((n) => metaDims(session.outputMetadata, n));
  const declared = outDims.every((d) => d) ? checkOutput(outDims as Dims[]) : undefined;
  if (declared) fail(`${what} ${declared}`);

  const run: ModelSession['run'] = async (data, dims) => {
    const res = await session.run({ [m.input.name]: new ort.Tensor('float32', data, dims) }, outputNames);
    return outputNames.map((n) => {
      const t = res[n];
      if (t.type !== 'float32')
        throw new Error(`model ${m.name}: output ${n} type ${t.type}, expected float32`);
      return { data: t.data as Float32Array, dims: [...t.dims] };
    });
  };
  // Symbolic dims pass the declared check; one real run proves the actual shape.
  const probe = await run(new Float32Array(want.reduce((a, b) => a * b, 1)), want).catch((e: Error) =>
    fail(`test inference failed: ${e.message}`),
  );
  const actual = checkOutput(probe.map((p) => p.dims));
  if (actual) fail(`${what} ${actual}`);
  return { session, outputNames, run, close: () => session.release() };
}
