/**
 * The layer contract. A layer knows its parameter shapes, its output shape and two short, fixed
 * lists of kernel calls: `forward` and `backward`, on byte addresses planned in the model's arena.
 * It owns no memory: `build(inputShape, plan)` registers what it needs (parameters, per-batch
 * buffers such as max-pooling's argmax, workspace bytes) and the model lays every request out in
 * the arena in STYLE.md's region order (src/models/plan.ts).
 *
 * Parameters live for the life of the model: their slots get their addresses once, when the model
 * is planned. Everything per batch (input, output, their gradients, the layer's batch buffers, the
 * workspace) belongs to a run, and a model may hold two at once (its training run and a temporary
 * one above it, for an evaluation from a callback): each pass gets that run's addresses as an
 * argument (`LayerBuffers`), so nothing a layer holds changes between passes and a plan, once built,
 * never changes.
 *
 * Shapes are per sample, without the batch axis (Keras' `inputShape`): `[784]`, `[28, 28, 1]`.
 * Every buffer handed to `forward`/`backward` has `rows` samples in front of that shape.
 *
 * Gradient contract (llm.c's): parameter gradients are OVERWRITTEN by `backward` (one batch, one
 * step: nothing to zero between steps), and `dx` is overwritten too. `backward` may clobber `dy`
 * (activations are differentiated in place there).
 *
 * Layer authoring: `forward`, `backward`, `build`/`register`, `workspaceBytes` and the types
 * `BuildPlan`, `ParameterSlot`, `BatchSlot`, `LayerBuffers`, `ForwardMode` work on raw addresses in
 * wasm memory. They are what a new layer implements, not what an application calls.
 */
import type { CoreExports } from '../core/abi.js';
import type { DType } from '../core/arena.js';
import { ArgumentError, describeValue } from '../errors.js';

/** A per-sample shape (no batch axis). */
export type Shape = readonly number[];

/** The activations the kernels provide. `softmax` is only supported as the model's output activation. */
export type ActivationName = 'linear' | 'sigmoid' | 'relu' | 'softmax';
export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'sigmoid', 'relu', 'softmax'];

/**
 * Weight initialisers.
 * - `glorotUniform`: U(−l, l), l = √(6 / (fanIn + fanOut)) (Glorot & Bengio 2010; Keras' default kernel).
 * - `lecunNormal`: N(0, 1/fanIn), i.e. N(0,1)/√fanIn (LeCun et al., "Efficient BackProp", 1998):
 *   keeps every pre-activation at unit variance for unit-variance inputs, which is what a sigmoid
 *   needs to start in its non-saturated range.
 * - `heNormal`: N(0, 2/fanIn) (He et al. 2015), for ReLU stacks.
 * - `zeros`: Keras' default bias; `ones`: batch normalisation's gamma and moving variance.
 * Normal draws are not truncated (Keras' `lecun_normal` truncates at 2σ; ours is the plain form).
 */
export type InitializerName = 'glorotUniform' | 'lecunNormal' | 'heNormal' | 'zeros' | 'ones';
export const INITIALIZERS: readonly InitializerName[] = ['glorotUniform', 'lecunNormal', 'heNormal', 'zeros', 'ones'];

/** The random source of the initialisers (src/train/rng.ts's Rng fits). */
export interface RandomSource {
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal. */
  normal(): number;
}

/** Fills `values` following `initializer`, drawing in index order (so a seed fixes every value). */
export function initialize(values: Float32Array, initializer: InitializerName, fanIn: number, fanOut: number, random: RandomSource): void {
  switch (initializer) {
    case 'zeros':
      values.fill(0);
      return;
    case 'ones':
      values.fill(1);
      return;
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < values.length; i++) values[i] = random.uniform(-limit, limit);
      return;
    }
    case 'lecunNormal':
    case 'heNormal': {
      const std = Math.sqrt((initializer === 'heNormal' ? 2 : 1) / fanIn);
      for (let i = 0; i < values.length; i++) values[i] = std * random.normal();
      return;
    }
  }
}

