// One model used from callbacks and by two callers (issue 10, item 5): a second fit while one runs
// fails at once with a typed error and never interleaves; evaluate/predict/computeGradients from
// callbacks work and leave the run bit-identical to one without them; dispose releases the core.
import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { ArgumentError } from '../../src/errors.js';
import { Conv2D, Dense, Flatten, MaxPooling2D } from '../../src/layers/index.js';
import { Sequential } from '../../src/models/sequential.js';
import type { Callbacks } from '../../src/train/callbacks.js';
import { makeModel, syntheticSet } from '../layers/helpers.js';

const SIDE = 8;
const CLASSES = 4;
const train = syntheticSet(90, SIDE, SIDE, CLASSES, 1);
const validation = syntheticSet(40, SIDE, SIDE, CLASSES, 2);
const other = syntheticSet(33, SIDE, SIDE, CLASSES, 3);

/** A small CNN: its max-pooling has a per-batch argmax buffer, the one a second run plan must not clobber. */
async function cnn(): Promise<Sequential> {
  const model = await makeModel(
    [SIDE, SIDE, 1],
    [
      new Conv2D(4, 3, { activation: 'relu' }),
      new MaxPooling2D({ poolSize: 2, strides: 2 }),
      new Flatten(),
      new Dense(8, { activation: 'relu' }),
      new Dense(CLASSES, { activation: 'softmax' }),
    ],
    5,
    false,
  );
  model.compile({ optimizer: { type: 'adam', learningRate: 0.01 } });
  return model;
}

async function trained(callbacks?: (model: Sequential) => Callbacks) {
  const model = await cnn();
  const history = await model.fit(train, { epochs: 2, batchSize: 16, seed: 9, validationData: validation, callbacks: callbacks?.(model) });
  return { model, history, weights: model.getWeights() };
}

describe('one model, one training at a time', () => {
  it('evaluate, predict and computeGradients inside callbacks work and do not disturb the training', async () => {
    const plain = await trained();
    const seen: { loss: number; accuracy: number }[] = [];
    const busy = await trained((model) => ({
      onBatchEnd: (batch) => {
        // An unplanned set with another batch size: a temporary run above the training run.
        model.evaluate(other, { batchSize: 7 });
        model.predict(other.images.subarray(0, 5 * SIDE * SIDE), 5);
        if (batch === 1) model.computeGradients(new Float32Array(40 * SIDE * SIDE).fill(0.5), new Array(40).fill(1));
      },
      onEpochEnd: () => {
        const { loss, accuracy } = model.evaluate(validation);
        seen.push({ loss, accuracy });
      },
    }));
    expect(busy.weights).toEqual(plain.weights);
    expect(busy.history.history.loss).toEqual(plain.history.history.loss);
    expect(busy.history.history.valLoss).toEqual(plain.history.history.valLoss);
    // evaluate() in onEpochEnd saw the weights of that epoch: the last one equals the validation of the run.
    expect(seen.map((s) => s.loss)).toEqual(plain.history.history.valLoss);
    expect(seen.map((s) => s.accuracy)).toEqual(plain.history.history.valAccuracy);
    // After the run, predictions and evaluation are those of the same weights.
    expect(busy.model.evaluate(other)).toEqual(plain.model.evaluate(other));
  });

  it('a second fit while one runs fails at once with a typed error, and the first run is unchanged', async () => {
    const plain = await trained();
    const model = await cnn();
    const first = model.fit(train, { epochs: 2, batchSize: 16, seed: 9, validationData: validation });
    expect(model.training).toBe(true);
    // Called before the first run yields again (its steps run between awaits, so check them all now).
    const second = model.fit(train, { epochs: 1, batchSize: 5 });
    const third = model.fit(other, { epochs: 1 });
    expect(() => model.trainOnBatch(new Float32Array(SIDE * SIDE), [0])).toThrow(/trainOnBatch: the model is training/);
    expect(() => model.compile()).toThrow(/compile: the model is training/);
    expect(() => model.dispose()).toThrow(/dispose: the model is training/);
    await expect(second).rejects.toThrow(ArgumentError);
    await expect(third).rejects.toThrow(/fit: the model is training/);
    await first;
    expect(model.training).toBe(false);
    expect(model.getWeights()).toEqual(plain.weights);
    expect(model.iterations).toBe(2 * Math.ceil(train.count / 16));
  });

  it('fit() inside onEpochEnd gets the typed error; the outer training goes on', async () => {
    const errors: unknown[] = [];
    const plain = await trained();
    const inner = await trained((model) => ({
      onEpochEnd: async () => {
        await model.fit(train, { epochs: 1 }).catch((error: unknown) => errors.push(error));
      },
    }));
    expect(errors).toHaveLength(2);
    expect(errors.every((e) => e instanceof ArgumentError && /the model is training/.test(e.message))).toBe(true);
    expect(inner.weights).toEqual(plain.weights);
  });

  it('a second fit after the first returns trains on', async () => {
    const model = await cnn();
    await model.fit(train, { epochs: 1, batchSize: 16 });
    const before = model.iterations;
    await model.fit(other, { epochs: 1, batchSize: 16 });
    expect(model.iterations).toBe(before + Math.ceil(other.count / 16));
  });
});

describe('dispose', () => {
  it('releases the core (core.dispose when the core has one) and leaves the model unusable', async () => {
    const core = await loadCore();
    let released = 0;
    const disposable = Object.assign(Object.create(core) as typeof core, {
      dispose: () => {
        released++;
      },
    });
    const model = new Sequential(disposable, { inputShape: [SIDE * SIDE], layers: [new Dense(CLASSES, { activation: 'softmax' })] });
    model.compile();
    model.dispose();
    model.dispose();
    expect(released).toBe(1);
    expect(() => model.predict(new Uint8Array(SIDE * SIDE), 1)).toThrow(/model: the model is disposed/);
    expect(() => model.getWeights()).toThrow(ArgumentError);
    await expect(model.fit(train)).rejects.toThrow(ArgumentError);
  });

  it('works with `using` (Symbol.dispose)', async () => {
    let model: Sequential | undefined;
    {
      using scoped = new Sequential(await loadCore(), { inputShape: [4], layers: [new Dense(2, { activation: 'softmax' })] });
      model = scoped;
      expect(scoped.countParams()).toBe(10);
    }
    expect(() => model.countParams()).toThrow(/disposed/);
  });
});
