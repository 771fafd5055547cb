// One implementation of the inference benchmark (bench/infer.bench.ts) with one trained model: ours,
// onnxruntime-web on our ONNX export, or TF.js-wasm on our TF.js export. The same module runs in a
// Node worker thread (bench/infer-worker.ts) and, bundled, in a browser Web Worker
// (bench/infer-browser.ts), so it imports nothing Node-specific and takes the places of the
// runtimes' .wasm files from its caller.
//
// What one timed call is, for every implementation: one image (or a batch) in, class probabilities
// and labels out. Ours takes the u8 pixels an app holds (scaled by 1/255 in wasm, inside the call);
// the peers take f32 only, and get the test set converted (x / 255) once, before any timing: their
// best case (a JS conversion loop took 5-12 ms per 1,000 images here, as long as ORT-web's batch).
// Reading the output back is in every call (ORT's run resolves with the data; TF.js dataSync()).
import type * as Ort from 'onnxruntime-web';
import type * as Tf from '@tensorflow/tfjs';
import { deserializeModel, loadCore, type Sequential } from '../src/public.js';
import type { ModelFile } from '../src/interop/index.js';

export type InferImpl = 'ours' | 'onnxruntime-web' | 'tfjs-wasm';

/** One trained model in the three formats the implementations load. */
export interface InferModel {
  name: string;
  /** Per-image input shape: [784] or [28, 28, 1]. */
  inputShape: number[];
  /** Our model file (serializeModel). */
  ours: Uint8Array;
  onnx: Uint8Array;
  tfjs: ModelFile[];
}

export interface RunnerSetup {
  impl: InferImpl;
  /** Our core's threads, ORT's ort.env.wasm.numThreads, TF.js-wasm's thread count (browsers). */
  threads: number;
  model: InferModel;
  /** The test images, u8 [count, 784]. */
  images: Uint8Array;
  /** Where the runtimes find their files: our .wasm builds (a browser; Node finds them itself), ORT's and TF.js' dist/ directories. */
  assets: { ours?: { single: string; shared: string }; ort: string; tfjs: string };
}

/** Timings of a runner; every time is in milliseconds. */
export interface Runner {
  /** Times single-image calls on images start..start+count−1, one call each. */
  singles(start: number, count: number): Promise<Float64Array>;
  /** Times `count` images from `start` in calls of `batchSize`, one time per call. */
  batches(start: number, count: number, batchSize: number): Promise<Float64Array>;
  /** Probabilities of images start..start+count−1 (one call), for the cross-check. */
  probabilities(start: number, count: number): Promise<Float32Array>;
}

const PIXELS = 784;

/** x / 255 as f32: the peers' input, converted once per runner. */
function toF32(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255;
  return out;
}

/** Argmax of each row of 10: what an app does with the probabilities. */
function labels(probabilities: Float32Array, classes = 10): Int32Array {
  const out = new Int32Array(probabilities.length / classes);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probabilities[r * classes + c]! > probabilities[r * classes + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** A runner around `predict(input, count)` → probabilities (sync or async), on u8 or f32 images. */
function timedRunner<T extends Uint8Array | Float32Array>(
  images: T,
  predict: (input: T, count: number) => Float32Array | Promise<Float32Array>,
): Runner {
  const at = (start: number, count: number) => images.subarray(start * PIXELS, (start + count) * PIXELS) as T;
  return {
    async singles(start, count) {
      const times = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const image = at(start + i, 1);
        const t0 = performance.now();
        await predict(image, 1);
        times[i] = performance.now() - t0;
      }
      return times;
    },
    async batches(start, count, batchSize) {
      const times = new Float64Array(Math.ceil(count / batchSize));
      for (let first = start, i = 0; first < start + count; first += batchSize, i++) {
        const n = Math.min(batchSize, start + count - first);
        const t0 = performance.now();
        await predict(at(first, n), n);
        times[i] = performance.now() - t0;
      }
      return times;
    },
    async probabilities(start, count) {
      return (await predict(at(start, count), count)).slice();
    },
  };
}

/**
 * Ours through the public API as an app calls it: one image is `model.predict(image, output)` into
 * a buffer kept by the app (no allocation per call), a batch `model.predict(pixels, count)`.
 */
function oursPredict(model: Sequential): (pixels: Uint8Array, count: number) => Float32Array {
  const one = new Float32Array(10);
  return (pixels, count) => {
    if (count > 1) return model.predict(pixels, count).probabilities; // labels computed in wasm
    labels(model.predict(pixels, one));
    return one;
  };
}

async function oursRunner(setup: RunnerSetup): Promise<Runner> {
  const { ours } = setup.assets;
  const url = ours === undefined ? undefined : setup.threads > 1 ? ours.shared : ours.single;
  const core = await loadCore({ threads: setup.threads, simd: 'strict', ...(url === undefined ? {} : { url }) });
  const model = await deserializeModel(setup.model.ours, { core });
  return timedRunner(setup.images, oursPredict(model));
}

async function ortRunner(setup: RunnerSetup): Promise<Runner> {
  const ort: typeof Ort = await import('onnxruntime-web');
  ort.env.wasm.wasmPaths = setup.assets.ort;
  ort.env.wasm.numThreads = setup.threads;
  const session = await ort.InferenceSession.create(setup.model.onnx, { executionProviders: ['wasm'] });
  const shape = setup.model.inputShape;
  const [input, output] = [session.inputNames[0]!, session.outputNames[0]!];
  return timedRunner(toF32(setup.images), async (values, count) => {
    const outputs = await session.run({ [input]: new ort.Tensor('float32', values, [count, ...shape]) });
    const probabilities = outputs[output]!.data as Float32Array;
    labels(probabilities);
    return probabilities;
  });
}

async function tfjsRunner(setup: RunnerSetup): Promise<Runner> {
  const tf: typeof Tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(setup.assets.tfjs);
  if (setup.threads > 1) wasm.setThreadsCount(setup.threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  const files = setup.model.tfjs;
  const json = files.find((f) => f.name.endsWith('.json'))!;
  const modelJson = JSON.parse(new TextDecoder().decode(json.bytes)) as Tf.io.ModelJSON;
  const handler: Tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const chunks = manifest.flatMap((group) => group.paths.map((path) => files.find((f) => path.endsWith(f.name))!.bytes));
        const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let offset = 0;
        for (const chunk of chunks) {
          data.set(chunk, offset);
          offset += chunk.length;
        }
        return [manifest.flatMap((group) => group.weights), data.buffer];
      }),
  };
  const model = await tf.loadLayersModel(handler);
  const shape = setup.model.inputShape;
  return timedRunner(toF32(setup.images), (values, count) => {
    const probabilities = tf.tidy(() => (model.predict(tf.tensor(values, [count, ...shape])) as Tf.Tensor).dataSync() as Float32Array);
    labels(probabilities);
    return probabilities;
  });
}

