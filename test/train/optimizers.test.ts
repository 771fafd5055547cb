import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.js';
import { resolveOptimizer, stateBuffers } from '../../src/train/optimizers.js';

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
