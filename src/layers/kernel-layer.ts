/**
 * What Dense and Conv2D share: a kernel, an optional bias over the output's last axis, and an
 * activation applied to the output (Keras' options, names and defaults).
 */
import {
  ACTIVATIONS,
  INITIALIZERS,
  Layer,
  oneOf,
  type ActivationName,
  type BuildPlan,
  type InitializerName,
  type ParameterSlot,
} from './layer.js';

export interface KernelLayerOptions {
  /** Default 'linear'. 'softmax' only as the model's output layer. */
  activation?: ActivationName;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (Keras). */
  kernelInitializer?: InitializerName;
  name?: string;
}

export abstract class KernelLayer extends Layer {
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  protected readonly fn: ActivationName;
  protected kernel!: ParameterSlot;
  protected bias: ParameterSlot | undefined;

  /** @throws ArgumentError naming `${who} activation` or `${who} kernelInitializer` when unknown. */
  constructor(who: string, options: KernelLayerOptions) {
    super(options.name);
    this.fn = oneOf(`${who} activation`, options.activation ?? 'linear', ACTIVATIONS);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = oneOf(`${who} kernelInitializer`, options.kernelInitializer ?? 'glorotUniform', INITIALIZERS);
  }

  override get activation(): ActivationName {
    return this.fn;
  }

  /** Registers the kernel of `shape`, then the bias of its last dimension; both initialisers see the same fans. */
  protected registerKernel(plan: BuildPlan, shape: readonly number[], fanIn: number, fanOut: number): void {
    this.kernel = plan.parameter('kernel', shape, this.kernelInitializer, fanIn, fanOut);
    this.bias = this.useBias ? plan.parameter('bias', [shape[shape.length - 1]!], 'zeros', fanIn, fanOut) : undefined;
    this.parameters.push(this.kernel, ...(this.bias ? [this.bias] : []));
  }
}
