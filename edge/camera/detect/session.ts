/**
 * @module edge/camera/detect/session
 * One onnxruntime-node session per model, created once, with the model's declared input/output
 * checked against its manifest at load so a mismatch fails with a clear message, not a wrong box.
 */
import ort from 'onnxruntime-node';
import type { ModelManifest } from './manifest.js';

export type Dims = readonly (number | string | null)[];

export interface ModelSession {
  session: ort.InferenceSession;
  run(data: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: number[] }>;
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
  checkOutput: (dims: Dims) => string | undefined,
): Promise<ModelSession> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const fail = (msg: string): never => {
    void session.release();
    throw new Error(`model ${m.name} (${where}): ${msg}`);
  };
  if (!session.inputNames.includes(m.input.name))
    fail(`input "${m.input.name}" not in model inputs [${session.inputNames}]`);
  if (!session.outputNames.includes(m.output.name))
    fail(`output "${m.output.name}" not in model outputs [${session.outputNames}]`);
  const want =
    m.input.layout === 'nchw' ? [1, 3, m.input.height, m.input.width] : [1, m.input.height, m.input.width, 3];
  const inDims = metaDims(session.inputMetadata, m.input.name);
  if (inDims && (inDims.length !== 4 || !want.every((w, i) => same(inDims[i], w))))
    fail(`input "${m.input.name}" has shape [${inDims}], manifest says [${want}]`);
  const outDims = metaDims(session.outputMetadata, m.output.name);
  const declared = outDims ? checkOutput(outDims) : undefined;
  if (declared) fail(`output "${m.output.name}" ${declared}`);

  const run: ModelSession['run'] = async (data, dims) => {
    const res = await session.run({ [m.input.name]: new ort.Tensor('float32', data, dims) }, [m.output.name]);
    const t = res[m.output.name];
    if (t.type !== 'float32') throw new Error(`model ${m.name}: output type ${t.type}, expected float32`);
    return { data: t.data as Float32Array, dims: [...t.dims] };
  };
  // Symbolic dims pass the declared check; one real run proves the actual shape.
  const probe = await run(new Float32Array(want.reduce((a, b) => a * b, 1)), want).catch((e: Error) =>
    fail(`test inference failed: ${e.message}`),
  );
  const actual = checkOutput(probe.dims);
  if (actual) fail(`output "${m.output.name}" ${actual}`);
  return { session, run, close: () => session.release() };
}