/** Loads the setup's implementation and model. */
export function makeRunner(setup: RunnerSetup): Promise<Runner> {
  switch (setup.impl) {
    case 'ours':
      return oursRunner(setup);
    case 'onnxruntime-web':
      return ortRunner(setup);
    case 'tfjs-wasm':
      return tfjsRunner(setup);
  }
}

// ---- The message protocol between the orchestrator and a worker hosting one runner (a Node worker
// thread or a browser Web Worker): the setup is posted first, then requests; every reply carries its id.

export type RunnerRequest = { id: number; op: 'singles' | 'batches' | 'probabilities'; args: number[] };
export type RunnerReply = { id: number; result?: unknown; error?: string };

/** The worker side: builds the runner from the first message, then answers requests in order. */
export function serveRunner(post: (reply: RunnerReply) => void): (message: RunnerSetup | RunnerRequest) => void {
  let runner: Promise<Runner> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  return (message) => {
    if (!('op' in message)) {
      runner = makeRunner(message);
      runner.then(
        () => post({ id: 0, result: 'ready' }),
        (error: unknown) => post({ id: 0, error: String((error as Error)?.stack ?? error) }),
      );
      return;
    }
    queue = queue.then(async () => {
      try {
        const r = await runner!;
        const [a = 0, b = 0, c = 0] = message.args;
        const result =
          message.op === 'singles'
            ? await r.singles(a, b)
            : message.op === 'batches'
              ? await r.batches(a, b, c)
              : await r.probabilities(a, b);
        post({ id: message.id, result });
      } catch (error) {
        post({ id: message.id, error: String((error as Error)?.stack ?? error) });
      }
    });
  };
}

/** Where the runners live (bench/infer.bench.ts): Node worker threads, or Web Workers of a Chromium page. */
export interface InferHost {
  readonly name: string;
  /** Assets the runners load (ORT's and TF.js' dist/ directories, our builds in a browser). */
  readonly assets: RunnerSetup['assets'];
  start(setup: RunnerSetup): RunnerClient;
  /** Ends every runner started so far. */
  stopAll(): Promise<void>;
  close(): Promise<void>;
}

/** The orchestrator side of one worker: `send` posts a message, the returned function takes each reply. */
export class RunnerClient implements Runner {
  private next = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly ready: Promise<void>;

  constructor(
    setup: RunnerSetup,
    private readonly send: (message: RunnerSetup | RunnerRequest) => void,
  ) {
    this.ready = new Promise<unknown>((resolve, reject) => this.pending.set(0, { resolve, reject })).then(() => undefined);
    send(setup);
  }

  /** Feed every message the worker posts here. */
  receive(reply: RunnerReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.error !== undefined) waiting.reject(new Error(reply.error));
    else waiting.resolve(reply.result);
  }

  /** Rejects every pending call (the worker died). */
  fail(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  private call<T>(op: RunnerRequest['op'], args: number[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send({ id, op, args });
    });
  }

  singles(start: number, count: number): Promise<Float64Array> {
    return this.call('singles', [start, count]);
  }

  batches(start: number, count: number, batchSize: number): Promise<Float64Array> {
    return this.call('batches', [start, count, batchSize]);
  }

  probabilities(start: number, count: number): Promise<Float32Array> {
    return this.call('probabilities', [start, count]);
  }
}
