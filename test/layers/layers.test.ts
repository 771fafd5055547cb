// Layers: forward/backward of small models against the f64 reference network (a few training steps,
// weights compared), a central-difference gradient check of a whole model, shapes and errors.
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { Activation, Conv2D, Dense, Flatten, MaxPooling2D, type Layer } from '../../src/layers/index.js';
import type { CompileOptions } from '../../src/models/sequential.js';
import { rng } from '../helpers/random.js';
import { makeModel, maxAbs, maxAbsDiff, randomBatch, referenceOf } from './helpers.js';
import { RefTrainer, lossAndGradients, type RefOptimizer } from './reference-network.js';

const U = 2 ** -24; // f32 unit roundoff

interface Case {
  name: string;
  inputShape: number[];
  layers: () => Layer[];
  classes: number;
  /** Longest reduction in any kernel (fan-in, batch rows, or kh·kw·cin), for the tolerance. */
  k: number;
}

const ROWS = 9; // not a multiple of the 4-wide SIMD loops: the tails run too

const CASES: Case[] = [
  {
    name: 'MLP: Dense sigmoid → Dense relu → Dense softmax',
    inputShape: [12],
    layers: () => [new Dense(7, { activation: 'sigmoid' }), new Dense(5, { activation: 'relu' }), new Dense(4, { activation: 'softmax' })],
    classes: 4,
    k: 12,
  },
  {
    name: 'MLP without biases, Activation layers, final Activation(softmax)',
    inputShape: [10],
    layers: () => [
      new Dense(6, { useBias: false }),
      new Activation('sigmoid'),
      new Dense(3, { useBias: false }),
      new Activation('softmax'),
    ],
    classes: 3,
    k: 10,
  },
  {
    name: "CNN: Conv2D 'same' relu → MaxPooling2D 2x2 → Flatten → Dense softmax",
    inputShape: [6, 6, 2],
    layers: () => [
      new Conv2D(3, 3, { padding: 'same', activation: 'relu' }),
      new MaxPooling2D(),
      new Flatten(),
      new Dense(4, { activation: 'softmax' }),
    ],
    classes: 4,
    k: ROWS * 36,
  },
  {
    name: "CNN: Conv2D 'valid' 3x2 sigmoid → overlapping MaxPooling2D (stride 1) → Flatten → Dense → Dense softmax",
    inputShape: [6, 5, 1],
    layers: () => [
      new Conv2D(2, [3, 2], { activation: 'sigmoid' }),
      new MaxPooling2D({ poolSize: 2, strides: 1 }),
      new Flatten(),
      new Dense(5, { activation: 'sigmoid' }),
      new Dense(3, { activation: 'softmax' }),
    ],
    classes: 3,
    k: ROWS * 16,
  },
];

const OPTIMIZERS: { compile: CompileOptions; ref: RefOptimizer; reduction: 'mean' | 'sum' }[] = [
  { compile: { optimizer: { type: 'sgd', learningRate: 0.5 } }, ref: { type: 'sgd', learningRate: 0.5 }, reduction: 'mean' },
  {
    compile: { optimizer: { type: 'sgd', learningRate: 0.05 }, reduction: 'sum' },
    ref: { type: 'sgd', learningRate: 0.05 },
    reduction: 'sum',
  },
  {
    compile: { optimizer: { type: 'momentum', learningRate: 0.2, momentum: 0.9 } },
    ref: { type: 'momentum', learningRate: 0.2, momentum: 0.9 },
    reduction: 'mean',
  },
  { compile: { optimizer: { type: 'adam', learningRate: 0.01 } }, ref: { type: 'adam', learningRate: 0.01 }, reduction: 'mean' },
];

const STEPS = 4;

