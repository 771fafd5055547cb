// One end-to-end training configuration in a process of its own (so its peak RSS is its own):
// `node --import tsx bench/train-worker.ts '<TrainConfig JSON>'`. Prints one line
// `@@result <TrainResult JSON>` on stdout; everything else goes to stderr. bench/train.bench.ts
// runs it once per (architecture, batch size, implementation).
//
// Procedure (the same for ours and tfjs): load the data (the real Fashion-MNIST training set
// through src/data's loadFashionMnist when it is installed, else seeded random u8 images of the
// same shape: timing only, and said so), build the model, train one warm-up step (compilation,
// planning, first-touch) and a short probe fit that measures the step time, then time one fit()
// call over `steps` batches: the whole epoch when it fits the budget, else as many steps as the
// budget allows, extrapolated to 60,000 images. The timed call is fit() itself, so shuffling, batch gathering, forward,
// loss, backward and the optimizer are all in it.
//   ours:  buildArchitecture(core, arch, { activation: 'sigmoid', compile: { optimizer: sgd, reduction } }) on
//          loadCore({ threads, simd }) (default 1 thread, strict)
//          and model.fit(train, { batchSize, limit }) on the u8 images (uploaded once to wasm).
//   tfjs:  tf.sequential() with the same layers and initialisers, compile({ optimizer:
//          tf.train.sgd, loss: 'categoricalCrossentropy' }), model.fit(xs, ys, { batchSize,
//          epochs: 1, shuffle: true, verbose: 0 }) on float32 tensors of all 60,000 images
//          (x/255) and one-hot labels, as a tfjs-layers user would; the timed fit uses the first
//          `steps · batchSize` rows (a slice).
// scratch-mlp sums its loss over the batch (the paper's rule); tfjs-layers only averages, so its
// SGD learning rate is multiplied by the batch size: the same update.
import { fileURLToPath } from 'node:url';
import type { Core } from '../src/core/index.js';
import type { Sequential } from '../src/models/index.js';

export type TrainImpl = 'ours' | 'tfjs-wasm' | 'tfjs-cpu' | 'jax-js';
export type TrainArch = 'scratch-mlp' | 'mlp' | 'cnn';

export interface TrainConfig {
  impl: TrainImpl;
  arch: TrainArch;
  batchSize: number;
  /** Seconds the timed fit should take at most (at least one step is always timed). */
  budgetSeconds: number;
  /** Most steps to time (quick runs); default: a whole epoch. */
  maxSteps?: number;
  /** ours: threads of the core (default 1). */
  threads?: number;
  /** ours: the build's SIMD (default 'strict'). */
  simd?: 'strict' | 'relaxed';
}

export interface TrainResult {
  config: TrainConfig;
  ok: boolean;
  /** When ok is false: the error message (e.g. tfjs' "Kernel 'X' not registered for backend 'wasm'"). */
  error?: string;
  /** 'fashion-mnist' (real images) or 'random' (seeded u8 images, timing only). */
  data: string;
  epochImages: number;
  /** Images in the timed fit, and its wall time. */
  images: number;
  steps: number;
  seconds: number;
  /** True when `images` < epochImages (the epoch time is extrapolated). */
  extrapolated: boolean;
  secondsPerEpoch: number;
  imagesPerSecond: number;
  warmupSeconds: number;
  /** Loss reported by the timed fit (a sanity check that it trained). */
  loss: number;
  /** process.resourceUsage().maxRSS, MiB. */
  peakRssMiB: number;
}

const LEARNING_RATE: Record<TrainArch, number> = { 'scratch-mlp': 1e-3, mlp: 0.1, cnn: 0.1 };
const EPOCH_IMAGES = 60_000;

export interface Data {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  kind: string;
}

