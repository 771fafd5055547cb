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
import {
  ACTIVATIONS,
  INITIALIZERS,
  Layer,
  oneOf,
  positiveInteger,
  shapeText,
  type ActivationName,
  type BuildPlan,
  type InitializerName,
  type LayerBuffers,
  type LayerConfig,
  type ParameterSlot,
  type Shape,
} from './layer.js';

export interface Conv2DOptions {
  /** 'valid' (default, Keras) or 'same'. */
  padding?: 'valid' | 'same';
  /** Default 'linear'. */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (Keras). */
  kernelInitializer?: InitializerName;
  name?: string;
}

export class Conv2D extends Layer {
  readonly className = 'Conv2D' as const;
  readonly namePrefix = 'conv2d';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly padding: 'valid' | 'same';
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  private readonly fn: ActivationName;
  private kernel!: ParameterSlot;
  private bias: ParameterSlot | undefined;

  /**
   * @param kernelSize a square size or [height, width].
   * @throws ArgumentError on non-positive sizes or unknown padding/activation/initialiser.
   */
  constructor(filters: number, kernelSize: number | readonly [number, number], options: Conv2DOptions = {}) {
    super(options.name);
    this.filters = positiveInteger('Conv2D filters', filters);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    this.kernelSize = [positiveInteger('Conv2D kernelSize', kh), positiveInteger('Conv2D kernelSize', kw)];
    this.padding = oneOf('Conv2D padding', options.padding ?? 'valid', ['valid', 'same'] as const);
    this.fn = oneOf('Conv2D activation', options.activation ?? 'linear', ACTIVATIONS);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = oneOf('Conv2D kernelInitializer', options.kernelInitializer ?? 'glorotUniform', INITIALIZERS);
  }

  override get activation(): ActivationName {
    return this.fn;
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
    this.kernel = plan.parameter(
      'kernel',
      [kh, kw, channels, this.filters],
      this.kernelInitializer,
      kh * kw * channels,
      kh * kw * this.filters,
    );
    this.bias = this.useBias ? plan.parameter('bias', [this.filters], 'zeros', kh * kw * channels, kh * kw * this.filters) : undefined;
    this.parameters.push(this.kernel, ...(this.bias ? [this.bias] : []));
  }

  private get paddingFlag(): Padding {
    return this.padding === 'same' ? Padding.Same : Padding.Valid;
  }

  override workspaceBytes(k: CoreExports, rows: number): number {
    const [height, width, channels] = this.inputShape as [number, number, number];
    return k.conv2d_f32_workspace_bytes(
      rows,
      height,
      width,
      channels,
      this.kernelSize[0],
      this.kernelSize[1],
      this.filters,
      this.paddingFlag,
    );
  }

  forward(k: CoreExports, at: LayerBuffers, rows: number, logits: boolean): void {
    const [height, width, channels] = this.inputShape as [number, number, number];
    const [kh, kw] = this.kernelSize;
    const { x, y } = at;
    k.conv2d_f32_nhwc_forward(
      y,
      x,
      this.kernel.byteOffset,
      this.bias?.byteOffset ?? 0,
      at.workspace,
      rows,
      height,
      width,
      channels,
      kh,
      kw,
      this.filters,
      this.paddingFlag,
    );
    const [oh, ow] = this.outputShape as [number, number, number];
    activationForward(k, this.fn, y, y, rows * oh * ow, this.filters, logits);
  }

  backward(k: CoreExports, at: LayerBuffers, rows: number): void {
    const [height, width, channels] = this.inputShape as [number, number, number];
    const { dx, dy, x, y, workspace } = at;
    const [kh, kw] = this.kernelSize;
    activationBackward(k, this.fn, dy, dy, y, rows * this.outputSize);
    k.conv2d_f32_nhwc_backward_filter(
      this.kernel.gradByteOffset,
      this.bias?.gradByteOffset ?? 0,
      x,
      dy,
      workspace,
      rows,
      height,
      width,
      channels,
      kh,
      kw,
      this.filters,
      this.paddingFlag,
      0,
    );
    if (dx !== 0) {
      k.conv2d_f32_nhwc_backward_data(
        dx,
        dy,
        this.kernel.byteOffset,
        workspace,
        rows,
        height,
        width,
        channels,
        kh,
        kw,
        this.filters,
        this.paddingFlag,
      );
    }
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