describe('layers against the f64 reference network', () => {
  for (const c of CASES) {
    for (const o of OPTIMIZERS) {
      it(`${c.name}, ${o.ref.type} (${o.reduction}): ${STEPS} steps`, async () => {
        const model = await makeModel(c.inputShape, c.layers(), 7);
        model.compile(o.compile);
        const reference = referenceOf(model);
        const trainer = new RefTrainer(reference.layers, reference.params, o.ref, o.reduction);
        const inputSize = c.inputShape.reduce((a, b) => a * b, 1);
        let maxGrad = 0;
        for (let step = 0; step < STEPS; step++) {
          const { x, labels } = randomBatch(ROWS, inputSize, c.classes, 100 + step);
          const { grads } = lossAndGradients(trainer.layers, trainer.params, Float64Array.from(x), labels, o.reduction);
          for (const list of grads) for (const g of list) maxGrad = Math.max(maxGrad, maxAbs(g));
          const refLoss = trainer.trainOnBatch(Float64Array.from(x), labels);
          const loss = model.trainOnBatch(x, labels);
          // The loss is a sum of ROWS·classes log-sum-exp terms of f32 logits: a few K·u relative.
          expect(Math.abs(loss - refLoss), `step ${step}: loss ${loss} vs reference ${refLoss}`).toBeLessThanOrEqual(
            8 * c.k * U * Math.max(1, refLoss),
          );
        }
        // Tolerance, per weight: each step's f32 gradient entry is a sum of at most K products, so it
        // differs from the f64 one by ≤ K·u·Σ|terms| ≲ K·u·G·(ROWS for 'sum'), G = max |gradient|
        // seen; the update scales it by the learning rate (Adam normalises: ≲ lr·K·u relative to
        // its step, bounded by lr·K·u·4 here), and storing the weight in f32 adds u·|w|. Over STEPS
        // steps the errors add, and feed back mildly through the next steps' gradients (factor 4).
        const weights = model.getWeights();
        const flatRef = trainer.params.flat();
        const maxW = Math.max(...flatRef.map((p) => maxAbs(p)));
        const lr = o.ref.learningRate;
        const perStep =
          o.ref.type === 'adam' ? lr * c.k * U * 4 + U * maxW : lr * c.k * U * maxGrad * (o.ref.type === 'momentum' ? 10 : 1) + U * maxW;
        const tolerance = 4 * STEPS * perStep;
        weights.forEach((w, i) => {
          const diff = maxAbsDiff(w.values, flatRef[i]!);
          expect(diff, `${w.name}: max |wasm − f64| = ${diff.toExponential(3)} > ${tolerance.toExponential(3)}`).toBeLessThanOrEqual(
            tolerance,
          );
        });
      });
    }
  }
});

describe('gradient check (central differences of the whole model loss)', () => {
  it('conv → flatten → dense sigmoid → dense softmax: analytic gradients match (L(w+h) − L(w−h)) / 2h', async () => {
    const model = await makeModel(
      [5, 5, 1],
      [
        new Conv2D(2, 3, { activation: 'sigmoid' }),
        new Flatten(),
        new Dense(5, { activation: 'sigmoid' }),
        new Dense(3, { activation: 'softmax' }),
      ],
      3,
    );
    model.compile({ optimizer: 'sgd' });
    const { x, labels } = randomBatch(6, 25, 3, 42);
    const { gradients } = model.computeGradients(x, labels);
    const weights = model.getWeights();
    // The loss comes back as an f64 from f32 logits z: perturbing a weight by h moves it smoothly,
    // but each evaluation carries a rounding noise of about u·Σ|z| ≲ u·rows·classes·max|z|/rows,
    // which the difference quotient divides by 2h; the truncation error is h²/6·|L'''| (sigmoid
    // and softmax derivatives are O(1), inputs < 1). With h = 1e-2: noise ≲ 1e-6/2e-2 = 5e-5
    // for max|z| ≲ 10, truncation ≲ 2e-5. Tolerance: 1e-4 + 1e-3·|g|.
    const h = 1e-2;
    let probes = 0;
    const pick = rng(5);
    for (let t = 0; t < weights.length; t++) {
      for (let j = 0; j < 3; j++) {
        const index = Math.floor(pick() * weights[t]!.values.length);
        const original = weights[t]!.values[index]!;
        const lossAt = (value: number) => {
          const copy = weights.map((w) => w.values.slice());
          copy[t]![index] = value;
          model.setWeights(copy);
          return model.computeGradients(x, labels).loss;
        };
        const plus = lossAt(original + h);
        const minus = lossAt(original - h);
        const numeric = (plus - minus) / (2 * h);
        const analytic = gradients[t]!.values[index]!;
        expect(Math.abs(numeric - analytic), `${weights[t]!.name}[${index}]: numeric ${numeric}, analytic ${analytic}`).toBeLessThanOrEqual(
          1e-4 + 1e-3 * Math.abs(analytic),
        );
        probes++;
      }
    }
    model.setWeights(weights);
    expect(probes).toBe(3 * weights.length);
  });
});

