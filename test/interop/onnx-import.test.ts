// ONNX → here: files written as torch.onnx.export writes them (onnx-import-graphs.ts), with the
// weights of two small models of ours trained briefly and put in PyTorch's layouts (Linear [out, in],
// Conv OIHW, the first Dense's rows in NCHW's C, H, W order), imported and compared with ONNX Runtime
// Web on the same file: the same labels on 1,000 real test images and probabilities within 1e-5
// (runtimes.test.ts derives the bound). Graphs that end in logits or LogSoftmax are compared through
// softmax (f64) or exp of ORT's output. Then our own export of each architecture imported back.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { loadFashionMnist, type ImageSet } from '../../src/data/index.js';
import { exportModel } from '../../src/interop/index.js';
import { buildOnnxModel, parseOnnx } from '../../src/interop/onnx-import.js';
import { Activation, BatchNormalization, Conv2D, Dense, Flatten, MaxPooling2D } from '../../src/layers/index.js';
import { createModel, MODERN_DEFAULTS, type ArchitectureName } from '../../src/models/architectures.js';
import { Sequential } from '../../src/models/sequential.js';
import { hwioToOihw, int, ints, rowsToChw, softmaxRows, TorchGraph, transpose } from './onnx-import-graphs.js';
import { argmaxRows, maxAbsDifference, ortPredict, ortSession } from './peers.js';

const DIR = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const TEST_IMAGES = 1000;
const TOLERANCE = 1e-5;

let train: ImageSet;
let inputs: Float32Array;
beforeAll(async () => {
  const data = await loadFashionMnist({ dir: DIR, limit: 3000, testLimit: TEST_IMAGES });
  train = data.train;
  inputs = Float32Array.from(data.test.images, (pixel) => pixel / 255);
});

function subset(count: number): ImageSet {
  return { ...train, images: train.images.subarray(0, count * 784), labels: train.labels.subarray(0, count), count };
}

/** A model of ours trained for one epoch, and its weights by name. */
async function trained(inputShape: number[], layers: ConstructorParameters<typeof Sequential>[1]['layers'], images: number) {
  const model = new Sequential(await loadCore(), { inputShape, layers, seed: 1 });
  model.compile({ optimizer: 'adam' });
  await model.fit(subset(images), { epochs: 1, batchSize: 32, seed: 1 });
  const weights = new Map(model.getWeights().map((w) => [w.name, w.values]));
  const prediction = model.predict(inputs, TEST_IMAGES);
  model.dispose();
  return { weights: (name: string) => weights.get(name)!, prediction };
}

type Ending = 'softmax' | 'log-softmax' | 'logits';

/** Imports `bytes`, runs ORT on them, and checks labels and probabilities; returns our model's layers and predictions. */
async function compareWithOrt(name: string, bytes: Uint8Array, shape: number[], ending: Ending) {
  const parsed = parseOnnx(bytes, `${name}.onnx`);
  expect(parsed.ending).toBe(ending);
  const model = await buildOnnxModel(parsed);
  const ours = model.predict(inputs, TEST_IMAGES);
  const layers = model.layers.map((l) => (l.activation === 'linear' ? l.className : `${l.className}(${l.activation})`));
  model.dispose();
  const session = await ortSession(bytes);
  const raw = await ortPredict(session, inputs, TEST_IMAGES, shape);
  await session.release();
  const theirs = ending === 'softmax' ? raw : ending === 'log-softmax' ? raw.map(Math.exp) : softmaxRows(raw);
  const { max, index } = maxAbsDifference(theirs, ours.probabilities);
  expect(max, `${name}: largest |onnxruntime − ours| at output ${index}`).toBeLessThanOrEqual(TOLERANCE);
  expect(argmaxRows(theirs, 10)).toEqual(ours.labels);
  // Trained enough that the labels are a meaningful comparison.
  expect(new Set(ours.labels).size, `${name}: distinct predicted classes`).toBeGreaterThanOrEqual(8);
  return { layers, ours, parsed };
}

