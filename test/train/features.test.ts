// fit's training features: validationSplit, learning-rate schedules, augmentation, callbacks that
// stop the training and change weights and rates (earlyStopping, reduceLROnPlateau).
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { Dense, Dropout, Flatten } from '../../src/layers/index.js';
import type { Sequential } from '../../src/models/sequential.js';
import type { ImageSet } from '../../src/train/fit.js';
import { earlyStopping, reduceLROnPlateau } from '../../src/train/monitor-callbacks.js';
import { Rng } from '../../src/train/rng.js';
import { stepDecay } from '../../src/train/schedules.js';
import { makeModel, syntheticSet } from '../layers/helpers.js';

const CLASSES = 4;

async function smallModel(seed = 1, optimizer: 'sgd' | 'adam' = 'adam', learningRate?: number): Promise<Sequential> {
  const model = await makeModel(
    [8, 8, 1],
    [new Flatten(), new Dense(16, { activation: 'relu' }), new Dropout(0.2), new Dense(CLASSES, { activation: 'softmax' })],
    seed,
    false,
  );
  model.compile({ optimizer: { type: optimizer, learningRate } });
  return model;
}

/** The images of `set` at `indices`, as a set of their own. */
function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const pixels = set.rows * set.cols;
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    images.set(set.images.subarray(indices[i]! * pixels, (indices[i]! + 1) * pixels), i * pixels);
    labels[i] = set.labels[indices[i]!]!;
  }
  return { ...set, images, labels, count: indices.length };
}

/** The same images with every label moved to the next class: the better a model fits `set`, the worse its loss here. */
function wrongLabels(set: ImageSet): ImageSet {
  return { ...set, labels: set.labels.map((l) => (l + 1) % CLASSES) };
}

const set = syntheticSet(100, 8, 8, CLASSES, 3);

describe('validationSplit', () => {
  it('validates on the last fraction after one seeded shuffle, trains on the rest', async () => {
    const model = await smallModel();
    let batches = 0;
    const history = await model.fit(set, {
      epochs: 3,
      batchSize: 16,
      seed: 7,
      validationSplit: 0.25,
      callbacks: { onBatchEnd: () => void batches++ },
    });
    expect(batches).toBe(3 * Math.ceil(75 / 16));
    expect(history.history.valLoss).toHaveLength(3);
    // The held-out images: identity order shuffled once by the fit seed's stream 2, last 25.
    const order = Array.from({ length: 100 }, (_, i) => i);
    new Rng(7, 2).shuffle(order, 100);
    const held = subset(set, order.slice(75));
    const evaluation = model.evaluate(held, { batchSize: 16 });
    expect(history.history.valLoss!.at(-1)).toBe(evaluation.loss);
    expect(history.history.valAccuracy!.at(-1)).toBe(evaluation.accuracy);
  });

  it('refuses bad fractions and a second validation set, naming the option', async () => {
    const model = await smallModel();
    await expect(model.fit(set, { validationSplit: 1 })).rejects.toThrow(/validationSplit: expected a number between 0 and 1/);
    await expect(model.fit(set, { validationSplit: 0.001 })).rejects.toThrow(/leaves 0 for validation/);
    await expect(model.fit(set, { validationSplit: 0.2, validationData: set })).rejects.toThrow(ArgumentError);
  });
});

