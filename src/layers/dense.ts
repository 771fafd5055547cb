/**
 * Dense (fully connected) layer, Keras layout: y[rows, units] = act(x[rows, in] · kernel[in, units] + bias[units]).
 *
 * Initialisation: kernel Glorot uniform, U(±√(6/(in + units))), and bias zeros, as Keras' defaults;
 * `kernelInitializer` overrides the kernel (the paper's from-scratch net uses `lecunNormal`, see
 * src/models/architectures.ts for why).
 *
 * Forward: dense_f32_forward (product, bias and a sigmoid/ReLU activation in one pass over y); a
 * softmax head runs softmax_f32_forward after it, unless the loss fuses it. Kernels past
 * FUSED_MAX_WEIGHTS run gemm_f32_nn, bias_add_f32_forward and the activation instead (same bits).
 *
 * Backward (x [rows, in], dy [rows, units], y the activated output):
 *   dz      = dy · act'(y)               in place on dy
 *   dbias   = Σ_rows dz                  bias_add_f32_backward
 *   dkernel = xᵀ · dz  [in, units]       gemm_f32_tn (x stored [rows, in] = [k, m])
 *   dx      = dz · kernelᵀ [rows, in]    gemm_f32_nt (kernel stored [in, units] = [n, k]), skipped for the first layer
 * Training with plain SGD (batch ≤ gemm_f32_sgd_max_k(), kernel ≤ FUSED_MAX_WEIGHTS), `backwardSgd`
 * never stores dkernel: dx first, then gemm_f32_tn_sgd applies kernel −= lr · xᵀ·dz tile by tile
 * (bit-identical to dkernel then the optimizer's sgd_f32_step, which then skips the kernel). The
 * training step decides when (src/models/sgd-fusion.ts).
 */
import { ActivationCode, type CoreExports } from '../core/abi.js';
import { activationBackward, activationForward } from './activation.js';
import { KernelLayer, type KernelLayerOptions } from './kernel-layer.js';
import {
  positiveInteger,
  shapeText,
  type ActivationName,
  type BuildPlan,
  type LayerBuffers,
  type LayerConfig,
  type ParameterSlot,
  type Shape,
} from './layer.js';

/**
 * Largest kernel (f32 elements, 1 MiB: the MLPs' 784×300 fits) that takes the fused kernels
 * (dense_f32_forward, and gemm_f32_tn_sgd when training with plain SGD). A larger one (the CNN's
 * 5408×200, 4.3 MB, read from L3) keeps the plain kernels, the faster ones there: a CNN step on 2
 * threads at batch 64 ran 5-20% slower with the fusions. The limit is a size, not a model name, so
 * any kernel that outgrows the caches takes the same path.
 */
const FUSED_MAX_WEIGHTS = 262_144;

/** The activation dense_f32_forward applies itself; softmax runs as its own pass (or in the loss). */
const FUSED_ACTIVATION: Record<ActivationName, ActivationCode> = {
  linear: ActivationCode.Linear,
  sigmoid: ActivationCode.Sigmoid,
  relu: ActivationCode.Relu,
  softmax: ActivationCode.Linear,
};

/** Dense's options (`activation` 'softmax' only as the model's output layer). */
export type DenseOptions = KernelLayerOptions;

export class Dense extends KernelLayer {
  readonly className = 'Dense' as const;
  readonly units: number;

  /** @throws ArgumentError on a non-positive `units` or an unknown activation/initialiser. */
  constructor(units: number, options: DenseOptions = {}) {
    const checked = positiveInteger('Dense units', units);
    super('Dense', options);
    this.units = checked;
  }

  /** @throws RangeError when the input is not 1-D (add a Flatten first). */
  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1) {
      throw new RangeError(
        `${this.name || 'Dense'}: expected a 1-D input shape [features] (add a Flatten layer first), got ${shapeText(inputShape)}`,
      );
    }
    return [this.units];
  }

  protected override register(inputShape: Shape, plan: BuildPlan): void {
    const inputs = inputShape[0]!;
    this.registerKernel(plan, [inputs, this.units], inputs, this.units);
  }

  override workspaceBytes(k: CoreExports): number {
    return k.gemm_f32_workspace_bytes();
  }

  forward(k: CoreExports, at: LayerBuffers, rows: number, logits: boolean): void {
    const inputs = this.inputShape![0]!;
    const { x, y, workspace } = at;
    if (!this.fused) {
      k.gemm_f32_nn(y, x, this.kernel.byteOffset, workspace, rows, inputs, this.units, 0);
      if (this.bias) k.bias_add_f32_forward(y, y, this.bias.byteOffset, rows, this.units);
      activationForward(k, this.fn, y, y, rows, this.units, logits);
      return;
    }
    const bias = this.bias?.byteOffset ?? 0;
    k.dense_f32_forward(y, x, this.kernel.byteOffset, bias, workspace, rows, inputs, this.units, FUSED_ACTIVATION[this.fn]);
    if (this.fn === 'softmax') activationForward(k, this.fn, y, y, rows, this.units, logits);
  }

  /** Whether the kernel is small enough for the fused kernels (FUSED_MAX_WEIGHTS). */
  private get fused(): boolean {
    return this.kernel.length <= FUSED_MAX_WEIGHTS;
  }

  backward(k: CoreExports, at: LayerBuffers, rows: number): void {
    const { dx, dy, x, workspace } = at;
    const inputs = this.inputShape![0]!;
    this.backwardBias(k, at, rows);
    k.gemm_f32_tn(this.kernel.gradByteOffset, x, dy, workspace, inputs, rows, this.units, 0);
    if (dx !== 0) k.gemm_f32_nt(dx, dy, this.kernel.byteOffset, workspace, rows, this.units, inputs, 0);
  }

  /**
   * The kernel when plain SGD can ride on its dW product (small enough for the fused kernels), else
   * undefined. For the training step's SgdFusion.
   * @internal
   */
  get sgdKernel(): ParameterSlot | undefined {
    return this.fused ? this.kernel : undefined;
  }

  /**
   * `backward`, except that the kernel takes its plain SGD step at `rate` (kernel −= rate·xᵀ·dz) instead
   * of getting a gradient. Only for a kernel `sgdKernel` gives and a batch gemm_f32_tn_sgd takes.
   * @internal
   */
  backwardSgd(k: CoreExports, at: LayerBuffers, rows: number, rate: number): void {
    const { dx, dy, x, workspace } = at;
    const inputs = this.inputShape![0]!;
    this.backwardBias(k, at, rows);
    // dx reads the kernel before its update.
    if (dx !== 0) k.gemm_f32_nt(dx, dy, this.kernel.byteOffset, workspace, rows, this.units, inputs, 0);
    k.gemm_f32_tn_sgd(this.kernel.byteOffset, x, dy, workspace, inputs, rows, this.units, rate);
  }

  /** dz = dy · act'(y) in place on dy, then the bias gradient. */
  private backwardBias(k: CoreExports, at: LayerBuffers, rows: number): void {
    activationBackward(k, this.fn, at.dy, at.dy, at.y, rows * this.units);
    if (this.bias) k.bias_add_f32_backward(this.bias.gradByteOffset, at.dy, rows, this.units, 0);
  }

  getConfig(): LayerConfig {
    return {
      className: 'Dense',
      name: this.name,
      units: this.units,
      activation: this.fn,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
    };
  }
}
