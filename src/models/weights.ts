/**
 * Copies in and out of a model's parameter region (src/models/plan.ts, regions 1–3): weights,
 * gradients and the optimizer's state, checked at the boundary. `Sequential` wraps them.
 */
import type { ParameterSlot } from '../layers/layer.js';
import type { Optimizer } from '../train/optimizers.js';
import { ArgumentError } from '../errors.js';
import type { OptimizerState, WeightTensor } from './types.js';

/** Copies of each slot's values (`gradients`: of its gradient), in slot order. */
export function readTensors(memory: ArrayBufferLike, slots: readonly ParameterSlot[], gradients = false): WeightTensor[] {
  return slots.map((slot) => ({
    name: slot.name,
    shape: [...slot.shape],
    values: new Float32Array(memory, gradients ? slot.gradByteOffset : slot.byteOffset, slot.length).slice(),
  }));
}

/**
 * Overwrites every slot's values, in slot order, after checking them all (nothing is written when one does not fit).
 * @throws ArgumentError naming `weights` (and the parameter) when a count or a length does not match.
 */
export function writeTensors(
  memory: ArrayBufferLike,
  slots: readonly ParameterSlot[],
  weights: readonly (Float32Array | WeightTensor)[],
): void {
  if (weights.length !== slots.length) {
    throw new ArgumentError('weights', `expected ${slots.length} tensors (${slots.map((s) => s.name).join(', ')}), got ${weights.length}`);
  }
  const values = slots.map((slot, i) => {
    const entry = weights[i]!;
    const array = entry instanceof Float32Array ? entry : entry.values;
    if (array.length !== slot.length) {
      throw new ArgumentError(
        'weights',
        `${slot.name}: expected shape [${slot.shape.join(', ')}] (${slot.length} values), got ${array.length}`,
      );
    }
    return array;
  });
  slots.forEach((slot, i) => new Float32Array(memory, slot.byteOffset, slot.length).set(values[i]!));
}

/** A copy of the optimizer's progress and of its state buffers (`count` values each, at `state`). */
export function readOptimizerState(memory: ArrayBufferLike, optimizer: Optimizer, state: readonly number[], count: number): OptimizerState {
  return {
    iterations: optimizer.iterations,
    learningRate: optimizer.learningRate,
    buffers: state.map((address) => new Float32Array(memory, address, count).slice()),
  };
}

/**
 * Restores `saved` into the optimizer and its state buffers after checking it.
 * @throws ArgumentError naming `optimizerState` when it does not fit.
 */
export function writeOptimizerState(
  memory: ArrayBufferLike,
  optimizer: Optimizer,
  state: readonly number[],
  count: number,
  saved: OptimizerState,
): void {
  if (
    !Number.isSafeInteger(saved.iterations) ||
    saved.iterations < 0 ||
    !(saved.learningRate > 0 && Number.isFinite(saved.learningRate)) ||
    saved.buffers.length !== state.length ||
    saved.buffers.some((b) => !(b instanceof Float32Array) || b.length !== count)
  ) {
    throw new ArgumentError(
      'optimizerState',
      `expected iterations ≥ 0, a positive learningRate and ${state.length} buffers of ${count} values (${optimizer.config.type}), got ${saved.buffers.length} buffers`,
    );
  }
  state.forEach((address, i) => new Float32Array(memory, address, count).set(saved.buffers[i]!));
  optimizer.iterations = saved.iterations;
  optimizer.learningRate = saved.learningRate;
}
