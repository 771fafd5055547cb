// Dropout and BatchNormalization in models: inference behaviour (dropout off, batch norm on its
// moving statistics), whole-model gradients against central differences, non-trainable moving
// statistics, model files, and seeded bit-identical training.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { BatchNormalization, Conv2D, Dense, Dropout, Flatten, layerFromConfig, MaxPooling2D, type Layer } from '../../src/layers/index.js';
import { deserializeModel, serializeModel } from '../../src/models/save.js';
import type { Sequential } from '../../src/models/sequential.js';
import { rng } from '../helpers/random.js';
import { makeModel, maxAbsDiff, randomBatch, syntheticSet } from './helpers.js';

/** Random values in [lo, hi). */
function uniform(count: number, lo: number, hi: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: count }, () => lo + (hi - lo) * next());
}

/** Sets every weight named `…/<local>` of the model to random values in [lo, hi). */
function randomize(model: Sequential, local: string, lo: number, hi: number, seed: number): void {
  const weights = model.getWeights();
  for (const w of weights) if (w.name.endsWith(`/${local}`)) w.values.set(uniform(w.values.length, lo, hi, seed++));
  model.setWeights(weights);
}

describe('Dropout', () => {
  it('is off in predict and evaluate: outputs equal those of the same model without it, bit for bit', async () => {
    const layers = (dropout: boolean): Layer[] => [
      new Dense(16, { activation: 'relu' }),
      ...(dropout ? [new Dropout(0.5)] : []),
      new Dense(8, { activation: 'relu' }),
      ...(dropout ? [new Dropout(0.25)] : []),
      new Dense(4, { activation: 'softmax' }),
    ];
    const withDropout = await makeModel([12], layers(true), 7);
    const without = await makeModel([12], layers(false), 7);
    without.setWeights(withDropout.getWeights());
    const { x, labels } = randomBatch(10, 12, 4, 3);
    expect(withDropout.predict(x, 10).probabilities).toEqual(without.predict(x, 10).probabilities);
    const set = syntheticSet(30, 3, 4, 4, 2);
    const a = withDropout.evaluate(set);
    const b = without.evaluate(set);
    expect(a.loss).toBe(b.loss);
    expect(a.predictions).toEqual(b.predictions);
    // ... and on in training: the training loss differs (the mask drops half the units).
    withDropout.compile({ optimizer: 'sgd' });
    without.compile({ optimizer: 'sgd' });
    expect(withDropout.computeGradients(x, labels).loss).not.toBe(without.computeGradients(x, labels).loss);
  });

  it('validates its rate and rebuilds from its config', () => {
    expect(() => new Dropout(1)).toThrow(ArgumentError);
    expect(() => new Dropout(-0.1)).toThrow(/Dropout rate: expected a number in \[0, 1\), got -0.1/);
    const layer = layerFromConfig(new Dropout(0.3, { name: 'drop' }).getConfig());
    expect(layer).toBeInstanceOf(Dropout);
    expect(layer.getConfig()).toEqual({ className: 'Dropout', name: 'drop', rate: 0.3 });
  });
});