export async function loadData(): Promise<Data> {
  try {
    const { loadFashionMnist } = await import('../src/data/index.js');
    const { train } = await loadFashionMnist({ download: false });
    return { ...train, kind: 'fashion-mnist' };
  } catch (error) {
    process.stderr.write(`train-worker: real data unavailable (${(error as Error).message}); using random images\n`);
    const { rng } = await import('../test/helpers/random.js');
    const next = rng(7);
    const images = new Uint8Array(EPOCH_IMAGES * 784);
    for (let i = 0; i < images.length; i++) images[i] = Math.floor(next() * 256);
    const labels = new Uint8Array(EPOCH_IMAGES);
    for (let i = 0; i < labels.length; i++) labels[i] = Math.floor(next() * 10);
    return { images, labels, count: EPOCH_IMAGES, rows: 28, cols: 28, kind: 'random' };
  }
}

/** Trains `steps` batches and returns { seconds, loss }. */
type Trainer = (steps: number) => Promise<{ seconds: number; loss: number }>;

/** Our model of `arch` in the paper's reading (sigmoid, plain SGD), as every peer builds it. */
export async function paperModel(core: Core, arch: TrainArch): Promise<Sequential> {
  const { buildArchitecture } = await import('../src/models/architectures.js');
  return buildArchitecture(core, arch, {
    ...(arch === 'scratch-mlp' ? {} : { activation: 'sigmoid' as const }),
    compile: {
      optimizer: { type: 'sgd', learningRate: LEARNING_RATE[arch] },
      reduction: arch === 'scratch-mlp' ? 'sum' : 'mean',
    },
  });
}

async function oursTrainer(config: TrainConfig, data: Data): Promise<Trainer> {
  const { loadCore } = await import('../src/core/index.js');
  const core = await loadCore({ threads: config.threads ?? 1, simd: config.simd ?? 'strict' });
  const model = await paperModel(core, config.arch);
  return async (steps) => {
    const start = performance.now();
    const history = await model.fit(data, {
      epochs: 1,
      batchSize: config.batchSize,
      limit: Math.min(data.count, steps * config.batchSize),
    });
    return { seconds: (performance.now() - start) / 1000, loss: history.history.loss.at(-1) ?? Number.NaN };
  };
}

/**
 * jax-js (bench/peers/jax.ts): one jit-compiled SGD step per batch on its wasm device, the batch
 * gathered in JS from a seeded shuffle of the images (as a jax-js training loop does).
 */
async function jaxTrainer(config: TrainConfig, data: Data): Promise<Trainer> {
  const { jaxTrainer: makeStep } = await import('./peers/jax.js');
  const step = await makeStep(config.arch, LEARNING_RATE[config.arch]);
  const { rng } = await import('../test/helpers/random.js');
  const next = rng(11);
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return async (steps) => {
    const start = performance.now();
    let loss = Number.NaN;
    for (let s = 0; s < steps; s++) {
      const first = (s * config.batchSize) % data.count;
      const batch = order.subarray(first, Math.min(data.count, first + config.batchSize));
      loss = step(data.images, data.labels, batch);
    }
    const seconds = (performance.now() - start) / 1000;
    // The scratch net's loss is summed over the batch (the paper's rule): report it per image, as fit does.
    return { seconds, loss: config.arch === 'scratch-mlp' ? loss / config.batchSize : loss };
  };
}