describe('learningRate schedules', () => {
  it('set the rate of every step on the optimizer (read back from the model each batch)', async () => {
    const model = await smallModel(1, 'sgd');
    const schedule = stepDecay({ initialRate: 0.1, epochs: 2, factor: 0.5 });
    const seen: number[] = [];
    const history = await model.fit(set, {
      epochs: 5,
      batchSize: 32,
      learningRate: schedule,
      callbacks: { onBatchEnd: () => void seen.push(model.learningRate) },
    });
    const expected = [0.1, 0.1, 0.05, 0.05, 0.025].flatMap((rate) => Array(4).fill(rate));
    expect(seen).toEqual(expected);
    expect(history.epoch).toHaveLength(5);
  });

  it('a schedule is the rate the step uses: a constant schedule trains bit-identically to that compiled rate', async () => {
    const scheduled = await smallModel(2, 'sgd', 0.01);
    const compiled = await smallModel(2, 'sgd', 0.05);
    await scheduled.fit(set, { epochs: 2, batchSize: 16, learningRate: () => 0.05 });
    await compiled.fit(set, { epochs: 2, batchSize: 16 });
    expect(scheduled.getWeights()).toEqual(compiled.getWeights());
  });

  it('a schedule that returns a non-positive rate stops fit with an error naming learningRate', async () => {
    const model = await smallModel();
    await expect(model.fit(set, { learningRate: ({ step }) => (step < 2 ? 0.01 : 0) })).rejects.toThrow(
      /learningRate: the schedule returned 0 at epoch 0, step 2/,
    );
  });
});

describe('augment', () => {
  it('changes the training, repeats bit for bit with the same seed, and never touches evaluation', async () => {
    const train = async (augment?: { shift: number; flip: boolean }) => {
      const model = await smallModel(3);
      const history = await model.fit(set, { epochs: 2, batchSize: 16, augment, validationData: set });
      return { model, history };
    };
    const plain = await train();
    const a = await train({ shift: 2, flip: true });
    const b = await train({ shift: 2, flip: true });
    expect(a.model.getWeights()).toEqual(b.model.getWeights());
    expect(a.history.history.loss).not.toEqual(plain.history.history.loss);
    // The validation pass after the last epoch is a plain evaluation.
    expect(a.history.history.valLoss!.at(-1)).toBe(a.model.evaluate(set, { batchSize: 16 }).loss);
    // Shift 0 without flips is the plain gather.
    const none = await train({ shift: 0, flip: false });
    expect(none.model.getWeights()).toEqual(plain.model.getWeights());
  });

  it("shifts and flips images of the set's rows x cols, for a flat [64] input as for [8, 8, 1]", async () => {
    // No dropout here: its masks follow the layer index, which the Flatten shifts.
    const flat = await makeModel([64], [new Dense(16, { activation: 'relu' }), new Dense(CLASSES, { activation: 'softmax' })], 1, false);
    flat.compile({ optimizer: 'adam' });
    const image = await makeModel(
      [8, 8, 1],
      [new Flatten(), new Dense(16, { activation: 'relu' }), new Dense(CLASSES, { activation: 'softmax' })],
      1,
      false,
    );
    image.compile({ optimizer: 'adam' });
    expect(flat.getWeights().map((w) => w.values)).toEqual(image.getWeights().map((w) => w.values));
    const augment = { shift: 2, flip: true };
    const a = await flat.fit(set, { epochs: 2, batchSize: 16, augment });
    const b = await image.fit(set, { epochs: 2, batchSize: 16, augment });
    expect(a.history.loss).toEqual(b.history.loss);
    expect(flat.getWeights().map((w) => w.values)).toEqual(image.getWeights().map((w) => w.values));
  });

  it('refuses shifts that do not fit the images', async () => {
    const model = await smallModel();
    await expect(model.fit(set, { augment: { shift: 8, flip: false } })).rejects.toThrow(/augment.shift: expected an integer in 0..7/);
    await expect(model.fit(set, { augment: { shift: 1, flip: 'yes' as unknown as boolean } })).rejects.toThrow(/augment.flip/);
  });
});

