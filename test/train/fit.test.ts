// The training loop on small synthetic data: callbacks, history, the partial last batch,
// determinism, the NaN/Inf stop, constant memory, option errors.
import { describe, expect, it } from 'vitest';
import { ArgumentError, TrainingError } from '../../src/errors.js';
import { Dense } from '../../src/layers/index.js';
import type { Sequential } from '../../src/models/sequential.js';
import type { EpochLogs } from '../../src/train/callbacks.js';
import { makeModel, syntheticSet } from '../layers/helpers.js';

const ROWS = 4;
const COLS = 5;

async function smallModel(seed = 1, debug = true): Promise<Sequential> {
  const model = await makeModel(
    [ROWS * COLS],
    [new Dense(8, { activation: 'relu' }), new Dense(4, { activation: 'softmax' })],
    seed,
    debug,
  );
  model.compile({ optimizer: { type: 'sgd', learningRate: 0.1 } });
  return model;
}

describe('fit', () => {
  it('calls the callbacks in order, trains the partial last batch, and returns the history', async () => {
    const model = await smallModel();
    const train = syntheticSet(103, ROWS, COLS, 4, 1);
    const test = syntheticSet(50, ROWS, COLS, 4, 2);
    const events: string[] = [];
    const sizes: number[] = [];
    const history = await model.fit(train, {
      epochs: 3,
      batchSize: 10,
      validationData: test,
      callbacks: {
        onTrainBegin: () => {
          events.push('trainBegin');
        },
        onEpochBegin: (epoch) => {
          events.push(`epochBegin ${epoch}`);
        },
        onBatchEnd: async (batch, logs) => {
          if (batch === 0 || batch === 10) events.push(`batch ${batch}`);
          sizes.push(logs.size);
          expect(Number.isFinite(logs.loss) && logs.accuracy >= 0 && logs.accuracy <= 1 && logs.imagesPerSecond > 0).toBe(true);
          await Promise.resolve();
        },
        onEpochEnd: (epoch, logs) => {
          events.push(`epochEnd ${epoch}`);
          expect(logs.valLoss).toBeGreaterThan(0);
          expect(logs.seconds).toBeGreaterThan(0);
        },
        onTrainEnd: (logs) => {
          events.push(`trainEnd ${logs.epochs}`);
        },
      },
    });
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 0',
      'batch 0',
      'batch 10',
      'epochEnd 0',
      'epochBegin 1',
      'batch 0',
      'batch 10',
      'epochEnd 1',
      'epochBegin 2',
      'batch 0',
      'batch 10',
      'epochEnd 2',
      'trainEnd 3',
    ]);
    expect(sizes.slice(0, 11)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
    expect(model.iterations).toBe(33);
    expect(history.epoch).toEqual([0, 1, 2]);
    expect(history.history.loss).toHaveLength(3);
    expect(history.history.valAccuracy).toHaveLength(3);
    // It learns: the synthetic classes are separable.
    expect(history.history.loss[2]!).toBeLessThan(history.history.loss[0]!);
    expect(history.history.valAccuracy![2]!).toBeGreaterThan(0.9);
    // valLoss/valAccuracy are evaluate()'s on the same weights.
    const evaluation = model.evaluate(test);
    expect(evaluation.loss).toBeCloseTo(history.history.valLoss![2]!, 12);
    expect(evaluation.accuracy).toBe(history.history.valAccuracy![2]!);
  });

  it('is deterministic: the same seeds and data give bit-identical weights and metrics', async () => {
    const train = syntheticSet(200, ROWS, COLS, 4, 3);
    const run = async () => {
      const model = await smallModel(5);
      model.compile({ optimizer: 'adam' });
      const history = await model.fit(train, { epochs: 2, batchSize: 16, seed: 99 });
      return { weights: model.getWeights(), history };
    };
    const a = await run();
    const b = await run();
    a.weights.forEach((w, i) => expect(new Uint8Array(w.values.buffer)).toEqual(new Uint8Array(b.weights[i]!.values.buffer)));
    expect(a.history.history.loss).toEqual(b.history.history.loss);
    expect(a.history.history.accuracy).toEqual(b.history.history.accuracy);
    // Another shuffle seed gives other weights.
    const model = await smallModel(5);
    model.compile({ optimizer: 'adam' });
    await model.fit(train, { epochs: 2, batchSize: 16, seed: 100 });
    expect(model.getWeights()[0]!.values).not.toEqual(a.weights[0]!.values);
  });

  it('stops with a TrainingError naming the epoch and batch when the loss becomes NaN or infinite', async () => {
    const model = await smallModel(1, false);
    model.compile({ optimizer: { type: 'sgd', learningRate: 1e30 } });
    const train = syntheticSet(100, ROWS, COLS, 4, 4);
    const error = await model.fit(train, { epochs: 3, batchSize: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingError);
    const e = error as TrainingError;
    expect(e.epoch).toBe(1);
    expect(e.batch).toBeGreaterThan(1);
    expect(e.message).toMatch(new RegExp(`epoch 1, batch ${e.batch}: the loss is (NaN|Infinity)`));
  });

  it('keeps wasm memory constant across steps and epochs (nothing allocated per step)', async () => {
    const model = await smallModel();
    const train = syntheticSet(120, ROWS, COLS, 4, 5);
    const test = syntheticSet(30, ROWS, COLS, 4, 6);
    const memory = model.core.exports.memory;
    await model.fit(train, { epochs: 1, batchSize: 8, validationData: test }); // plans the training run once
    model.predict(test.images, test.count); // plans predict's own inference run once, above it
    const bytes = memory.buffer.byteLength;
    const planned = model.core.arena.plannedBytes;
    const sizes: number[] = [];
    await model.fit(train, {
      epochs: 3,
      batchSize: 8,
      validationData: test,
      callbacks: {
        onBatchEnd: () => {
          sizes.push(memory.buffer.byteLength);
        },
        onEpochEnd: () => {
          sizes.push(memory.buffer.byteLength);
        },
      },
    });
    model.evaluate(test);
    model.predict(test.images, test.count);
    expect(new Set(sizes)).toEqual(new Set([bytes]));
    expect(memory.buffer.byteLength).toBe(bytes);
    expect(model.core.arena.plannedBytes).toBe(planned);
  });

  it('honours limit and shuffle: false', async () => {
    const train = syntheticSet(100, ROWS, COLS, 4, 7);
    const model = await smallModel();
    let batches = 0;
    await model.fit(train, {
      limit: 25,
      batchSize: 10,
      shuffle: false,
      callbacks: {
        onBatchEnd: () => {
          batches++;
        },
      },
    });
    expect(batches).toBe(3);
    // Without shuffling the order is 0..n−1: two unshuffled runs from the same weights agree with any seed.
    const a = await smallModel(2);
    const b = await smallModel(2);
    await a.fit(train, { batchSize: 10, shuffle: false, seed: 1 });
    await b.fit(train, { batchSize: 10, shuffle: false, seed: 2 });
    expect(a.getWeights()[0]!.values).toEqual(b.getWeights()[0]!.values);
  });

  it('rejects bad options and data at the boundary', async () => {
    const model = await smallModel();
    const train = syntheticSet(20, ROWS, COLS, 4, 8);
    await expect(model.fit(train, { epochs: 0 })).rejects.toThrow(/epochs: expected a positive integer/);
    await expect(model.fit(train, { batchSize: 2.5 })).rejects.toThrow(ArgumentError);
    await expect(model.fit(train, { limit: 0 })).rejects.toThrow(/limit/);
    await expect(model.fit({ ...train, rows: 28, cols: 28 })).rejects.toThrow(
      /28x28 = 784 pixels do not fit the model's input shape \[20\]/,
    );
    const badLabels = { ...train, labels: train.labels.slice() };
    badLabels.labels[3] = 9;
    await expect(model.fit(badLabels)).rejects.toThrow(/labels\[3\] = 9 is not a class in 0..3/);
    // Not a dataset at all, or options that are not an object: typed errors, never a TypeError.
    await expect(model.fit(null as never)).rejects.toThrow(/train: expected \{ images: Uint8Array/);
    await expect(model.fit(train, null as never)).rejects.toThrow(/options: expected an object, got null/);
    const uncompiled = await makeModel([20], [new Dense(4, { activation: 'softmax' })]);
    await expect(uncompiled.fit(train)).rejects.toThrow(/compile/);
    const noSoftmax = await makeModel([20], [new Dense(4)]);
    expect(() => noSoftmax.compile()).toThrow(/categoricalCrossentropy needs a softmax output/);
  });

  it('records every trained epoch in its History: the epoch logs, validation included', async () => {
    const model = await smallModel();
    const train = syntheticSet(40, ROWS, COLS, 4, 3);
    const logged: EpochLogs[] = [];
    const history = await model.fit(train, {
      epochs: 3,
      batchSize: 10,
      validationSplit: 0.25,
      callbacks: { onEpochEnd: (_epoch, logs) => void logged.push({ ...logs }) },
    });
    expect(history.epoch).toEqual([0, 1, 2]);
    for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'seconds', 'imagesPerSecond'] as const) {
      expect(history.history[key]).toEqual(logged.map((logs) => logs[key]));
    }
  });

  it('continues a given History (a resumed run): appends each epoch before onEpochEnd and returns it', async () => {
    const model = await smallModel();
    const train = syntheticSet(40, ROWS, COLS, 4, 3);
    const first = await model.fit(train, { epochs: 2, batchSize: 10 });
    const given = structuredClone(first);
    const seen: number[] = [];
    const history = await model.fit(train, {
      epochs: 4,
      initialEpoch: 2,
      batchSize: 10,
      history: given,
      callbacks: { onEpochEnd: () => void seen.push(given.epoch.length) },
    });
    expect(history).toBe(given);
    expect(seen).toEqual([3, 4]);
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(history.history.loss.slice(0, 2)).toEqual(first.history.loss);
    for (const list of Object.values(history.history)) expect(list).toHaveLength(4);
    // A fit that throws leaves the epochs it completed in the given History.
    const partial = structuredClone(first);
    const stop = new Error('stop');
    await expect(
      model.fit(train, {
        epochs: 4,
        initialEpoch: 2,
        batchSize: 10,
        history: partial,
        callbacks: {
          onBatchEnd() {
            if (partial.epoch.length === 3) throw stop;
          },
        },
      }),
    ).rejects.toBe(stop);
    expect(partial.epoch).toEqual([0, 1, 2]);
    await expect(model.fit(train, { history: { epoch: [0], history: { loss: [] } } as never })).rejects.toThrow(
      /^history: expected a History/,
    );
  });
});