describe('an MLP with batch normalisation after a Linear, written as PyTorch writes it', () => {
  let model: Awaited<ReturnType<typeof trained>>;
  beforeAll(async () => {
    // Dense(64, relu) → Dense(32) → BatchNormalization → relu → Dense(10): nn.Linear, nn.BatchNorm1d.
    model = await trained(
      [784],
      [
        new Dense(64, { activation: 'relu' }),
        new Dense(32),
        new BatchNormalization(),
        new Activation('relu'),
        new Dense(10, { activation: 'softmax' }),
      ],
      3000,
    );
  });
  const bn = () => ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => model.weights(`batch_normalization_1/${w}`));
  const linear = (g: TorchGraph, x: string, scope: string, dense: string, inputs: number, units: number) =>
    g.linear(x, scope, transpose(model.weights(`${dense}/kernel`), inputs, units), model.weights(`${dense}/bias`), units);

  it('Gemm (transB = 1), Relu, BatchNormalization, logits (opset 13): ORT agrees, and it is our model again, bit for bit', async () => {
    const g = new TorchGraph({ input: [784] });
    let x = g.node('Relu', [linear(g, 'input', 'fc1', 'dense_1', 784, 64)]);
    x = g.batchNorm(linear(g, x, 'fc2', 'dense_2', 64, 32), 'bn', bn(), 1e-3, 0.99);
    x = linear(g, g.node('Relu', [x]), 'fc3', 'dense_3', 32, 10);
    const { layers, ours, parsed } = await compareWithOrt('mlp-gemm', g.encode(x), [784], 'logits');
    expect(layers).toEqual(['Dense(relu)', 'Dense', 'BatchNormalization', 'Activation(relu)', 'Dense(softmax)']);
    expect(parsed.layers[2]).toMatchObject({ className: 'BatchNormalization', momentum: 0.99, epsilon: 1e-3 });
    expect(parsed.classNames[9]).toBe('Ankle boot');
    expect(ours.probabilities).toEqual(model.prediction.probabilities);
  });

  it('MatMul + Add, Dropout and Identity, LogSoftmax, a fixed batch (opset 11)', async () => {
    const g = new TorchGraph({ input: [784], opset: 11, batch: TEST_IMAGES });
    const matmul = (x: string, scope: string, dense: string, units: number) =>
      g.matmulAdd(x, scope, model.weights(`${dense}/kernel`), model.weights(`${dense}/bias`), units);
    let x = g.node('Relu', [matmul('input', 'fc1', 'dense_1', 64)]);
    x = g.node('Dropout', [x], [{ name: 'ratio', type: 1, f: 0.5 }]);
    x = g.node('Identity', [g.batchNorm(matmul(x, 'fc2', 'dense_2', 32), 'bn', bn(), 1e-3)]);
    x = g.node('LogSoftmax', [matmul(g.node('Relu', [x]), 'fc3', 'dense_3', 10)], [int('axis', 1)]);
    const { layers, parsed } = await compareWithOrt('mlp-matmul', g.encode(x), [784], 'log-softmax');
    expect(layers).toEqual(['Dense(relu)', 'Dense', 'BatchNormalization', 'Activation(relu)', 'Dense(softmax)']);
    // PyTorch writes momentum as 1 − its own (0.1 → 0.9), Keras' convention.
    expect(parsed.layers[2]).toMatchObject({ momentum: 0.9 });
  });
});

