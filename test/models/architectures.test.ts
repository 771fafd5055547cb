import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { ArgumentError } from '../../src/errors.js';
import { ARCHITECTURES, buildArchitecture, createModel, MODERN_DEFAULTS } from '../../src/models/architectures.js';

describe('architectures', () => {
  it("builds the paper's three networks with their parameter counts", async () => {
    const scratch = buildArchitecture(await loadCore(), 'scratch-mlp');
    expect(scratch.countParams()).toBe(784 * 300 + 300 * 10); // no biases
    expect(scratch.layers.map((l) => l.getConfig())).toEqual([
      { className: 'Dense', name: 'dense_1', units: 300, activation: 'sigmoid', useBias: false, kernelInitializer: 'lecunNormal' },
      { className: 'Dense', name: 'dense_2', units: 10, activation: 'softmax', useBias: false, kernelInitializer: 'lecunNormal' },
    ]);
    expect(scratch.compileOptions).toMatchObject({
      reduction: 'sum',
      optimizer: { type: 'sgd', learningRate: MODERN_DEFAULTS['scratch-mlp'].optimizer.learningRate },
    });
    const mlp = buildArchitecture(await loadCore(), 'mlp');
    expect(mlp.countParams()).toBe(785 * 300 + 301 * 200 + 201 * 75 + 76 * 10);
    expect(mlp.layers.slice(0, 3).every((l) => l.activation === 'relu')).toBe(true);
    const sigmoid = buildArchitecture(await loadCore(), 'mlp', { hidden: [200, 100, 50], activation: 'sigmoid' });
    expect(sigmoid.countParams()).toBe(785 * 200 + 201 * 100 + 101 * 50 + 51 * 10);
    expect(sigmoid.layers[0]!.activation).toBe('sigmoid');
    const cnn = buildArchitecture(await loadCore(), 'cnn', { compile: false });
    expect(cnn.countParams()).toBe(320 + 5409 * 200 + 201 * 100 + 101 * 50 + 51 * 10);
    expect(cnn.compileOptions).toBeUndefined();
    expect(cnn.inputShape).toEqual([28, 28, 1]);
    const small = buildArchitecture(await loadCore(), 'cnn', { filters: 8, kernelSize: 5, hidden: [20] });
    expect(small.outputShape).toEqual([10]);
    expect(small.layers[0]!.outputShape).toEqual([24, 24, 8]);
    // Two conv + pool blocks with 'same' padding: 28 → 14 → 7.
    const deep = buildArchitecture(await loadCore(), 'cnn', { filters: [32, 64], padding: 'same', hidden: [128], compile: false });
    deep.build();
    expect(deep.layers.map((l) => l.outputShape)).toEqual([[28, 28, 32], [14, 14, 32], [14, 14, 64], [7, 7, 64], [3136], [128], [10]]);
    expect(deep.countParams()).toBe(320 + (288 + 1) * 64 + 3137 * 128 + 129 * 10);
  });

  it('initialises deterministically from the seed', async () => {
    const a = await createModel('scratch-mlp', { seed: 4 });
    const b = await createModel('scratch-mlp', { seed: 4 });
    const c = await createModel('scratch-mlp', { seed: 5 });
    expect(a.getWeights()[0]!.values).toEqual(b.getWeights()[0]!.values);
    expect(a.getWeights()[0]!.values).not.toEqual(c.getWeights()[0]!.values);
  });

  it('rejects unknown names and invalid options', async () => {
    expect(ARCHITECTURES).toEqual(['scratch-mlp', 'mlp', 'cnn']);
    await expect(createModel('resnet' as never)).rejects.toThrow(ArgumentError);
    await expect(createModel('mlp', { hidden: [300, 0] })).rejects.toThrow(/hidden: expected positive integer layer sizes/);
    await expect(createModel('scratch-mlp', { hidden: [300, 100] })).rejects.toThrow(/exactly one hidden layer/);
    await expect(createModel('cnn', { activation: 'tanh' as never })).rejects.toThrow(/activation/);
    await expect(createModel('cnn', { filters: [32, 0] })).rejects.toThrow(/filters: expected a positive integer or a list/);
    await expect(createModel('cnn', { padding: 'full' as never })).rejects.toThrow(/padding: expected 'valid' or 'same'/);
  });
});
