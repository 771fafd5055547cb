// One epoch of scratch-mlp and mlp with their modern defaults on the real Fashion-MNIST: the
// accuracy floors the defaults promise (80 % and 82 %). A few seconds each with the SIMD GEMM.
// The data must be there (CI installs dataset-fashion-mnist): a missing dataset fails, never skips.
import { describe, expect, it } from 'vitest';
import { loadFashionMnist, SYSTEM_DATA_DIR } from '../../src/data/index.js';
import { createModel, MODERN_DEFAULTS, type ArchitectureName } from '../../src/models/architectures.js';

const DIR = process.env.FASHION_MNIST_DIR ?? SYSTEM_DATA_DIR;

describe('learning on the real data (one epoch, modern defaults)', () => {
  const floors: [ArchitectureName, number][] = [
    ['scratch-mlp', 0.8],
    ['mlp', 0.82],
  ];
  for (const [name, floor] of floors) {
    it(`${name} reaches ≥ ${floor * 100} % test accuracy`, async () => {
      const { train, test } = await loadFashionMnist({ dir: DIR });
      const model = await createModel(name, { seed: 1 });
      const defaults = MODERN_DEFAULTS[name];
      const history = await model.fit(train, { epochs: defaults.epochs, batchSize: defaults.batchSize, seed: 1 });
      const result = model.evaluate(test);
      expect(
        result.accuracy,
        `${name}: test accuracy ${result.accuracy} after ${history.history.seconds[0]!.toFixed(1)} s`,
      ).toBeGreaterThanOrEqual(floor);
      expect(result.predictions).toHaveLength(10000);
    });
  }
});

// A full CNN epoch takes ~15-35 s here (88.6 % test accuracy measured, seed 1); the suite trains
// on the first 20,000 images instead: seeds 1-3 measured 84.5 %, 85.1 %, 83.3 %, so 82 % is the floor.
describe('cnn on the first 20,000 training images (one epoch, modern defaults)', () => {
  it('reaches ≥ 82 % test accuracy', async () => {
    const { train, test } = await loadFashionMnist({ dir: DIR, limit: 20000 });
    const model = await createModel('cnn', { seed: 1 });
    const defaults = MODERN_DEFAULTS.cnn;
    await model.fit(train, { epochs: 1, batchSize: defaults.batchSize, seed: 1 });
    const result = model.evaluate(test);
    expect(result.accuracy, `cnn: test accuracy ${result.accuracy}`).toBeGreaterThanOrEqual(0.82);
  });
});
