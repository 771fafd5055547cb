/** What `Sequential.compile` sets up: the checked options, the optimizer and its state (region 3 of the plan). */
import type { Core } from '../core/index.js';
import { ArgumentError, describeValue } from '../errors.js';
import { Optimizer, resolveOptimizer } from '../train/optimizers.js';
import { checkSoftmaxOutput, planOptimizerState, type ModelPlan } from './plan.js';
import type { CompileOptions, ResolvedCompileOptions } from './types.js';

export interface Compiled {
  readonly options: ResolvedCompileOptions;
  readonly optimizer: Optimizer;
  /** Addresses of the optimizer's state buffers (velocity; Adam's m and v), each over the parameter layout. */
  readonly state: readonly number[];
  /** Arena position after the optimizer state: run plans start here. */
  readonly mark: number;
}

/**
 * The options with their defaults, checked against the model.
 * @throws ArgumentError on an unknown optimizer/loss/reduction, a model without parameters, or an
 *   output layer that does not end in softmax.
 */
export function compileOptions(plan: ModelPlan, options: CompileOptions): ResolvedCompileOptions {
  const loss = options.loss ?? 'categoricalCrossentropy';
  if (loss !== 'categoricalCrossentropy') throw new ArgumentError('loss', `expected 'categoricalCrossentropy', got ${describeValue(loss)}`);
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum')
    throw new ArgumentError('reduction', `expected 'mean' or 'sum', got ${describeValue(reduction)}`);
  const optimizer = resolveOptimizer(options.optimizer ?? 'sgd');
  if (plan.slots.length === 0) throw new ArgumentError('layers', 'the model has no parameters to train');
  checkSoftmaxOutput(plan);
  return { optimizer, loss, reduction };
}

/** Plans the optimizer's state right after the gradients (releasing every run above them) and binds the optimizer to the plan. */
export function compileModel(core: Core, plan: ModelPlan, options: ResolvedCompileOptions): Compiled {
  const { state, mark } = planOptimizerState(core, plan, options.optimizer.type);
  return {
    options,
    optimizer: new Optimizer(options.optimizer, core.kernels, plan.paramBase, plan.gradBase, state, plan.paramCount),
    state,
    mark,
  };
}