describe('BatchNormalization', () => {
  it('has Keras weights: gamma, beta, moving_mean, moving_variance, initialised to 1, 0, 0, 1', async () => {
    const model = await makeModel([5], [new Dense(3), new BatchNormalization(), new Dense(2, { activation: 'softmax' })]);
    const weights = model.getWeights().filter((w) => w.name.startsWith('batch_normalization_1/'));
    expect(weights.map((w) => w.name)).toEqual([
      'batch_normalization_1/gamma',
      'batch_normalization_1/beta',
      'batch_normalization_1/moving_mean',
      'batch_normalization_1/moving_variance',
    ]);
    expect(weights.map((w) => Array.from(w.values))).toEqual([
      [1, 1, 1],
      [0, 0, 0],
      [0, 0, 0],
      [1, 1, 1],
    ]);
    expect(model.parameterSlots.filter((s) => !s.trainable).map((s) => s.name)).toEqual([
      'batch_normalization_1/moving_mean',
      'batch_normalization_1/moving_variance',
    ]);
    // Keras' summary counts: (5·3 + 3) + 4·3 + (3·2 + 2) = 38 in all, 6 of them the moving statistics.
    expect(model.countParams()).toBe(38);
    expect(model.summary()).toMatch(/Total params: 38 .*\nTrainable params: 32 .*\nNon-trainable params: 6 \(24\.00 B\)/);
  });

  // Inference is y = gamma·(x − moving_mean)/√(moving_var + ε) + beta per channel, an affine map:
  // folded into the preceding layer's kernel and bias (kernel·s, bias·s + t with s = gamma/√(var + ε),
  // t = beta − mean·s) it must give the model without the layer. Tolerance: the folded and unfolded
  // sums differ by rounding only, a few ulps of each logit (|logit| < 10), so 1e-5 on probabilities.
  for (const kind of ['dense', 'conv'] as const) {
    it(`in inference equals its formula on the moving statistics (after ${kind === 'dense' ? 'Dense' : 'Conv2D'})`, async () => {
      const epsilon = 1e-3;
      const inputShape = kind === 'dense' ? [10] : [6, 6, 2];
      const first = () => (kind === 'dense' ? new Dense(6) : new Conv2D(3, 3, { padding: 'same' }));
      const tail = (): Layer[] =>
        kind === 'dense' ? [new Dense(4, { activation: 'softmax' })] : [new Flatten(), new Dense(4, { activation: 'softmax' })];
      const model = await makeModel(inputShape, [first(), new BatchNormalization({ epsilon }), ...tail()], 4);
      randomize(model, 'gamma', 0.5, 2, 10);
      randomize(model, 'beta', -1, 1, 20);
      randomize(model, 'moving_mean', -0.5, 0.5, 30);
      randomize(model, 'moving_variance', 0.2, 3, 40);
      const w = model.getWeights();
      const [kernel, bias, gamma, beta, mean, variance, ...rest] = w.map((t) => t.values);
      const channels = gamma!.length;
      const folded = await makeModel(inputShape, [first(), ...tail()], 4);
      const foldedKernel = kernel!.slice();
      const foldedBias = bias!.slice();
      for (let c = 0; c < channels; c++) {
        const scale = gamma![c]! / Math.sqrt(variance![c]! + epsilon);
        for (let i = c; i < foldedKernel.length; i += channels) foldedKernel[i] = kernel![i]! * scale;
        foldedBias[c] = bias![c]! * scale + beta![c]! - mean![c]! * scale;
      }
      folded.setWeights([foldedKernel, foldedBias, ...rest]);
      const count = 9;
      const x = uniform(count * inputShape.reduce((a, b) => a * b), 0, 1, 5);
      const got = model.predict(x, count).probabilities;
      const want = folded.predict(x, count).probabilities;
      expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5);
      // The moving statistics made a difference (the test is not vacuous).
      const plain = await makeModel(inputShape, [first(), ...tail()], 4);
      plain.setWeights([kernel!, bias!, ...rest]);
      expect(maxAbsDiff(plain.predict(x, count).probabilities, want)).toBeGreaterThan(1e-2);
    });
  }

  it('is moved by no optimizer: moving statistics change only through the forward moving average', async () => {
    for (const optimizer of ['sgd', 'momentum', 'adam'] as const) {
      // momentum 1: the moving average keeps the old value exactly, so any change would be an optimizer's.
      const model = await makeModel(
        [3, 4, 1],
        [new Flatten(), new Dense(6), new BatchNormalization({ momentum: 1 }), new Dense(4, { activation: 'softmax' })],
        2,
      );
      randomize(model, 'moving_mean', -1, 1, 3);
      model.compile({ optimizer });
      const before = model.getWeights();
      await model.fit(syntheticSet(40, 3, 4, 4, 6), { batchSize: 8, epochs: 2 });
      const after = model.getWeights();
      for (let i = 0; i < before.length; i++) {
        if (/moving_/.test(before[i]!.name)) expect(after[i]!.values, `${optimizer}: ${before[i]!.name}`).toEqual(before[i]!.values);
        else expect(maxAbsDiff(after[i]!.values, before[i]!.values), `${optimizer}: ${before[i]!.name}`).toBeGreaterThan(0);
      }
    }
  });

  it('updates the moving statistics with Keras momentum from the batch statistics in training', async () => {
    const momentum = 0.9;
    const model = await makeModel([4], [new BatchNormalization({ momentum }), new Dense(3, { activation: 'softmax' })], 1);
    model.compile({ optimizer: 'sgd' });
    const { x, labels } = randomBatch(8, 4, 3, 11);
    const { gradients } = model.computeGradients(x, labels);
    expect(gradients[2]!.values).toEqual(new Float32Array(4));
    expect(gradients[3]!.values).toEqual(new Float32Array(4));
    const weights = model.getWeights();
    for (let c = 0; c < 4; c++) {
      let sum = 0;
      for (let r = 0; r < 8; r++) sum += x[r * 4 + c]!;
      const batchMean = sum / 8;
      let squares = 0;
      for (let r = 0; r < 8; r++) squares += (x[r * 4 + c]! - batchMean) ** 2;
      // f32 statistics and f32 update: a few ulps of values ≤ 1.
      expect(weights[2]!.values[c]).toBeCloseTo((1 - momentum) * batchMean, 6);
      expect(weights[3]!.values[c]).toBeCloseTo(momentum + (1 - momentum) * (squares / 8), 6);
    }
  });

  it('validates its options and shapes, and rebuilds from its config', () => {
    expect(() => new BatchNormalization({ momentum: 1.5 })).toThrow(/BatchNormalization momentum: expected a number in \[0, 1\]/);
    expect(() => new BatchNormalization({ epsilon: 0 })).toThrow(ArgumentError);
    expect(() => new BatchNormalization({ name: 'bn' }).computeOutputShape([4, 4])).toThrow(RangeError);
    const layer = layerFromConfig(new BatchNormalization({ name: 'bn', momentum: 0.9 }).getConfig());
    expect(layer.getConfig()).toEqual({ className: 'BatchNormalization', name: 'bn', momentum: 0.9, epsilon: 1e-3 });
  });
});

