/**
 * Optimizers, Keras' update rules, each ONE kernel call over the whole parameter range: the model
 * lays parameters, gradients and optimizer state out in the same layout, so `params`, `grads` and
 * each state buffer are three (or four) base addresses and one element count.
 *
 *   sgd       w −= lr · g                                    (Keras SGD; the paper's Figure 13 rule)
 *   momentum  v = μ·v − lr·g;  w += v                        (Keras SGD(momentum=μ))
 *   adam      m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
 *             w −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)        (Keras Adam, ε outside the root)
 *
 * `step(runs)` updates parts of the range instead, one call per run at the same offsets into the
 * gradients and the state: the same bits for those elements (every rule is elementwise). A training
 * step with plain SGD uses it for the parameters its backward did not step (src/models/sgd-fusion.ts).
 */
import type { CoreExports } from '../core/abi.js';
import { ArgumentError, describeValue } from '../errors.js';

export type OptimizerName = 'sgd' | 'momentum' | 'adam';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam'];

export interface OptimizerConfig {
  type: OptimizerName;
  /** Default: sgd 0.01, momentum 0.01, adam 0.001 (Keras). */
  learningRate?: number;
  /** momentum only, default 0.9. */
  momentum?: number;
  /** adam only, default 0.9. */
  beta1?: number;
  /** adam only, default 0.999. */
  beta2?: number;
  /** adam only, default 1e-7 (Keras). */
  epsilon?: number;
}

/** Every field filled in. */
export type ResolvedOptimizerConfig = Required<OptimizerConfig>;

const DEFAULT_LEARNING_RATE: Record<OptimizerName, number> = { sgd: 0.01, momentum: 0.01, adam: 0.001 };

/**
 * Fills in Keras' defaults and validates.
 * @throws ArgumentError naming the field (`optimizer.learningRate`, …) on an invalid value.
 */
export function resolveOptimizer(spec: OptimizerName | OptimizerConfig): ResolvedOptimizerConfig {
  const config: OptimizerConfig = typeof spec === 'string' ? { type: spec } : spec;
  if (config === null || typeof config !== 'object') {
    throw new ArgumentError('optimizer', `expected 'sgd', 'momentum', 'adam' or { type, learningRate, ... }, got ${describeValue(spec)}`);
  }
  if (!OPTIMIZERS.includes(config.type)) {
    throw new ArgumentError('optimizer', `expected one of 'sgd', 'momentum', 'adam', got ${describeValue(config.type)}`);
  }
  const resolved: ResolvedOptimizerConfig = {
    type: config.type,
    learningRate: config.learningRate ?? DEFAULT_LEARNING_RATE[config.type],
    momentum: config.momentum ?? 0.9,
    beta1: config.beta1 ?? 0.9,
    beta2: config.beta2 ?? 0.999,
    epsilon: config.epsilon ?? 1e-7,
  };
  const positive = (name: keyof OptimizerConfig) => {
    const value = resolved[name] as number;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new ArgumentError(`optimizer.${name}`, `expected a positive finite number, got ${describeValue(value)}`);
    }
  };
  const unit = (name: keyof OptimizerConfig) => {
    const value = resolved[name] as number;
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
      throw new ArgumentError(`optimizer.${name}`, `expected a number in [0, 1), got ${describeValue(value)}`);
    }
  };
  positive('learningRate');
  unit('momentum');
  unit('beta1');
  unit('beta2');
  positive('epsilon');
  return resolved;
}

/** How many parameter-shaped state buffers the optimizer keeps (velocity; m and v). */
export function stateBuffers(type: OptimizerName): number {
  return type === 'sgd' ? 0 : type === 'momentum' ? 1 : 2;
}

/** A part of the parameter range: [byte address, f32 elements]. */
export type ParameterRun = readonly [address: number, elements: number];

/** An optimizer bound to planned addresses: `step()` is one kernel call. */
export class Optimizer {
  /** Steps taken (Adam's t is iterations + 1 during a step). Kept across fit calls, as Keras does. */
  iterations = 0;
  /** The rate of the next step: the config's, until a schedule or a callback sets it. */
  learningRate: number;

  constructor(
    readonly config: ResolvedOptimizerConfig,
    private readonly k: CoreExports,
    /** Base address of the parameters, their gradients and the state buffers (same layout). */
    private readonly params: number,
    private readonly grads: number,
    private readonly state: readonly number[],
    /** Elements in the parameter range (padding between parameters included: its gradients are 0). */
    count: number,
  ) {
    this.learningRate = config.learningRate;
    this.whole = [[params, count]];
  }

  /** The whole parameter range as one run. */
  private readonly whole: readonly ParameterRun[];

  /** One update (one step of `iterations`) of the parameters in `runs`, by default all of them in one call. */
  step(runs: readonly ParameterRun[] = this.whole): void {
    this.iterations++;
    for (const [at, elements] of runs) this.update(at - this.params, elements);
  }

  /** The rule on `elements` parameters from byte `offset` of the range, with their gradients and state. */
  private update(offset: number, elements: number): void {
    const { k, params, grads, state, config, learningRate } = this;
    switch (config.type) {
      case 'sgd':
        k.sgd_f32_step(params + offset, grads + offset, elements, learningRate);
        return;
      case 'momentum':
        k.momentum_f32_step(params + offset, state[0]! + offset, grads + offset, elements, learningRate, config.momentum);
        return;
      case 'adam':
        k.adam_f32_step(
          params + offset,
          state[0]! + offset,
          state[1]! + offset,
          grads + offset,
          elements,
          learningRate,
          config.beta1,
          config.beta2,
          config.epsilon,
          this.iterations,
        );
        return;
    }
  }
}
