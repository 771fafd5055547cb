/**
 * MaxPooling2D, NHWC, square windows of `poolSize` moved by `strides` (default: the pool size, as
 * Keras), 'valid' windows: out = floor((in − poolSize) / strides) + 1. No parameters.
 *
 * Forward writes the argmax of every window (i32, one per output element, in a per-batch buffer the
 * layer registers) so backward is one scatter: maxpool2d_f32_nhwc_backward (dx = 0, then
 * dx[argmax] += dy).
 */
import type { CoreExports } from '../core/abi.js';
import {
  Layer,
  positiveInteger,
  shapeText,
  type BatchSlot,
  type BuildPlan,
  type LayerBuffers,
  type LayerConfig,
  type Shape,
} from './layer.js';

export interface MaxPooling2DOptions {
  /** Window size, default 2. */
  poolSize?: number;
  /** Step between windows, default poolSize. */
  strides?: number;
  name?: string;
}

export class MaxPooling2D extends Layer {
  readonly className = 'MaxPooling2D' as const;
  readonly poolSize: number;
  readonly strides: number;
  private argmax!: BatchSlot;

  /** @throws ArgumentError on a non-positive poolSize or strides. */
  constructor(options: MaxPooling2DOptions = {}) {
    super(options.name);
    this.poolSize = positiveInteger('MaxPooling2D poolSize', options.poolSize ?? 2);
    this.strides = positiveInteger('MaxPooling2D strides', options.strides ?? this.poolSize);
  }

  /** @throws RangeError when the input is not [height, width, channels] or smaller than a window. */
  computeOutputShape(inputShape: Shape): Shape {
    const who = this.name || 'MaxPooling2D';
    if (inputShape.length !== 3) {
      throw new RangeError(`${who}: expected an input shape [height, width, channels], got ${shapeText(inputShape)}`);
    }
    const [height, width, channels] = inputShape as [number, number, number];
    if (this.poolSize > height || this.poolSize > width) {
      throw new RangeError(`${who}: a ${this.poolSize}x${this.poolSize} window does not fit a ${height}x${width} input`);
    }
    return [Math.floor((height - this.poolSize) / this.strides) + 1, Math.floor((width - this.poolSize) / this.strides) + 1, channels];
  }

  protected override register(inputShape: Shape, plan: BuildPlan): void {
    this.argmax = plan.batchBuffer('argmax', this.computeOutputShape(inputShape), 'i32');
    this.batchBuffers.push(this.argmax);
  }

  forward(k: CoreExports, at: LayerBuffers, rows: number): void {
    const [height, width, channels] = this.inputShape as [number, number, number];
    k.maxpool2d_f32_nhwc_forward(at.y, at.batch[this.argmax.index]!, at.x, rows, height, width, channels, this.poolSize, this.strides);
  }

  backward(k: CoreExports, at: LayerBuffers, rows: number): void {
    if (at.dx === 0) return;
    const [height, width, channels] = this.inputShape as [number, number, number];
    k.maxpool2d_f32_nhwc_backward(at.dx, at.dy, at.batch[this.argmax.index]!, rows, height, width, channels, this.poolSize, this.strides);
  }

  getConfig(): LayerConfig {
    return { className: 'MaxPooling2D', name: this.name, poolSize: this.poolSize, strides: this.strides };
  }
}