describe('a CNN with batch normalisation after a Conv and after a Linear, written as PyTorch writes it', () => {
  let model: Awaited<ReturnType<typeof trained>>;
  beforeAll(async () => {
    // Conv2D(8, 3, same) → BatchNormalization → relu → MaxPooling2D → Flatten → Dense(32) → BatchNormalization → relu → Dense(10).
    model = await trained(
      [28, 28, 1],
      [
        new Conv2D(8, 3, { padding: 'same' }),
        new BatchNormalization(),
        new Activation('relu'),
        new MaxPooling2D({ poolSize: 2, strides: 2 }),
        new Flatten(),
        new Dense(32),
        new BatchNormalization(),
        new Activation('relu'),
        new Dense(10, { activation: 'softmax' }),
      ],
      1000,
    );
  });
  const bn = (layer: string) => ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => model.weights(`${layer}/${w}`));
  const convWeight = () => hwioToOihw(model.weights('conv2d_1/kernel'), 3, 3, 1, 8);
  // Flatten of [14, 14, 8]: PyTorch's rows are in C, H, W order.
  const fc1 = () => transpose(rowsToChw(model.weights('dense_1/kernel'), 14, 14, 8, 32), 1568, 32);
  const tail = (g: TorchGraph, flat: string) => {
    const x = g.node('Relu', [
      g.batchNorm(g.linear(flat, 'fc1', fc1(), model.weights('dense_1/bias'), 32), 'bn2', bn('batch_normalization_2'), 1e-3),
    ]);
    return g.linear(x, 'fc2', transpose(model.weights('dense_2/kernel'), 32, 10), model.weights('dense_2/bias'), 10);
  };

  // The images as PyTorch takes them (NCHW), flat and reshaped by the graph, or NHWC and transposed by it.
  it.each([
    [11, 'nchw'],
    [13, 'nchw'],
    [13, 'flat'],
    [13, 'nhwc'],
  ] as const)(
    'Conv (pads 1) → BatchNormalization → Relu, MaxPool, x.view(x.size(0), -1), Softmax (opset %i, %s input)',
    async (opset, layout) => {
      const shape = { nchw: [1, 28, 28], flat: [784], nhwc: [28, 28, 1] }[layout];
      const g = new TorchGraph({ input: shape, opset });
      const images =
        layout === 'flat'
          ? g.node('Reshape', ['input', g.constant([-1, 1, 28, 28])])
          : layout === 'nhwc'
            ? g.node('Transpose', ['input'], [ints('perm', [0, 3, 1, 2])])
            : 'input';
      let x = g.conv(images, 'conv1', convWeight(), model.weights('conv2d_1/bias'), [8, 1, 3, 3], [1, 1, 1, 1]);
      x = g.maxPool(g.node('Relu', [g.batchNorm(x, 'bn1', bn('batch_normalization_1'), 1e-3)]), 2);
      x = g.node('Softmax', [tail(g, g.viewFlatten(x))], [int('axis', opset >= 13 ? -1 : 1)]);
      const { layers, ours, parsed } = await compareWithOrt(`cnn-view-${opset}-${layout}`, g.encode(x), shape, 'softmax');
      expect(parsed.inputShape).toEqual([28, 28, 1]);
      expect(layers).toEqual([
        'Conv2D',
        'BatchNormalization',
        'Activation(relu)',
        'MaxPooling2D',
        'Flatten',
        'Dense',
        'BatchNormalization',
        'Activation(relu)',
        'Dense(softmax)',
      ]);
      expect(ours.probabilities).toEqual(model.prediction.probabilities);
    },
  );

  it("the Conv's batch norm folded into it (PyTorch's eval export), MaxPool before Relu, Flatten, Gemm alpha/beta, logits (opset 17)", async () => {
    const [gamma, beta, mean, variance] = bn('batch_normalization_1') as [Float32Array, Float32Array, Float32Array, Float32Array];
    const weight = convWeight();
    const bias = model.weights('conv2d_1/bias').slice();
    for (let o = 0; o < 8; o++) {
      const scale = gamma[o]! / Math.sqrt(variance[o]! + 1e-3);
      for (let i = 0; i < 9; i++) weight[o * 9 + i]! *= scale;
      bias[o] = (bias[o]! - mean[o]!) * scale + beta[o]!;
    }
    const g = new TorchGraph({ input: [1, 28, 28], opset: 17 });
    const x = g.node('Relu', [g.maxPool(g.conv('input', 'conv1', weight, bias, [8, 1, 3, 3], [1, 1, 1, 1]), 2)]);
    const flat = g.node('Flatten', [x], [int('axis', 1)]);
    const h = g.linear(
      flat,
      'fc1',
      fc1().map((v) => v * 2),
      model.weights('dense_1/bias').map((v) => v / 2),
      32,
      0.5,
      2,
    );
    const out = g.linear(
      g.node('Relu', [g.batchNorm(h, 'bn2', bn('batch_normalization_2'), 1e-3)]),
      'fc2',
      transpose(model.weights('dense_2/kernel'), 32, 10),
      model.weights('dense_2/bias'),
      10,
    );
    const { layers } = await compareWithOrt('cnn-folded', g.encode(out), [1, 28, 28], 'logits');
    expect(layers).toEqual([
      'Conv2D(relu)',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'BatchNormalization',
      'Activation(relu)',
      'Dense(softmax)',
    ]);
  });
});

// Our export, imported back: the same layers and predictions bit for bit (ORT checks the export itself
// in runtimes.test.ts). Dropout has no ONNX node and comes back as nothing; batch normalisation's
// momentum is not in ONNX's inference node, so it comes back as ONNX's default.
describe.each([
  ['scratch-mlp', {}, 3000],
  ['mlp', {}, 3000],
  ['cnn', {}, 1000],
  ['cnn', { filters: [8], hidden: [32], batchNorm: true, dropout: 0.25 }, 1000],
] as const)('%s %j, trained briefly, exported to ONNX and imported', (name, options, images) => {
  it('gives the same layers and the same predictions, bit for bit', async () => {
    const original = await createModel(name as ArchitectureName, { seed: 1, ...options });
    await original.fit(subset(images), { epochs: 1, batchSize: MODERN_DEFAULTS[name].batchSize, seed: 1 });
    const expected = original.predict(inputs, TEST_IMAGES);
    const configs = original.layers.filter((l) => l.className !== 'Dropout').map((l) => l.getConfig());
    const [file] = exportModel(original, 'onnx');
    original.dispose();
    const parsed = parseOnnx(file!.bytes, file!.name);
    const stripped = (list: typeof configs) =>
      list.map(({ name: _name, ...c }) =>
        'kernelInitializer' in c ? { ...c, kernelInitializer: 'any' } : 'momentum' in c ? { ...c, momentum: 'any' } : c,
      );
    expect(stripped(parsed.layers)).toEqual(stripped(configs));
    expect(parsed.inputShape).toEqual(name === 'cnn' ? [28, 28, 1] : [784]);
    const imported = await buildOnnxModel(parsed);
    const got = imported.predict(inputs, TEST_IMAGES);
    imported.dispose();
    expect(got.probabilities).toEqual(expected.probabilities);
    expect(got.labels).toEqual(expected.labels);
  });
});
