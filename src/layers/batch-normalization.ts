/**
 * BatchNormalization (Ioffe & Szegedy 2015; Keras' BatchNormalization, axis −1) over the last axis:
 * after a Dense, per unit of [rows, units]; after a Conv2D or MaxPooling2D, per channel of NHWC
 * [rows·height·width, channels]. assembly/batchnorm.ts computes both as columns of one matrix.
 *
 * Weights, in Keras' order (so getWeights, model files and the TF.js export line up):
 *   gamma [c] (ones, trainable), beta [c] (zeros, trainable),
 *   moving_mean [c] (zeros) and moving_variance [c] (ones), NOT trainable: their gradient is never
 *   written (0 from the plan), so no optimizer moves them; only the training forward does, by
 *   Keras' moving average m = momentum·m + (1 − momentum)·batch statistic.
 * Training forward normalises with the batch mean and (biased) variance, and keeps the batch mean
 * and 1/√(var + ε) in a fixed buffer [2, c] for the backward; inference uses the moving statistics.
 *
 * Backward (batchnorm_f32_backward): dgamma, dbeta and dx from dy, x and the saved statistics.
 */
import type { CoreExports } from '../core/abi.js';
import { ArgumentError, describeValue } from '../errors.js';
import {
  Layer,
  shapeText,
  type BatchSlot,
  type BuildPlan,
  type ForwardMode,
  type LayerBuffers,
  type LayerConfig,
  type ParameterSlot,
  type Shape,
} from './layer.js';

export interface BatchNormalizationOptions {
  /** Weight of the old value in the moving averages, in [0, 1]. Default 0.99 (Keras). */
  momentum?: number;
  /** Added to the variance before the square root, > 0. Default 1e-3 (Keras). */
  epsilon?: number;
  name?: string;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization' as const;
  readonly momentum: number;
  readonly epsilon: number;
  private gamma!: ParameterSlot;
  private beta!: ParameterSlot;
  private movingMean!: ParameterSlot;
  private movingVariance!: ParameterSlot;
  /** [2, channels]: the batch mean, then the batch invstd, written by the training forward. */
  private statistics!: BatchSlot;

  /** @throws ArgumentError when momentum is not in [0, 1] or epsilon is not a positive finite number. */
  constructor(options: BatchNormalizationOptions = {}) {
    super(options.name);
    const momentum = options.momentum ?? 0.99;
    const epsilon = options.epsilon ?? 1e-3;
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
      throw new ArgumentError('BatchNormalization momentum', `expected a number in [0, 1], got ${describeValue(momentum)}`);
    }
    if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) {
      throw new ArgumentError('BatchNormalization epsilon', `expected a positive finite number, got ${describeValue(epsilon)}`);
    }
    this.momentum = momentum;
    this.epsilon = epsilon;
  }

  /** @throws RangeError when the input is not [features] or [height, width, channels]. */
  computeOutputShape(inputShape: Shape): Shape {
    if (inputShape.length !== 1 && inputShape.length !== 3) {
      throw new RangeError(
        `${this.name || 'BatchNormalization'}: expected an input shape [features] or [height, width, channels], got ${shapeText(inputShape)}`,
      );
    }
    return [...inputShape];
  }

  /** Normalised columns: the last axis. */
  private get channels(): number {
    return this.inputShape![this.inputShape!.length - 1]!;
  }

  /** Rows of the column matrix for `rows` samples (samples × positions). */
  private matrixRows(rows: number): number {
    const shape = this.inputShape!;
    return shape.length === 3 ? rows * shape[0]! * shape[1]! : rows;
  }

  protected override register(inputShape: Shape, plan: BuildPlan): void {
    const c = inputShape[inputShape.length - 1]!;
    this.gamma = plan.parameter('gamma', [c], 'ones', c, c);
    this.beta = plan.parameter('beta', [c], 'zeros', c, c);
    this.movingMean = plan.parameter('moving_mean', [c], 'zeros', c, c, false);
    this.movingVariance = plan.parameter('moving_variance', [c], 'ones', c, c, false);
    this.parameters.push(this.gamma, this.beta, this.movingMean, this.movingVariance);
    this.statistics = plan.batchBuffer('statistics', [2, c], 'f32', false);
    this.batchBuffers.push(this.statistics);
  }

  override workspaceBytes(k: CoreExports): number {
    return k.batchnorm_f32_workspace_bytes(this.channels);
  }

  forward(k: CoreExports, at: LayerBuffers, rows: number, _logits: boolean, mode: ForwardMode): void {
    const c = this.channels;
    const m = this.matrixRows(rows);
    const { x, y, workspace } = at;
    if (mode.training) {
      const mean = at.batch[this.statistics.index]!;
      k.batchnorm_f32_forward_train(
        y,
        mean,
        mean + 4 * c,
        this.movingMean.byteOffset,
        this.movingVariance.byteOffset,
        x,
        this.gamma.byteOffset,
        this.beta.byteOffset,
        workspace,
        m,
        c,
        this.momentum,
        this.epsilon,
      );
    } else {
      k.batchnorm_f32_forward_inference(
        y,
        x,
        this.movingMean.byteOffset,
        this.movingVariance.byteOffset,
        this.gamma.byteOffset,
        this.beta.byteOffset,
        workspace,
        m,
        c,
        this.epsilon,
      );
    }
  }

  backward(k: CoreExports, at: LayerBuffers, rows: number): void {
    const c = this.channels;
    const { dx, dy, x } = at;
    const mean = at.batch[this.statistics.index]!;
    // The kernel always writes dx; as the first trained layer there is no dx buffer, and dy (which
    // backward may clobber, and dx may alias) takes it.
    k.batchnorm_f32_backward(
      dx === 0 ? dy : dx,
      this.gamma.gradByteOffset,
      this.beta.gradByteOffset,
      dy,
      x,
      mean,
      mean + 4 * c,
      this.gamma.byteOffset,
      this.matrixRows(rows),
      c,
    );
  }

  getConfig(): LayerConfig {
    return { className: 'BatchNormalization', name: this.name, momentum: this.momentum, epsilon: this.epsilon };
  }
}
