import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/core/index.js';
import { ArgumentError } from '../../src/errors.js';
import { Optimizer, resolveOptimizer, stateBuffers } from '../../src/train/optimizers.js';
import { Rng } from '../../src/train/rng.js';

describe('optimizer configuration', () => {
  it("fills in Keras' defaults", () => {
    expect(resolveOptimizer('sgd')).toEqual({ type: 'sgd', learningRate: 0.01, momentum: 0.9, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(resolveOptimizer('adam').learningRate).toBe(0.001);
    expect(resolveOptimizer({ type: 'momentum', learningRate: 0.1, momentum: 0.5 })).toMatchObject({ learningRate: 0.1, momentum: 0.5 });
    expect([stateBuffers('sgd'), stateBuffers('momentum'), stateBuffers('adam')]).toEqual([0, 1, 2]);
  });

  it('rejects invalid values naming the field', () => {
    expect(() => resolveOptimizer('rmsprop' as never)).toThrow(ArgumentError);
    expect(() => resolveOptimizer({ type: 'sgd', learningRate: -1 })).toThrow(/optimizer.learningRate: expected a positive finite number/);
    expect(() => resolveOptimizer({ type: 'sgd', learningRate: Number.NaN })).toThrow(/optimizer.learningRate/);
    expect(() => resolveOptimizer({ type: 'momentum', momentum: 1 })).toThrow(/optimizer.momentum/);
    expect(() => resolveOptimizer({ type: 'adam', beta2: 1.5 })).toThrow(/optimizer.beta2/);
    expect(() => resolveOptimizer({ type: 'adam', epsilon: 0 })).toThrow(/optimizer.epsilon/);
  });
});

describe('Optimizer.step over runs of the parameter range', () => {
  // Every rule is elementwise, so stepping the range in parts (as a training step with plain SGD does
  // for the parameters between the fused dense kernels) must give the bits of the one call.
  it.each(['sgd', 'momentum', 'adam'] as const)('%s: two runs give the bits of one call over the range', async (type) => {
    const count = 37;
    const results: Uint32Array[] = [];
    for (const split of [false, true]) {
      const core = await loadCore({ threads: 1, simd: 'strict' });
      const arena = core.arena;
      const params = arena.allocate('p', [count]);
      const grads = arena.allocate('g', [count]);
      const state = [arena.allocate('s0', [count]), arena.allocate('s1', [count])];
      arena.commit();
      const random = new Rng(4, 0);
      for (const buffer of [params, grads]) arena.f32(buffer).forEach((_, i, a) => (a[i] = random.uniform(-1, 1)));
      for (const buffer of state) arena.f32(buffer).fill(0);
      const optimizer = new Optimizer(
        resolveOptimizer(type),
        core.kernels,
        params.byteOffset,
        grads.byteOffset,
        state.map((b) => b.byteOffset),
        count,
      );
      for (let step = 0; step < 3; step++) {
        if (split)
          optimizer.step([
            [params.byteOffset, 16],
            [params.byteOffset + 64, count - 16],
          ]);
        else optimizer.step();
      }
      expect(optimizer.iterations).toBe(3);
      results.push(new Uint32Array(arena.f32(params).slice().buffer));
      core.dispose();
    }
    expect(results[1]).toEqual(results[0]);
  });
});
