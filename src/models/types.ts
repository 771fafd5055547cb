/** The option and result types of `Sequential` (Keras' compile/evaluate/predict vocabulary). */
import type { Layer, Shape } from '../layers/layer.js';
import type { OptimizerConfig, OptimizerName, ResolvedOptimizerConfig } from '../train/optimizers.js';

export type LossName = 'categoricalCrossentropy';
export type ReductionName = 'mean' | 'sum';

export interface CompileOptions {
  /** Default 'sgd'. */
  optimizer?: OptimizerName | OptimizerConfig;
  /** Default and only: 'categoricalCrossentropy' (the output layer must end in softmax). */
  loss?: LossName;
  /**
   * 'mean' (default, Keras): loss and gradient averaged over the batch. 'sum': summed, the paper's
   * from-scratch rule (Figure 13's dw = intermediate·X over the whole batch).
   */
  reduction?: ReductionName;
}

export interface ResolvedCompileOptions {
  optimizer: ResolvedOptimizerConfig;
  loss: LossName;
  reduction: ReductionName;
}

export interface SequentialOptions {
  /** Per-sample input shape: [784] for Dense stacks, [28, 28, 1] for Conv2D. */
  inputShape: Shape;
  layers?: Layer[];
  /** Seed of the weight initialisation (and the default shuffle seed). Default 0. */
  seed?: number;
  /** Model name shown by `summary()`. Default 'sequential'. */
  name?: string;
}

/** Which named architecture (and options) a model was made from; saved in model files. */
export interface ArchitectureInfo {
  name: string;
  options: Record<string, unknown>;
}

export interface EvaluateOptions {
  /** Rows per forward pass. Default: the planned batch size, else 256. */
  batchSize?: number;
}

export interface EvaluateResult {
  /** Mean categorical cross-entropy per image. */
  loss: number;
  /** Fraction of images whose argmax equals the label (0..1). */
  accuracy: number;
  /** Argmax class per image. */
  predictions: Int32Array;
}

export interface PredictResult {
  /** Argmax class per image. */
  labels: Int32Array;
  /** Softmax output, [count, classes]. */
  probabilities: Float32Array;
}

export interface WeightTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The optimizer's progress and memory (Sequential.getOptimizerState), for checkpoints. */
export interface OptimizerState {
  /** Steps taken (Adam's bias correction and the per-step seeds depend on it). */
  iterations: number;
  learningRate: number;
  /** The state buffers over the parameter layout (padding included): none for sgd, velocity, Adam's m and v. */
  buffers: Float32Array[];
}
