// trainAndEvaluate: the one call behind `fmnist train`, `fmnist reproduce` and the demo's worker.
import { describe, expect, it } from 'vitest';
import { loadFashionMnist, SYSTEM_DATA_DIR } from '../../src/data/index.js';
import { createModel } from '../../src/models/architectures.js';
import { defaultTrainingConfig, evaluateModel, trainAndEvaluate, type TrainingConfig } from '../../src/models/training.js';

const DIR = process.env.FASHION_MNIST_DIR ?? SYSTEM_DATA_DIR;

describe('trainAndEvaluate', async () => {
  const data = await loadFashionMnist({ dir: DIR, limit: 900, testLimit: 400 });
  const config: TrainingConfig = { ...defaultTrainingConfig('mlp'), epochs: 2, batchSize: 50, seed: 4, limit: 600, testLimit: 300 };

  it('trains and evaluates exactly as createModel + fit + evaluate with the same settings', async () => {
    const epochs: number[] = [];
    const result = await trainAndEvaluate(config, data, { callbacks: { onEpochEnd: (epoch) => void epochs.push(epoch) } });
    const model = await createModel('mlp', { seed: 4, compile: { optimizer: config.optimizer, reduction: config.reduction } });
    const test = { ...data.test, count: 300 };
    const history = await model.fit(data.train, { epochs: 2, batchSize: 50, seed: 4, limit: 600, validationData: test });
    expect(result.model.getWeights()).toEqual(model.getWeights());
    const { seconds: _s1, imagesPerSecond: _i1, ...measured } = result.history.history;
    const { seconds: _s2, imagesPerSecond: _i2, ...expected } = history.history;
    expect(measured).toEqual(expected);
    expect(Object.keys(result.history.history)).toEqual(Object.keys(history.history));
    expect(epochs).toEqual([0, 1]);
    expect(result.trainImages).toBe(600);
    expect(result.stopped).toBe(false);
    const evaluation = evaluateModel(model, test);
    expect(result.evaluation).toEqual(evaluation);
    expect(evaluation.report.total).toBe(300);
    expect(evaluation.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(300);
    expect(evaluation.accuracy).toBe(model.evaluate(test).accuracy);
    const seconds = result.history.history.seconds;
    expect(result.secondsPerEpoch).toBe((seconds[0]! + seconds[1]!) / 2);
    expect(result.imagesPerSecond).toBe(600 / result.secondsPerEpoch);
  });

  it('stops after the batch during which the signal is aborted, and evaluates the model trained so far', async () => {
    const controller = new AbortController();
    let trained: boolean | undefined;
    const result = await trainAndEvaluate(config, data, {
      signal: controller.signal,
      callbacks: {
        onBatchEnd: (batch) => {
          if (batch === 2) controller.abort();
        },
      },
      onTrained: (_model, stopped) => {
        trained = stopped;
      },
    });
    expect(result.stopped).toBe(true);
    expect(trained).toBe(true);
    expect(result.model.iterations).toBe(3);
    expect(result.history.epoch).toEqual([]);
    expect(result.evaluation.report.total).toBe(300);
  });

  it('rejects an invalid configuration with a typed error naming the option', async () => {
    await expect(trainAndEvaluate({ ...config, batchSize: 0 }, data)).rejects.toThrow(/batchSize: expected a positive integer/);
    await expect(trainAndEvaluate({ ...config, architectureOptions: { hidden: [-1] } }, data)).rejects.toThrow(/hidden/);
  });
});
