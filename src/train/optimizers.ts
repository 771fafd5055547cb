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
 * Plain SGD in `fit` is the exception: the dense kernels take their step inside backward
 * (gemm_f32_tn_sgd, `fusedSgdRate`), and `step(true)` updates the rest of the range, one call per
 * run of parameters between them, with the same bits as the one call.
 */
import type { CoreExports } from '../core/abi.js';
import type { ParameterSlot } from '../layers/layer.js';
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
    private readonly count: number,
    /** Weights whose plain SGD step backward can take (Layer.sgdFusedWeight). */
    fusable: readonly ParameterSlot[] = [],
  ) {
    this.learningRate = config.learningRate;
    this.fuses = config.type === 'sgd' && fusable.length > 0;
    this.unfusedRuns = this.fuses ? runsBetween(params, count, fusable) : [];
  }

  /** Whether backward may take the fusable weights' steps (plain SGD, and there are such weights). */
  private readonly fuses: boolean;
  /** [address, elements] of the parameter runs outside the fusable weights: what `step(true)` updates. */
  private readonly unfusedRuns: readonly (readonly [number, number])[];

  /**
   * The learning rate backward folds into the fusable weights' gradient products this step (plain
   * SGD with such weights), else undefined (momentum and Adam need the gradient itself).
   */
  get fusedSgdRate(): number | undefined {
    return this.fuses ? this.learningRate : undefined;
  }

  /** One update of every parameter; `fused`: backward already stepped the fusable weights (at `fusedSgdRate`). */
  step(fused = false): void {
    const { k, params, grads, state, count, config, learningRate } = this;
    this.iterations++;
    switch (config.type) {
      case 'sgd':
        if (!fused) {
          k.sgd_f32_step(params, grads, count, learningRate);
          return;
        }
        for (const [at, elements] of this.unfusedRuns) k.sgd_f32_step(at, at + grads - params, elements, learningRate);
        return;
      case 'momentum':
        k.momentum_f32_step(params, state[0]!, grads, count, learningRate, config.momentum);
        return;
      case 'adam':
        k.adam_f32_step(
          params,
          state[0]!,
          state[1]!,
          grads,
          count,
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

/** The runs of [params, params + 4·count) between the given weights, as [address, elements]; none empty. */
function runsBetween(params: number, count: number, weights: readonly ParameterSlot[]): (readonly [number, number])[] {
  const runs: (readonly [number, number])[] = [];
  let at = params;
  for (const weight of [...weights].sort((a, b) => a.byteOffset - b.byteOffset)) {
    if (weight.byteOffset > at) runs.push([at, (weight.byteOffset - at) / 4]);
    at = Math.max(at, weight.byteOffset + 4 * weight.length);
  }
  const end = params + 4 * count;
  if (end > at) runs.push([at, (end - at) / 4]);
  return runs;
}