/**
 * A weight: where its values and its gradient live once the model is planned. Non-trainable weights
 * (batch normalisation's moving statistics) live in the parameter region too, so getWeights, model
 * files and exports list them in Keras' order; their gradient is zeroed at plan time and never written,
 * so every optimizer leaves them as the forward pass sets them.
 */
export interface ParameterSlot {
  /** `layer/weight`, e.g. `dense_1/kernel`. */
  readonly name: string;
  readonly shape: Shape;
  /** Element count. */
  readonly length: number;
  readonly initializer: InitializerName;
  readonly fanIn: number;
  readonly fanOut: number;
  /** False for weights the optimizer must not move (their gradient stays 0). */
  readonly trainable: boolean;
  /** Set by the model's plan. */
  byteOffset: number;
  /** Set by the model's plan: the gradient, in the same layout as the parameters. */
  gradByteOffset: number;
}

/**
 * A buffer a layer needs besides its output, in each run's activation region: per batch (max-pooling's
 * argmax, dropout's mask) or of a fixed shape (batch normalisation's batch mean and invstd). Layer
 * authoring. A run gives its address to each pass as `LayerBuffers.batch[index]`.
 */
export interface BatchSlot {
  /** `layer/what`, e.g. `max_pooling2d_1/argmax`. */
  readonly name: string;
  /** Per sample when `perSample` (the plan puts the batch capacity in front), else the whole shape. */
  readonly shape: Shape;
  readonly dtype: DType;
  readonly perSample: boolean;
  /** Its position among the layer's batch buffers, in the order `build` registered them. */
  readonly index: number;
}

/**
 * The addresses of one layer's pass in one run (layer authoring): planned with the run
 * (src/models/plan.ts) and never changed; a run holds one per layer.
 */
export interface LayerBuffers {
  /** The input, [rows, ...inputShape]. */
  readonly x: number;
  /** The output, [rows, ...outputShape]; `x` itself for in-place layers. */
  readonly y: number;
  /** ∂loss/∂x, overwritten by `backward`; 0 when nobody needs it (the first trained layer) or in an inference run. */
  readonly dx: number;
  /** ∂loss/∂y, which `backward` may clobber; 0 in an inference run. */
  readonly dy: number;
  /** The layer's batch buffers (`BatchSlot.index`), sized for the run's batch capacity. */
  readonly batch: readonly number[];
  /** Scratch shared by every layer of the run (the largest `workspaceBytes` of them). */
  readonly workspace: number;
}

/** What `build` registers its buffers with (layer authoring). */
export interface BuildPlan {
  /** `trainable` defaults to true. */
  parameter(
    localName: string,
    shape: Shape,
    initializer: InitializerName,
    fanIn: number,
    fanOut: number,
    trainable?: boolean,
  ): ParameterSlot;
  /** `perSample` defaults to true (the shape is per sample). The slot's index counts this layer's buffers. */
  batchBuffer(localName: string, shape: Shape, dtype: DType, perSample?: boolean): BatchSlot;
}

/**
 * How a forward pass runs: `training` (dropout drops, batch normalisation uses and updates batch
 * statistics) or inference; `seed` is this layer's draw for this step (src/models/execute.ts derives
 * it from the model seed, the optimizer step and the layer index, so a seeded run repeats exactly).
 */
export interface ForwardMode {
  readonly training: boolean;
  readonly seed: number;
}

/** Inference, for callers outside a training step. */
export const INFERENCE: ForwardMode = Object.freeze({ training: false, seed: 0 });