describe('earlyStopping', () => {
  // Validation on wrongly labelled copies of the training images: the better the model fits, the
  // worse the validation loss, so the best epoch is an early one and the last is worse.
  const validationData = wrongLabels(set);

  async function run(restoreBestWeights: boolean) {
    const model = await smallModel(4);
    const perEpoch: Float32Array[][] = [];
    const history = await model.fit(set, {
      epochs: 10,
      batchSize: 16,
      validationData,
      callbacks: [
        { onEpochEnd: () => void perEpoch.push(model.getWeights().map((w) => w.values)) },
        earlyStopping({ patience: 2, restoreBestWeights }),
      ],
    });
    return { model, perEpoch, history };
  }

  it('stops after `patience` epochs without improvement and restores the weights of the best epoch, not the last', async () => {
    const { model, perEpoch, history } = await run(true);
    const valLoss = history.history.valLoss!;
    const best = valLoss.indexOf(Math.min(...valLoss));
    expect(valLoss.length).toBe(best + 3); // two epochs without improvement, then the stop
    expect(valLoss.length).toBeLessThan(10);
    const weights = model.getWeights().map((w) => w.values);
    expect(weights).toEqual(perEpoch[best]);
    expect(weights).not.toEqual(perEpoch.at(-1));
    // The restored model evaluates to the best epoch's validation loss.
    expect(model.evaluate(validationData, { batchSize: 16 }).loss).toBe(valLoss[best]);
  });

  it('without restoreBestWeights keeps the last weights', async () => {
    const { model, perEpoch } = await run(false);
    expect(model.getWeights().map((w) => w.values)).toEqual(perEpoch.at(-1));
  });

  it('names a monitor missing from the logs and bad options', async () => {
    const model = await smallModel();
    await expect(model.fit(set, { callbacks: [earlyStopping()] })).rejects.toThrow(/'valLoss' is not in the epoch logs/);
    expect(() => earlyStopping({ patience: -1 })).toThrow(/earlyStopping patience/);
    expect(() => earlyStopping({ monitor: 'val_loss' as never })).toThrow(/earlyStopping monitor/);
  });
});

describe('reduceLROnPlateau', () => {
  it('multiplies the rate by factor after `patience` epochs without improvement, waits `cooldown`, stops at minLearningRate', async () => {
    const rates = async (minLearningRate: number) => {
      const model = await smallModel(5, 'adam', 0.01);
      const logged: number[] = [];
      const history = await model.fit(set, {
        epochs: 6,
        batchSize: 16,
        validationData: wrongLabels(set),
        callbacks: [
          reduceLROnPlateau({ factor: 0.5, patience: 2, cooldown: 1, minLearningRate }),
          { onEpochEnd: (_e, logs) => void logged.push(logs.learningRate) },
        ],
      });
      // Precondition: no epoch after the first improves on it.
      const valLoss = history.history.valLoss!;
      for (let e = 1; e < valLoss.length; e++) expect(valLoss[e]).toBeGreaterThan(valLoss[0]! - 1e-4);
      return logged;
    };
    // The logged rate is the one the epoch trained with. e0 best; e1, e2 without improvement → ×0.5
    // from e3; e3 is the cooldown epoch (and counts one without improvement), e4 the second → ×0.5 from e5.
    expect(await rates(0)).toEqual([0.01, 0.01, 0.01, 0.005, 0.005, 0.0025]);
    expect(await rates(0.004)).toEqual([0.01, 0.01, 0.01, 0.005, 0.005, 0.004]);
  });

  it('refuses a factor outside (0, 1)', () => {
    expect(() => reduceLROnPlateau({ factor: 1 })).toThrow(/reduceLROnPlateau factor/);
  });
});

describe('stopTraining', () => {
  it('set from onBatchEnd stops after that batch', async () => {
    const model = await smallModel();
    let batches = 0;
    const history = await model.fit(set, {
      epochs: 3,
      batchSize: 16,
      callbacks: {
        onBatchEnd: () => {
          batches++;
          if (batches === 9) model.stopTraining = true;
        },
      },
    });
    expect(batches).toBe(9);
    expect(history.epoch).toEqual([0, 1]);
    expect(model.iterations).toBe(9);
  });
});
