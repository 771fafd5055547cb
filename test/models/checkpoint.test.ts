// Checkpoints: a run stopped after an epoch and resumed from its training checkpoint ends
// bit-identical to the same run left alone (weights, optimizer state, history); corrupt checkpoints
// are named; modelCheckpoint writes model files after every epoch or only the best.
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { ModelFileError } from '../../src/errors.js';
import { Dense, Flatten } from '../../src/layers/index.js';
import { CHECKPOINT_FILE, modelCheckpoint, readCheckpoint } from '../../src/models/checkpoint.js';
import { loadModel } from '../../src/models/save.js';
import { Sequential } from '../../src/models/sequential.js';
import { trainAndEvaluate, type TrainingConfig, type TrainingResult } from '../../src/models/training.js';
import { rng } from '../helpers/random.js';
import { syntheticSet } from '../layers/helpers.js';

// Labels drawn at random: the model memorises the training part and the validation loss gets
// worse, so the run exercises every stateful piece: plateau reductions and an early stop that
// restores the best weights.
const noisy = syntheticSet(400, 28, 28, 10, 1);
const pick = rng(8);
const data = { train: { ...noisy, labels: noisy.labels.map(() => Math.floor(pick() * 10)) }, test: syntheticSet(100, 28, 28, 10, 2) };

const config: TrainingConfig = {
  architecture: 'mlp',
  architectureOptions: { hidden: [64, 32], dropout: 0.1, batchNorm: true },
  optimizer: { type: 'adam', learningRate: 0.01 },
  reduction: 'mean',
  epochs: 12,
  batchSize: 32,
  seed: 4,
  validationSplit: 0.2,
  earlyStoppingPatience: 4,
  learningRateSchedule: { type: 'plateau' },
  augment: { shift: 1, flip: true },
};

function withoutSeconds(result: TrainingResult) {
  const { seconds: _s, imagesPerSecond: _i, ...rest } = result.history.history;
  return { epoch: result.history.epoch, ...rest };
}

describe('training checkpoints', () => {
  it('a run stopped after any epoch and resumed ends bit-identical to the run left alone', async () => {
    const rates: number[] = [];
    const whole = await trainAndEvaluate(config, data, { callbacks: { onEpochEnd: (_e, logs) => void rates.push(logs.learningRate) } });
    // Preconditions: the plateau callback reduced the rate and early stopping stopped the run.
    expect(rates.at(-1)).toBeLessThan(rates[0]!);
    expect(whole.stoppedEarly).toBe(true);
    const trained = whole.history.epoch.length;
    for (const stopAfter of [1, 3, trained - 1]) {
      const dir = await mkdtemp(join(tmpdir(), 'fmnist-ckpt-'));
      const abort = new AbortController();
      let epochs = 0;
      const first = await trainAndEvaluate(config, data, {
        checkpointDir: dir,
        signal: abort.signal,
        callbacks: {
          onEpochEnd: () => {
            if (++epochs === stopAfter) abort.abort();
          },
        },
      });
      expect(first.stopped).toBe(true);
      const checkpoint = await readCheckpoint(dir);
      expect(checkpoint.epoch).toBe(stopAfter);
      expect(checkpoint.finished).toBe(false);
      const resumed = await trainAndEvaluate(checkpoint.config, data, { resume: checkpoint, checkpointDir: dir });
      expect(resumed.model.getWeights(), `stopped after ${stopAfter}`).toEqual(whole.model.getWeights());
      expect(resumed.model.getOptimizerState()).toEqual(whole.model.getOptimizerState());
      expect(withoutSeconds(resumed)).toEqual(withoutSeconds(whole));
      expect(resumed.evaluation.loss).toBe(whole.evaluation.loss);
      // The last checkpoint is a finished one; resuming it trains nothing and gives the same model.
      const last = await readCheckpoint(dir);
      expect(last.finished).toBe(true);
      const again = await trainAndEvaluate(last.config, data, { resume: last });
      expect(again.model.getWeights()).toEqual(whole.model.getWeights());
    }
  });

  it('names a corrupt or missing checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-ckpt-'));
    await expect(readCheckpoint(dir)).rejects.toThrow(/training\.ckpt: no checkpoint here/);
    await trainAndEvaluate({ ...config, epochs: 1 }, data, { checkpointDir: dir });
    const path = join(dir, CHECKPOINT_FILE);
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(path, bytes);
    await expect(readCheckpoint(dir)).rejects.toThrow(ModelFileError);
    await expect(readCheckpoint(dir)).rejects.toThrow(/checksum mismatch/);
    await writeFile(path, bytes.subarray(0, 100));
    await expect(readCheckpoint(dir)).rejects.toThrow(/training\.ckpt: /);
  });
});

describe('modelCheckpoint', () => {
  const set = syntheticSet(100, 8, 8, 4, 3);
  const wrong = { ...set, labels: set.labels.map((l) => (l + 1) % 4) };
  async function model() {
    const m = new Sequential(await loadCore(), {
      inputShape: [8, 8, 1],
      seed: 2,
      layers: [new Flatten(), new Dense(12, { activation: 'relu' }), new Dense(4, { activation: 'softmax' })],
    });
    m.compile({ optimizer: 'adam' });
    return m;
  }

  it('writes a model file after every epoch ({epoch} in the path)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-mc-'));
    const m = await model();
    const perEpoch: Float32Array[][] = [];
    await m.fit(set, {
      epochs: 3,
      batchSize: 16,
      callbacks: [
        modelCheckpoint({ path: join(dir, 'model-{epoch}.fmnist') }),
        { onEpochEnd: () => void perEpoch.push(m.getWeights().map((w) => w.values)) },
      ],
    });
    expect((await readdir(dir)).sort()).toEqual(['model-1.fmnist', 'model-2.fmnist', 'model-3.fmnist']);
    const second = await loadModel(join(dir, 'model-2.fmnist'));
    expect(second.getWeights().map((w) => w.values)).toEqual(perEpoch[1]);
  });

  it('with saveBestOnly keeps the best epoch, not the last', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-mc-'));
    const path = join(dir, 'best.fmnist');
    const m = await model();
    const perEpoch: Float32Array[][] = [];
    const history = await m.fit(set, {
      epochs: 4,
      batchSize: 16,
      validationData: wrong,
      callbacks: [
        modelCheckpoint({ path, saveBestOnly: true }),
        { onEpochEnd: () => void perEpoch.push(m.getWeights().map((w) => w.values)) },
      ],
    });
    const valLoss = history.history.valLoss!;
    const best = valLoss.indexOf(Math.min(...valLoss));
    expect(best).toBeLessThan(3);
    expect((await loadModel(path)).getWeights().map((w) => w.values)).toEqual(perEpoch[best]);
  });
});