/** The serialisable description of a layer (saved in model files; `layerFromConfig` rebuilds it). */
export type LayerConfig =
  | { className: 'Dense'; name: string; units: number; activation: ActivationName; useBias: boolean; kernelInitializer: InitializerName }
  | {
      className: 'Conv2D';
      name: string;
      filters: number;
      kernelSize: [number, number];
      padding: 'valid' | 'same';
      activation: ActivationName;
      useBias: boolean;
      kernelInitializer: InitializerName;
    }
  | { className: 'MaxPooling2D'; name: string; poolSize: number; strides: number }
  | { className: 'Flatten'; name: string }
  | { className: 'Activation'; name: string; activation: ActivationName }
  | { className: 'Dropout'; name: string; rate: number }
  | { className: 'BatchNormalization'; name: string; momentum: number; epsilon: number };

export type LayerClassName = LayerConfig['className'];

export abstract class Layer {
  abstract readonly className: LayerClassName;
  /** Set by the constructor option or, when absent, by the model (`dense_1`, `dense_2`, …). */
  name: string;
  /** True when the output is the input's buffer reinterpreted (Flatten): no kernel runs. */
  readonly inPlace: boolean = false;

  inputShape: Shape | undefined;
  outputShape: Shape | undefined;
  readonly parameters: ParameterSlot[] = [];
  readonly batchBuffers: BatchSlot[] = [];

  constructor(name: string | undefined) {
    this.name = name ?? '';
  }

  /** Keras' prefix for automatic names (`dense` → `dense_1`): `namePrefixOf(className)`. */
  get namePrefix(): string {
    return namePrefixOf(this.className);
  }

  /** The activation applied to this layer's output (`linear` when none). */
  get activation(): ActivationName {
    return 'linear';
  }

  get built(): boolean {
    return this.outputShape !== undefined;
  }

  /**
   * The per-sample output shape for a per-sample input shape.
   * @throws RangeError naming the layer when the input shape does not fit it.
   */
  abstract computeOutputShape(inputShape: Shape): Shape;

  /** Registers this layer's parameters and per-batch buffers. Called once, by the model. */
  build(inputShape: Shape, plan: BuildPlan): void {
    if (this.built) throw new Error(`${this.name}: already built (a layer belongs to one model)`);
    const outputShape = this.computeOutputShape(inputShape);
    this.inputShape = [...inputShape];
    this.register(inputShape, plan);
    this.outputShape = outputShape;
  }

  /** Subclasses register their buffers here. */
  protected register(_inputShape: Shape, _plan: BuildPlan): void {}

  /** Layer authoring: workspace bytes `forward`/`backward` need for `rows` samples (a run shares one workspace). */
  workspaceBytes(_exports: CoreExports, _rows: number): number {
    return 0;
  }

  /**
   * Layer authoring: y = layer(x) for `rows` samples, on the run's buffers `at` (x [rows, ...inputShape],
   * y [rows, ...outputShape]). With `logits`, a softmax output activation is skipped (the loss fuses
   * it). `mode` says training or inference (only Dropout and BatchNormalization read it).
   */
  abstract forward(k: CoreExports, at: LayerBuffers, rows: number, logits: boolean, mode: ForwardMode): void;

  /**
   * Layer authoring: gradients from `at.dy` (w.r.t. this layer's output, or w.r.t. the logits for a
   * fused softmax): overwrites the parameter gradients and, unless `at.dx` is 0, dx (w.r.t. the input).
   * May clobber dy. Reads x and y of the forward pass of the same rows.
   */
  abstract backward(k: CoreExports, at: LayerBuffers, rows: number): void;

  abstract getConfig(): LayerConfig;

  /** Elements per sample of the output. */
  get outputSize(): number {
    return size(this.outputShape ?? []);
  }
}

/** Keras' automatic-name prefix of a layer class, its name in snake case (`MaxPooling2D` → `max_pooling2d`). */
export function namePrefixOf(className: LayerClassName): string {
  return className.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Product of the dimensions. */
export function size(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function positiveInteger(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ArgumentError(argument, `expected a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ArgumentError(argument, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describeValue(value)}`);
  }
  return value as T;
}

export function shapeText(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}
