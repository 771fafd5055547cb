/**
 * Dropout (Keras' Dropout, inverted): in training, each element is kept with probability 1 − rate
 * and scaled by 1 / (1 − rate), zeroed otherwise; in inference it is the identity. No parameters.
 *
 * Not in place: a Dense layer's backward reads its own activated output, which an in-place dropout
 * would overwrite. The mask (f32 per element, 1/(1 − rate) or 0) lives in a per-batch buffer; it is
 * drawn from (the step's seed, element index) by assembly/dropout.ts, so the same step gives the same
 * mask on every run. Inference copies x to y with a rate-0 forward (y = x · 1, exact).
 *
 * Backward: dx = dy · mask (dropout_f32_backward).
 */
import type { CoreExports } from '../core/abi.js';
import { ArgumentError, describeValue } from '../errors.js';
import { Layer, size, type BatchSlot, type BuildPlan, type ForwardMode, type LayerBuffers, type LayerConfig, type Shape } from './layer.js';

export interface DropoutOptions {
  name?: string;
}

export class Dropout extends Layer {
  readonly className = 'Dropout' as const;
  /** Fraction of the inputs dropped in training, in [0, 1). */
  readonly rate: number;
  private mask!: BatchSlot;

  /** @throws ArgumentError when `rate` is not a number in [0, 1). */
  constructor(rate: number, options: DropoutOptions = {}) {
    super(options.name);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new ArgumentError('Dropout rate', `expected a number in [0, 1), got ${describeValue(rate)}`);
    }
    this.rate = rate;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape];
  }

  protected override register(inputShape: Shape, plan: BuildPlan): void {
    this.mask = plan.batchBuffer('mask', inputShape, 'f32');
    this.batchBuffers.push(this.mask);
  }

  forward(k: CoreExports, at: LayerBuffers, rows: number, _logits: boolean, mode: ForwardMode): void {
    const count = rows * size(this.inputShape!);
    k.dropout_f32_forward(at.y, at.batch[this.mask.index]!, at.x, count, mode.training ? this.rate : 0, mode.seed >>> 0);
  }

  backward(k: CoreExports, at: LayerBuffers, rows: number): void {
    if (at.dx === 0) return;
    k.dropout_f32_backward(at.dx, at.dy, at.batch[this.mask.index]!, rows * size(this.inputShape!));
  }

  getConfig(): LayerConfig {
    return { className: 'Dropout', name: this.name, rate: this.rate };
  }
}
