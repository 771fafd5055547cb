/**
 * Conv2D, Keras layout: NHWC input [rows, height, width, inChannels], HWIO kernel
 * [kernelHeight, kernelWidth, inChannels, filters], bias [filters], stride 1, padding 'valid'
 * (output height − kernel + 1) or 'same' (output = input size, TF's padding split).
 *
 * Initialisation: kernel Glorot uniform with Keras' receptive-field fans
 * (fanIn = kh·kw·inChannels, fanOut = kh·kw·filters), bias zeros.
 *
 * Forward: conv2d_f32_nhwc_forward (bias fused), then the activation in place.
 * Backward: the activation's derivative in place on dy; conv2d_f32_nhwc_backward_filter (kernel and
 * bias gradients, overwritten); conv2d_f32_nhwc_backward_data unless dx is 0 (the first layer).
 */
import type { CoreExports } from '../core/abi.js';
import { Padding } from '../core/abi.js';
import { activationBackward, activationForward } from './activation.js';
import { KernelLayer, type KernelLayerOptions } from './kernel-layer.js';
import { oneOf, positiveInteger, shapeText, type BuildPlan, type LayerBuffers, type LayerConfig, type Shape } from './layer.js';

export interface Conv2DOptions extends KernelLayerOptions {
  /** 'valid' (default, Keras) or 'same'. */
  padding?: 'valid' | 'same';
}

type ConvSizes = readonly [number, number, number, number, number, number, number, Padding];

export class Conv2D extends KernelLayer {
  readonly className = 'Conv2D' as const;
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly padding: 'valid' | 'same';

  /**
   * @param kernelSize a square size or [height, width].
   * @throws ArgumentError on non-positive sizes or unknown padding/activation/initialiser.
   */
  constructor(filters: number, kernelSize: number | readonly [number, number], options: Conv2DOptions = {}) {
    const checkedFilters = positiveInteger('Conv2D filters', filters);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const checkedSize: [number, number] = [positiveInteger('Conv2D kernelSize', kh), positiveInteger('Conv2D kernelSize', kw)];
    const padding = oneOf('Conv2D padding', options.padding ?? 'valid', ['valid', 'same'] as const);
    super('Conv2D', options);
    this.filters = checkedFilters;
    this.kernelSize = checkedSize;
    this.padding = padding;
  }

  /** @throws RangeError when the input is not [height, width, channels] or the kernel does not fit it. */
  computeOutputShape(inputShape: Shape): Shape {
    const who = this.name || 'Conv2D';
    if (inputShape.length !== 3) {
      throw new RangeError(`${who}: expected an input shape [height, width, channels], got ${shapeText(inputShape)}`);
    }
    const [height, width] = inputShape as [number, number, number];
    const [kh, kw] = this.kernelSize;
    if (this.padding === 'same') return [height, width, this.filters];
    if (kh > height || kw > width) {
      throw new RangeError(`${who}: a ${kh}x${kw} kernel does not fit a ${height}x${width} input with 'valid' padding`);
    }
    return [height - kh + 1, width - kw + 1, this.filters];
  }

  protected override register(inputShape: Shape, plan: BuildPlan): void {
    const channels = inputShape[2]!;
    const [kh, kw] = this.kernelSize;
    this.registerKernel(plan, [kh, kw, channels, this.filters], kh * kw * channels, kh * kw * this.filters);
  }

  /** The last `sizes` made: a training step calls them with the same rows, and allocates nothing then. */
  private lastSizes: ConvSizes | undefined;

  /** The kernels' size arguments for `rows` samples: batch, input height, width, channels, kernel height, width, filters, padding. */
  private sizes(rows: number): ConvSizes {
    if (this.lastSizes?.[0] !== rows) {
      const [height, width, channels] = this.inputShape as [number, number, number];
      const [kh, kw] = this.kernelSize;
      this.lastSizes = [rows, height, width, channels, kh, kw, this.filters, this.padding === 'same' ? Padding.Same : Padding.Valid];
    }
    return this.lastSizes;
  }

  override workspaceBytes(k: CoreExports, rows: number): number {
    return k.conv2d_f32_workspace_bytes(...this.sizes(rows));
  }

  forward(k: CoreExports, at: LayerBuffers, rows: number, logits: boolean): void {
    const { x, y } = at;
    k.conv2d_f32_nhwc_forward(y, x, this.kernel.byteOffset, this.bias?.byteOffset ?? 0, at.workspace, ...this.sizes(rows));
    const [oh, ow] = this.outputShape as [number, number, number];
    activationForward(k, this.fn, y, y, rows * oh * ow, this.filters, logits);
  }

  backward(k: CoreExports, at: LayerBuffers, rows: number): void {
    const { dx, dy, x, y, workspace } = at;
    activationBackward(k, this.fn, dy, dy, y, rows * this.outputSize);
    const sizes = this.sizes(rows);
    k.conv2d_f32_nhwc_backward_filter(this.kernel.gradByteOffset, this.bias?.gradByteOffset ?? 0, x, dy, workspace, ...sizes, 0);
    if (dx !== 0) k.conv2d_f32_nhwc_backward_data(dx, dy, this.kernel.byteOffset, workspace, ...sizes);
  }

  getConfig(): LayerConfig {
    return {
      className: 'Conv2D',
      name: this.name,
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      padding: this.padding,
      activation: this.fn,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
    };
  }
}