async function tfjsTrainer(config: TrainConfig, data: Data): Promise<Trainer> {
  const { useBackend } = await import('./peers/tfjs.js');
  const tf = await useBackend(config.impl === 'tfjs-wasm' ? 'wasm' : 'cpu');
  const { arch, batchSize } = config;
  const model = tf.sequential();
  const sigmoid = 'sigmoid' as const;
  if (arch === 'scratch-mlp') {
    model.add(tf.layers.dense({ inputShape: [784], units: 300, activation: sigmoid, useBias: false, kernelInitializer: 'leCunNormal' }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax', useBias: false, kernelInitializer: 'leCunNormal' }));
  } else if (arch === 'mlp') {
    model.add(tf.layers.dense({ inputShape: [784], units: 300, activation: sigmoid }));
    for (const units of [200, 75]) model.add(tf.layers.dense({ units, activation: sigmoid }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else {
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'valid', activation: sigmoid }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    model.add(tf.layers.flatten());
    for (const units of [200, 100, 50]) model.add(tf.layers.dense({ units, activation: sigmoid }));
    model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  }
  const learningRate = arch === 'scratch-mlp' ? LEARNING_RATE[arch] * batchSize : LEARNING_RATE[arch];
  model.compile({ optimizer: tf.train.sgd(learningRate), loss: 'categoricalCrossentropy' });

  // All 60,000 images as float32 x/255 and one-hot labels, as a tfjs-layers user holds them.
  const pixels = new Float32Array(data.count * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = data.images[i] / 255;
  const xs = arch === 'cnn' ? tf.tensor4d(pixels, [data.count, 28, 28, 1]) : tf.tensor2d(pixels, [data.count, 784]);
  const ys = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 10).toFloat();
  return async (steps) => {
    const rows = Math.min(data.count, steps * batchSize);
    const x = rows === data.count ? xs : xs.slice(0, rows);
    const y = rows === data.count ? ys : ys.slice(0, rows);
    const start = performance.now();
    const history = await model.fit(x, y, { batchSize, epochs: 1, shuffle: true, verbose: 0 });
    const seconds = (performance.now() - start) / 1000;
    if (x !== xs) tf.dispose([x, y]);
    const loss = history.history.loss.at(-1);
    return { seconds, loss: typeof loss === 'number' ? loss : Number.NaN };
  };
}

/** A configuration that did not train: `error` says why; timings are NaN. */
export function failedResult(
  config: TrainConfig,
  error: string,
  where: { data: string; epochImages: number } = { data: '', epochImages: 60_000 },
  peakRssMiB = Number.NaN,
): TrainResult {
  return {
    config,
    ok: false,
    error,
    ...where,
    images: 0,
    steps: 0,
    seconds: 0,
    extrapolated: false,
    secondsPerEpoch: Number.NaN,
    imagesPerSecond: Number.NaN,
    warmupSeconds: 0,
    loss: Number.NaN,
    peakRssMiB,
  };
}

export async function runConfig(config: TrainConfig): Promise<TrainResult> {
  const data = await loadData();
  const base = { config, data: data.kind, epochImages: data.count };
  const failed = (error: unknown): TrainResult =>
    failedResult(config, (error as Error).message ?? String(error), base, process.resourceUsage().maxRSS / 1024);
  let train: Trainer;
  let warmupSeconds: number;
  try {
    train =
      config.impl === 'ours'
        ? await oursTrainer(config, data)
        : config.impl === 'jax-js'
          ? await jaxTrainer(config, data)
          : await tfjsTrainer(config, data);
    warmupSeconds = (await train(1)).seconds;
  } catch (error) {
    return failed(error);
  }
  // The warm-up step also pays one-off costs (planning, uploads, compilation): a short probe fit
  // (about a tenth of the budget) measures the step time that sizes the timed fit.
  const epochSteps = Math.ceil(data.count / config.batchSize);
  const cap = Math.min(epochSteps, config.maxSteps ?? epochSteps);
  let timed: { seconds: number; loss: number };
  let steps: number;
  try {
    // A step that takes half the budget already (tfjs-cpu's CNN) is timed once, without a probe.
    let stepSeconds = warmupSeconds;
    if (warmupSeconds < config.budgetSeconds / 2) {
      const probeSteps = Math.max(1, Math.min(cap, Math.floor((0.1 * config.budgetSeconds) / Math.max(warmupSeconds, 1e-6))));
      stepSeconds = (await train(probeSteps)).seconds / probeSteps;
    }
    steps = Math.max(1, Math.min(cap, Math.floor(config.budgetSeconds / Math.max(stepSeconds, 1e-6))));
    timed = await train(steps);
  } catch (error) {
    return failed(error);
  }
  const images = Math.min(data.count, steps * config.batchSize);
  const imagesPerSecond = images / timed.seconds;
  return {
    ...base,
    ok: true,
    images,
    steps,
    seconds: timed.seconds,
    extrapolated: images < data.count,
    secondsPerEpoch: data.count / imagesPerSecond,
    imagesPerSecond,
    warmupSeconds,
    loss: timed.loss,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = JSON.parse(process.argv[2] ?? '') as TrainConfig;
  runConfig(config).then(
    (result) => {
      process.stdout.write(`@@result ${JSON.stringify(result)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`train-worker: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
