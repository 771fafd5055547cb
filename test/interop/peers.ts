// The two runtimes our exports are checked against, set up offline in Node: TensorFlow.js on its cpu
// backend (loading model.json + .bin through an IO handler, as tf.loadLayersModel does from a URL)
// and ONNX Runtime Web's wasm build (pointed at the .wasm files of its own package).
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as ort from 'onnxruntime-web';
import type { ModelFile } from '../../src/interop/index.js';

export { ort, tf };

let tfReady: Promise<boolean> | undefined;

export async function tfCpu(): Promise<typeof tf> {
  tfReady ??= tf.setBackend('cpu');
  if (!(await tfReady)) throw new Error('tfjs: the cpu backend did not start');
  return tf;
}

/** Loads our TF.js export with tf.loadLayersModel through an IO handler over the files' bytes. */
export async function loadInTfjs(files: readonly ModelFile[]): Promise<tf.LayersModel> {
  await tfCpu();
  const json = files.find((f) => f.name.endsWith('.json'))!;
  const modelJson = JSON.parse(new TextDecoder().decode(json.bytes)) as tf.io.ModelJSON;
  const handler: tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const chunks = manifest.flatMap((group) => group.paths.map((path) => files.find((f) => f.name === path)!.bytes));
        const total = chunks.reduce((n, c) => n + c.length, 0);
        const data = new Uint8Array(total);
        let at = 0;
        for (const chunk of chunks) {
          data.set(chunk, at);
          at += chunk.length;
        }
        return [manifest.flatMap((group) => group.weights), data.buffer];
      }),
  };
  return tf.loadLayersModel(handler);
}

/** A TF.js model's files as `model.save('file://…')` or browser downloads write them. */
export async function tfjsModelFiles(model: tf.LayersModel, options: { includeOptimizer?: boolean } = {}): Promise<ModelFile[]> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: options.includeOptimizer ?? false },
  );
  const modelJson = {
    modelTopology: artifacts!.modelTopology,
    format: artifacts!.format,
    generatedBy: artifacts!.generatedBy,
    convertedBy: artifacts!.convertedBy,
    weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts!.weightSpecs }],
    ...(artifacts!.trainingConfig ? { trainingConfig: artifacts!.trainingConfig } : {}),
  };
  const weightData = artifacts!.weightData as ArrayBuffer;
  return [
    { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(modelJson)) },
    { name: 'weights.bin', bytes: new Uint8Array(weightData.slice(0)) },
  ];
}

/** TF.js predictions (softmax rows) for f32 inputs of per-sample shape `shape`. */
export function tfjsPredict(model: tf.LayersModel, inputs: Float32Array, count: number, shape: readonly number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(inputs, [count, ...shape])) as tf.Tensor).dataSync() as Float32Array).slice();
}

let ortReady = false;

/** An ONNX Runtime Web session (wasm, one thread, offline) over the .onnx bytes. */
export async function ortSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  if (!ortReady) {
    ort.env.wasm.wasmPaths = fileURLToPath(new URL('../../node_modules/onnxruntime-web/dist/', import.meta.url));
    ort.env.wasm.numThreads = 1;
    ortReady = true;
  }
  return ort.InferenceSession.create(bytes);
}

/** ONNX Runtime predictions: the graph's single output for f32 inputs of per-sample shape `shape`. */
export async function ortPredict(
  session: ort.InferenceSession,
  inputs: Float32Array,
  count: number,
  shape: readonly number[],
): Promise<Float32Array> {
  const outputs = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', inputs, [count, ...shape]) });
  return (outputs[session.outputNames[0]!]!.data as Float32Array).slice();
}

/** Argmax of each row of `classes` values. */
export function argmaxRows(values: Float32Array, classes: number): Int32Array {
  const labels = new Int32Array(values.length / classes);
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[r * classes + c]! > values[r * classes + best]!) best = c;
    labels[r] = best;
  }
  return labels;
}

/** Largest |a − b| with its index. */
export function maxAbsDifference(a: Float32Array, b: Float32Array): { max: number; index: number } {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  let index = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) {
      max = d;
      index = i;
    }
  }
  return { max, index };
}
