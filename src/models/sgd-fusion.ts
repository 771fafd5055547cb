/**
 * Plain SGD folded into the dense layers' dW products, decided once, when a training step is built
 * (src/models/execute.ts, `trainingStepper`), and owned by that step.
 *
 * With plain SGD a dense kernel's update w −= lr·xᵀ·dz can ride on the tiles of its gradient product
 * (gemm_f32_tn_sgd): the gradient is never stored and the kernel is read and written once instead of
 * three times. The fusion is which layers do that (dense kernels small enough for the fused kernels:
 * Dense.sgdKernel) and the runs of the parameter range between those kernels, which the optimizer
 * steps as usual: one sgd_f32_step per run. SGD is elementwise, so the runs and the fused tiles give
 * the bits of one sgd_f32_step over the whole range (test/train/fused-sgd.test.ts). A batch larger
 * than gemm_f32_tn_sgd takes (gemm_f32_sgd_max_k rows) runs the plain backward and the one call.
 */
import type { CoreExports } from '../core/abi.js';
import { Dense } from '../layers/dense.js';
import type { ParameterSlot } from '../layers/layer.js';
import type { OptimizerName, ParameterRun } from '../train/optimizers.js';
import type { ModelPlan } from './plan.js';

export class SgdFusion {
  private constructor(
    /** Per layer: the Dense layer whose backward takes its kernel's step, else undefined. */
    readonly layers: readonly (Dense | undefined)[],
    /** The parameter runs outside the fused kernels, in address order: what the optimizer still steps. */
    readonly runs: readonly ParameterRun[],
    /** Largest batch the fused product takes. */
    private readonly maxRows: number,
  ) {}

  /**
   * The fusion of a training step of `model` with the optimizer `type`, or undefined when nothing
   * fuses (momentum and Adam need the gradient itself; a model without a small enough dense kernel).
   */
  static plan(k: CoreExports, model: ModelPlan, type: OptimizerName): SgdFusion | undefined {
    if (type !== 'sgd') return undefined;
    const layers = model.layers.map((layer) => (layer instanceof Dense && layer.sgdKernel !== undefined ? layer : undefined));
    const kernels = layers.flatMap((layer) => layer?.sgdKernel ?? []);
    if (kernels.length === 0) return undefined;
    return new SgdFusion(layers, runsBetween(model.paramBase, model.paramCount, kernels), k.gemm_f32_sgd_max_k());
  }

  /** Whether a batch of `rows` takes the fused path. */
  takes(rows: number): boolean {
    return rows <= this.maxRows;
  }
}

/** The runs of [params, params + 4·count) between the given weights, as [address, elements]; none empty. */
function runsBetween(params: number, count: number, weights: readonly ParameterSlot[]): ParameterRun[] {
  const runs: ParameterRun[] = [];
  let at = params;
  for (const weight of [...weights].sort((a, b) => a.byteOffset - b.byteOffset)) {
    if (weight.byteOffset > at) runs.push([at, (weight.byteOffset - at) / 4]);
    at = Math.max(at, weight.byteOffset + 4 * weight.length);
  }
  const end = params + 4 * count;
  if (end > at) runs.push([at, (end - at) / 4]);
  return runs;
}