describe('gradient check with BatchNormalization and Dropout (central differences of the whole model loss)', () => {
  it('conv → BN → pool → flatten → dense sigmoid → dropout → BN → dense softmax', async () => {
    const model = await makeModel(
      [6, 6, 1],
      [
        new Conv2D(2, 3, { activation: 'sigmoid' }),
        new BatchNormalization(),
        new MaxPooling2D(),
        new Flatten(),
        new Dense(5, { activation: 'sigmoid' }),
        new Dropout(0.3),
        new BatchNormalization(),
        new Dense(3, { activation: 'softmax' }),
      ],
      3,
    );
    randomize(model, 'gamma', 0.5, 1.5, 1);
    randomize(model, 'beta', -0.5, 0.5, 2);
    model.compile({ optimizer: 'sgd' });
    const { x, labels } = randomBatch(6, 36, 3, 42);
    const weights = model.getWeights();
    // computeGradients is a training pass at the same optimizer step every call: the same dropout
    // mask, batch statistics from the batch (the moving ones never enter the training loss).
    const { gradients } = model.computeGradients(x, labels);
    // Tolerance as in layers.test.ts' check (h = 1e-2: rounding noise ≲ 5e-5, truncation h²/6·|L'''|).
    const h = 1e-2;
    const pick = rng(5);
    let probes = 0;
    for (let t = 0; t < weights.length; t++) {
      const name = weights[t]!.name;
      if (/moving_/.test(name)) {
        expect(gradients[t]!.values, name).toEqual(new Float32Array(weights[t]!.values.length));
        continue;
      }
      for (let j = 0; j < 3; j++) {
        const index = Math.floor(pick() * weights[t]!.values.length);
        const lossAt = (value: number) => {
          const copy = weights.map((w) => w.values.slice());
          copy[t]![index] = value;
          model.setWeights(copy);
          return model.computeGradients(x, labels).loss;
        };
        const numeric = (lossAt(weights[t]!.values[index]! + h) - lossAt(weights[t]!.values[index]! - h)) / (2 * h);
        const analytic = gradients[t]!.values[index]!;
        expect(Math.abs(numeric - analytic), `${name}[${index}]: numeric ${numeric}, analytic ${analytic}`).toBeLessThanOrEqual(
          1e-4 + 1e-3 * Math.abs(analytic),
        );
        probes++;
      }
    }
    expect(probes).toBe(3 * 10); // 10 trainable tensors: kernels, biases, gammas, betas
  });
});

describe('models with Dropout and BatchNormalization', () => {
  const cnnLayers = (): Layer[] => [
    new Conv2D(4, 3, { padding: 'same', activation: 'relu' }),
    new BatchNormalization(),
    new MaxPooling2D(),
    new Flatten(),
    new Dense(12, { activation: 'relu' }),
    new BatchNormalization(),
    new Dropout(0.4),
    new Dense(10, { activation: 'softmax' }),
  ];

  it('train bit-identically from the same seed, and differently from another', async () => {
    const set = syntheticSet(60, 8, 8, 10, 4);
    const train = async (seed: number) => {
      const model = await makeModel([8, 8, 1], cnnLayers(), seed, false);
      model.compile({ optimizer: 'adam' });
      const history = await model.fit(set, { batchSize: 16, epochs: 2, seed: 1 });
      return { weights: model.getWeights(), history };
    };
    const a = await train(5);
    const b = await train(5);
    a.weights.forEach((w, i) => expect(b.weights[i]!.values, w.name).toEqual(w.values));
    expect(b.history.history.loss).toEqual(a.history.history.loss);
    // Another model seed: other initial weights AND other dropout masks.
    const c = await train(6);
    expect(c.history.history.loss).not.toEqual(a.history.history.loss);
  });

  it('round-trip through model files: same weights (moving statistics included), predictions and bytes', async () => {
    const model = await makeModel([8, 8, 1], cnnLayers(), 2, false);
    model.compile({ optimizer: 'adam' });
    const set = syntheticSet(40, 8, 8, 10, 9);
    await model.fit(set, { batchSize: 16 });
    const bytes = serializeModel(model);
    const copy = await deserializeModel(bytes);
    expect(copy.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    const moving = copy.getWeights().find((w) => w.name === 'batch_normalization_1/moving_mean')!;
    expect(moving.values.some((v) => v !== 0)).toBe(true);
    expect(copy.getWeights()).toEqual(model.getWeights());
    expect(copy.predict(set.images, set.count).probabilities).toEqual(model.predict(set.images, set.count).probabilities);
    expect(serializeModel(copy)).toEqual(bytes);
  });
});
