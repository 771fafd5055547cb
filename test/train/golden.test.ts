// Bit-identical training: each architecture trained for a few dozen seeded steps on a real-data
// subset must end with exactly the weights (and losses) recorded before the TypeScript layer was
// restructured. A change of summation order, batch order, initialisation or optimizer sequencing
// changes the digests. Update the constants only for an intended change of numerics, and say so.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadFashionMnist, SYSTEM_DATA_DIR } from '../../src/data/index.js';
import { createModel, type ArchitectureName, type CreateModelOptions } from '../../src/models/architectures.js';
import { TRAINING_PRESETS } from '../../src/models/training.js';

const DIR = process.env.FASHION_MNIST_DIR ?? SYSTEM_DATA_DIR;

/** SHA-256 (first 16 hex digits) of the bytes of Float32 arrays, in order. */
function digest(arrays: readonly Float32Array[]): string {
  const hash = createHash('sha256');
  for (const values of arrays) hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return hash.digest('hex').slice(0, 16);
}

interface Case {
  label: string;
  architecture: ArchitectureName;
  options: CreateModelOptions;
  batchSize: number;
  images: number;
  weights: string;
  losses: string;
}

// 2 epochs over `images` training images (steps = 2 * ceil(images / batchSize)), validation on 300
// test images, then evaluate, predict, computeGradients and one trainOnBatch.
const CASES: Case[] = [
  {
    label: 'scratch-mlp (sgd, summed)',
    architecture: 'scratch-mlp',
    options: {},
    batchSize: 15,
    images: 300,
    weights: '794e49a3d7158b13',
    losses: 'a00188be77b5a66f',
  },
  {
    label: 'mlp (adam)',
    architecture: 'mlp',
    options: {},
    batchSize: 32,
    images: 640,
    weights: 'b711c3c362f32f76',
    losses: '416d7aa453644241',
  },
  {
    label: 'mlp (momentum, sigmoid)',
    architecture: 'mlp',
    options: { activation: 'sigmoid', compile: { optimizer: { type: 'momentum', learningRate: 0.05 } } },
    batchSize: 20,
    images: 400,
    weights: '790dd3d853fb7b48',
    losses: 'dd221d28a2f50697',
  },
  {
    label: 'cnn (adam)',
    architecture: 'cnn',
    options: {},
    batchSize: 32,
    images: 320,
    weights: 'c9b270e839894b03',
    losses: '1a2ec6730b88f820',
  },
  {
    label: "cnn, two 'same' blocks (the best preset before batch norm)",
    architecture: 'cnn',
    options: {
      filters: [32, 64],
      padding: 'same',
      hidden: [128],
      activation: 'relu',
      compile: { optimizer: { type: 'adam', learningRate: 0.001 } },
    },
    batchSize: 64,
    images: 256,
    weights: '1e15e22c0c37377c',
    losses: '94860c670532e48f',
  },
  {
    // Recorded when the preset gained batch norm and dropout (2026-12-01), after the batch-norm
    // kernels were split into column parts: the split was checked bit-identical beforehand.
    label: 'cnn --preset best (batch norm, dropout)',
    architecture: 'cnn',
    options: { ...TRAINING_PRESETS.best.architectureOptions, compile: { optimizer: TRAINING_PRESETS.best.optimizer } },
    batchSize: 64,
    images: 256,
    weights: '4007d06b59ce87d7',
    losses: 'ddb6aaf63c2b5586',
  },
];

describe('seeded training is bit-identical to the recorded run', async () => {
  const data = await loadFashionMnist({ dir: DIR, limit: 640, testLimit: 300 });
  for (const c of CASES) {
    it(c.label, async () => {
      const model = await createModel(c.architecture, { seed: 7, ...c.options });
      const train = { ...data.train, count: c.images };
      const history = await model.fit(train, { epochs: 2, batchSize: c.batchSize, seed: 3, validationData: data.test });
      const evaluation = model.evaluate(data.test);
      const probabilities = model.predict(data.test.images.subarray(0, 5 * 784), 5).probabilities;
      // Keras' custom-loop path too: gradients at the trained weights, then one step on 8 f32 images.
      const inputs = Float32Array.from(data.test.images.subarray(0, 8 * 784), (v) => v / 255);
      const labels = data.test.labels.subarray(0, 8);
      const gradients = model.computeGradients(inputs, labels);
      const stepLoss = model.trainOnBatch(inputs, labels);
      const weights = digest(model.getWeights().map((w) => w.values));
      const losses = digest([
        Float32Array.from([
          ...history.history.loss,
          ...history.history.accuracy,
          ...history.history.valLoss!,
          ...history.history.valAccuracy!,
        ]),
        Float32Array.from([evaluation.loss, evaluation.accuracy]),
        probabilities,
        Float32Array.from([gradients.loss, stepLoss]),
        ...gradients.gradients.map((g) => g.values),
      ]);
      expect({ weights, losses }).toEqual({ weights: c.weights, losses: c.losses });
    });
  }
});
