// Plain SGD in `fit` takes the dense kernels' steps inside backward (gemm_f32_tn_sgd: the gradient is
// never stored) and the rest of the parameters in the optimizer. The weights must be bit for bit
// those of the unfused path: SGD with momentum 0 stores every gradient and steps each weight by
// w + (0·v − lr·g) = w − lr·g, the same f32 operations (the weights never hold −0: zero-initialised
// biases are +0). Checked for the MLP (biases, sigmoid) and the CNN (conv, pooling, dense), at a batch
// the fused kernel takes and at one above gemm_f32_sgd_max_k() (unfused fallback), and on 2 threads
// with every call split. Kernels past 1 MiB (the CNN's 5408×200) keep the plain dW product and the
// optimizer's step, so they are counted apart.
import { afterEach, describe, expect, it } from 'vitest';
import type { CoreExports } from '../../src/core/abi.js';
import { loadCore } from '../../src/core/index.js';
import { splitPolicy } from '../../src/core/threads.js';
import { createModel, type ArchitectureName } from '../../src/models/architectures.js';
import type { OptimizerConfig } from '../../src/train/optimizers.js';
import { expectSameBits, weightBits } from '../helpers/compare.js';
import { syntheticSet } from '../layers/helpers.js';

const saved = { ...splitPolicy };

/** Weights as raw bits after one seeded epoch, and how often the fused dW + SGD kernel ran. */
async function train(
  name: ArchitectureName,
  optimizer: OptimizerConfig,
  batchSize: number,
  images: number,
  threads = 1,
): Promise<{ weights: Uint32Array[]; fusedCalls: number; gradientCalls: number }> {
  const core = await loadCore({ threads, simd: 'strict' });
  const kernels = core.kernels as { -readonly [K in keyof CoreExports]: CoreExports[K] };
  const fused = kernels.gemm_f32_tn_sgd;
  const plain = kernels.gemm_f32_tn;
  let fusedCalls = 0;
  let gradientCalls = 0;
  kernels.gemm_f32_tn_sgd = (...args) => {
    fusedCalls++;
    fused(...args);
  };
  kernels.gemm_f32_tn = (...args) => {
    gradientCalls++;
    plain(...args);
  };
  const model = await createModel(name, {
    core,
    seed: 3,
    ...(name === 'scratch-mlp' ? {} : { activation: 'sigmoid' as const }),
    compile: { optimizer, reduction: 'mean' },
  });
  const set = syntheticSet(images, 28, 28, 10, 11);
  // A custom-loop step first (unfused: every gradient stored), so the dense kernels' gradient slots
  // hold values that a fused step must neither apply again nor depend on.
  model.trainOnBatch(
    Float32Array.from(set.images.subarray(0, 8 * 784), (v) => v / 255),
    set.labels.subarray(0, 8),
  );
  await model.fit(set, { epochs: 1, batchSize, seed: 5 });
  const weights = weightBits(model.getWeights());
  core.dispose();
  return { weights, fusedCalls, gradientCalls };
}

const SGD: OptimizerConfig = { type: 'sgd', learningRate: 0.05 };
const MOMENTUM_0: OptimizerConfig = { type: 'momentum', learningRate: 0.05, momentum: 0 };

describe('plain SGD folded into the dense dW products', () => {
  afterEach(() => Object.assign(splitPolicy, saved));

  // [model, dense kernels that fuse, dense kernels past the size limit (the CNN's 5408×200)]
  it.each([
    ['mlp', 4, 0],
    ['cnn', 3, 1],
    ['scratch-mlp', 2, 0],
  ] as const)(
    '%s: the weights of the unfused path, bit for bit; the %i fused dense kernels never get a gradient',
    async (name, dense, large) => {
      const steps = 6;
      const fused = await train(name, SGD, 20, steps * 20 + 7);
      const unfused = await train(name, MOMENTUM_0, 20, steps * 20 + 7);
      expectSameBits(fused.weights, unfused.weights, `${name} sgd vs momentum 0`);
      expect(fused.fusedCalls).toBe(dense * (steps + 1));
      expect(fused.gradientCalls).toBe(dense + large + large * (steps + 1)); // trainOnBatch's, then the large kernels' every step
      expect(unfused.fusedCalls).toBe(0);
      expect(unfused.gradientCalls).toBe((dense + large) * (steps + 2));
    },
  );

  it('above gemm_f32_sgd_max_k() the batch takes the unfused path, with the same bits', async () => {
    const core = await loadCore({ threads: 1 });
    const batch = core.kernels.gemm_f32_sgd_max_k() + 1;
    core.dispose();
    const fused = await train('mlp', SGD, batch, batch + 3);
    const unfused = await train('mlp', MOMENTUM_0, batch, batch + 3);
    expectSameBits(fused.weights, unfused.weights, 'mlp at a batch above the fused limit');
    expect(fused.fusedCalls).toBe(4); // the last, partial batch of 3 rows fits
    expect(fused.gradientCalls).toBe(4 + 4); // trainOnBatch's, then the full batch's
  });

  it('on 2 threads with every call split: the weights of one thread', async () => {
    const one = await train('mlp', SGD, 15, 100);
    splitPolicy.minPartFlops = 1;
    splitPolicy.minPartElements = 1;
    const two = await train('mlp', SGD, 15, 100, 2);
    expectSameBits(two.weights, one.weights, 'mlp sgd on 2 threads');
    expect(two.fusedCalls).toBe(one.fusedCalls);
  });
});