describe('shapes and argument errors', () => {
  it('computes Keras output shapes', () => {
    expect(new Dense(10).computeOutputShape([784])).toEqual([10]);
    expect(new Conv2D(32, 3).computeOutputShape([28, 28, 1])).toEqual([26, 26, 32]);
    expect(new Conv2D(8, [3, 5], { padding: 'same' }).computeOutputShape([28, 28, 1])).toEqual([28, 28, 8]);
    expect(new MaxPooling2D().computeOutputShape([26, 26, 32])).toEqual([13, 13, 32]);
    expect(new MaxPooling2D({ poolSize: 3, strides: 2 }).computeOutputShape([7, 8, 2])).toEqual([3, 3, 2]);
    expect(new Flatten().computeOutputShape([13, 13, 32])).toEqual([5408]);
    expect(new Activation('relu').computeOutputShape([5, 4])).toEqual([5, 4]);
  });

  it('rejects shapes that do not fit with a RangeError naming the layer', async () => {
    expect(() => new Dense(4).computeOutputShape([28, 28, 1])).toThrow(RangeError);
    expect(() => new Conv2D(4, 5).computeOutputShape([3, 3, 1])).toThrow(/5x5 kernel does not fit a 3x3 input/);
    expect(() => new MaxPooling2D({ poolSize: 4 }).computeOutputShape([3, 3, 1])).toThrow(RangeError);
    const model = await makeModel([784], [new Dense(4)]).catch((e: unknown) => e);
    expect(model).not.toBeInstanceOf(Error);
    await expect(makeModel([28, 28, 1], [new Dense(4, { name: 'head' })])).rejects.toThrow(/head: expected a 1-D input/);
  });

  it('rejects invalid options with an ArgumentError naming them', async () => {
    expect(() => new Dense(0)).toThrow(ArgumentError);
    expect(() => new Dense(3, { activation: 'tanh' as never })).toThrow(/Dense activation: expected one of/);
    expect(() => new Conv2D(3, 3, { padding: 'causal' as never })).toThrow(/Conv2D padding/);
    expect(() => new MaxPooling2D({ poolSize: 1.5 })).toThrow(/MaxPooling2D poolSize/);
    expect(() => new Activation('gelu' as never)).toThrow(ArgumentError);
    await expect(makeModel([4], [new Dense(3, { activation: 'softmax' }), new Dense(2)])).rejects.toThrow(
      /softmax is only supported as the output/,
    );
  });

  it('names layers like Keras and counts parameters', async () => {
    const model = await makeModel(
      [6, 6, 1],
      [new Conv2D(2, 3), new MaxPooling2D(), new Flatten(), new Dense(4), new Dense(3, { activation: 'softmax' })],
    );
    expect(model.layers.map((l) => l.name)).toEqual(['conv2d_1', 'max_pooling2d_1', 'flatten_1', 'dense_1', 'dense_2']);
    expect(model.parameterSlots.map((s) => s.name)).toEqual([
      'conv2d_1/kernel',
      'conv2d_1/bias',
      'dense_1/kernel',
      'dense_1/bias',
      'dense_2/kernel',
      'dense_2/bias',
    ]);
    expect(model.countParams()).toBe(3 * 3 * 1 * 2 + 2 + 8 * 4 + 4 + 4 * 3 + 3);
  });

  it('initialises Glorot-uniform kernels within ±√(6/(fanIn+fanOut)) and zero biases', async () => {
    const model = await makeModel(
      [784],
      [new Dense(300), new Dense(10, { activation: 'softmax', kernelInitializer: 'lecunNormal', useBias: false })],
    );
    const [kernel, bias, head] = model.getWeights();
    const limit = Math.sqrt(6 / (784 + 300));
    expect(maxAbs(kernel!.values)).toBeLessThanOrEqual(limit);
    expect(maxAbs(kernel!.values)).toBeGreaterThan(0.99 * limit);
    expect(maxAbs(bias!.values)).toBe(0);
    // N(0, 1/300): the sample standard deviation of 3000 draws is within a few percent of 1/√300.
    const values = head!.values;
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(Math.abs(std * Math.sqrt(300) - 1)).toBeLessThan(0.06);
  });
});
