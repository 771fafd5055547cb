// Kept in the published .d.ts: consumers on lib es2022 get Symbol.dispose (TS2550 without it).
/// <reference lib="esnext.disposable" preserve="true" />
/**
 * Sequential: a stack of layers with Keras' vocabulary (add, compile, fit, evaluate, predict,
 * summary), running on its own wasm core.
 *
 * The model holds its plans (src/models/plan.ts): the model plan (parameters and gradients, made at
 * build), the optimizer state (made at compile) and the runs src/models/runs.ts keeps: the current
 * run (activations, gradients and the uploaded datasets for one batch size, re-made only when the
 * batch size or the datasets change) and, above it, the inference run of `predict`. The kernel
 * sequences run from them (src/models/execute.ts, src/models/inference.ts); `fit` hands the loop in
 * src/train/fit.ts a narrow stepper over one run plan, never the model.
 *
 * One model, one training at a time: a `fit` (or `compile`, `trainOnBatch`, `dispose`) while a fit
 * runs fails at once. `evaluate`, `predict` and `computeGradients` from a callback work and leave the
 * training as it would be without them: `predict` runs on its own run, the others reuse the training
 * run when it fits, else plan a temporary run above it and release it.
 *
 * Over 450 lines on purpose: it is the Keras-shaped surface applications use (each method's checks
 * and documentation of what it allocates sit with it); the work lives in plan.ts, runs.ts,
 * execute.ts, inference.ts, compile.ts and weights.ts.
 */
import { loadCore, type Core } from '../core/index.js';
import { ArgumentError, describeValue } from '../errors.js';
import type { Layer, ParameterSlot, Shape } from '../layers/layer.js';
import type { History } from '../train/callbacks.js';
import { fitSettings, runFit, type FitOptions, type ImageSet } from '../train/fit.js';
import { compileModel, compileOptions, type Compiled } from './compile.js';
import { claimCore } from './cores.js';
import { Executor, trainingStepper } from './execute.js';
import { defaultClassNames, Inference, type Classification, type ModelImage } from './inference.js';
import { checkBatch, checkSet, checkSoftmaxOutput, findSet, planModel, type ModelPlan } from './plan.js';
import { plannedSet, RunPlans } from './runs.js';
import { formatSummary } from './summary.js';
import { readOptimizerState, readTensors, writeOptimizerState, writeTensors } from './weights.js';
import type {
  ArchitectureInfo,
  CompileOptions,
  EvaluateOptions,
  EvaluateResult,
  OptimizerState,
  PredictResult,
  ResolvedCompileOptions,
  SequentialOptions,
  WeightTensor,
} from './types.js';

export type {
  ArchitectureInfo,
  CompileOptions,
  EvaluateOptions,
  EvaluateResult,
  LossName,
  OptimizerState,
  PredictResult,
  ReductionName,
  ResolvedCompileOptions,
  SequentialOptions,
  WeightTensor,
} from './types.js';

const DEFAULT_EVAL_BATCH = 256;

export class Sequential {
  readonly core: Core;
  readonly inputShape: Shape;
  readonly seed: number;
  readonly name: string;
  /** Set by the architecture factories; saved in model files. */
  architecture: ArchitectureInfo | undefined;
  private readonly stack: Layer[] = [];
  private plan: ModelPlan | undefined;
  private compiled: Compiled | undefined;
  /** The run plans; held while `fit` runs. */
  private readonly runs: RunPlans;
  private disposed = false;
  /** Set through `classNames`. */
  private names: readonly string[] | undefined;
  /** The inference passes, made on first use. */
  private passes: Inference | undefined;
  /**
   * Set to true (from a callback) to stop the running `fit` after the current batch, as Keras'
   * `model.stop_training`. `fit` resets it when it starts.
   */
  stopTraining = false;

  /**
   * @param core a core of its own (`await loadCore()`): the model plans the core's whole arena.
   * @throws ArgumentError when the core already serves another model or the options are invalid.
   * @throws DisposedError when the core was disposed.
   */
  constructor(core: Core, options: SequentialOptions) {
    const { inputShape, seed } = claimCore(core, options);
    this.core = core;
    this.runs = new RunPlans(core);
    this.inputShape = inputShape;
    this.seed = seed;
    this.name = options.name ?? 'sequential';
    for (const layer of options.layers ?? []) this.add(layer);
  }

  /** Loads a core of its own and makes the model. */
  static async create(options: SequentialOptions & { core?: Core }): Promise<Sequential> {
    const core = options.core ?? (await loadCore());
    return new Sequential(core, options);
  }

  get layers(): readonly Layer[] {
    return this.stack;
  }

  get built(): boolean {
    return this.plan !== undefined;
  }

  /** True while `fit` runs. */
  get training(): boolean {
    return this.runs.held;
  }

  /** The compile options in force (after defaults), or undefined before `compile`. */
  get compileOptions(): ResolvedCompileOptions | undefined {
    return this.compiled?.options;
  }

  /** Per-sample output shape. */
  get outputShape(): Shape {
    let shape = this.inputShape;
    for (const layer of this.stack) shape = layer.outputShape ?? layer.computeOutputShape(shape);
    return shape;
  }

  /** Parameter count, trainable or not (batch normalisation's moving statistics), as Keras' count_params; no padding. */
  countParams(): number {
    return this.planned().slots.reduce((n, slot) => n + slot.length, 0);
  }

  /** Appends a layer (before the model is built). Unnamed layers get Keras names: dense_1, dense_2, … */
  add(layer: Layer): this {
    if (this.built) throw new ArgumentError('layer', 'the model is already built: add every layer before compile/fit/predict/summary');
    if (this.stack.includes(layer)) throw new ArgumentError('layer', `${layer.name || layer.className} is already in this model`);
    if (layer.name === '') {
      const taken = new Set(this.stack.map((l) => l.name));
      let n = 1;
      while (taken.has(`${layer.namePrefix}_${n}`)) n++;
      layer.name = `${layer.namePrefix}_${n}`;
    } else if (this.stack.some((l) => l.name === layer.name)) {
      throw new ArgumentError('layer', `the name ${JSON.stringify(layer.name)} is already used in this model`);
    }
    this.stack.push(layer);
    return this;
  }

  /**
   * Builds every layer, plans parameters and gradients in the arena and initialises the weights from
   * the seed. Idempotent; called by everything that needs it.
   * @throws RangeError when a layer does not fit its input shape; ArgumentError when the stack is
   *   empty or a softmax is not in the output layer.
   */
  build(): void {
    this.planned();
  }

  /**
   * Chooses the optimizer, loss and reduction (Keras' compile). Resets the optimizer state.
   * @throws ArgumentError on an unknown optimizer/loss/reduction, a model without parameters, or an
   *   output layer that does not end in softmax; while `fit` runs.
   */
  compile(options: CompileOptions = {}): this {
    this.checkNotTraining('compile');
    const plan = this.planned();
    const resolved = compileOptions(plan, options);
    this.runs.clear();
    this.compiled = compileModel(this.core, plan, resolved);
    return this;
  }

  /**
   * Trains (Keras' fit): `epochs` passes over `train` in seeded-shuffled batches of `batchSize`
   * (the last one partial), calling the callbacks; returns the history.
   * @throws ArgumentError when not compiled, while another `fit` runs, on an invalid option or a
   *   dataset that does not fit the model; TrainingError when the loss becomes NaN or infinite
   *   (naming epoch and batch).
   */
  async fit(train: ImageSet, options: FitOptions = {}): Promise<History> {
    this.checkNotTraining('fit');
    const compiled = this.compiled;
    if (!compiled) throw new ArgumentError('compile', 'call compile({ optimizer, ... }) before fit');
    const plan = this.planned();
    checkSet(plan, train, 'train');
    const settings = fitSettings(train, options, this.seed);
    const validation = settings.validationData;
    const run = this.runs.prepare(
      plan,
      this.runBase(plan),
      settings.batchSize,
      validation === undefined || validation === train ? [train] : [train, validation],
    );
    const stepper = trainingStepper(
      new Executor(this.core, plan, run),
      plannedSet(run, train),
      validation && plannedSet(run, validation),
      compiled.optimizer,
      compiled.options.reduction,
      settings.augment,
    );
    this.runs.held = true;
    try {
      for (const callback of settings.callbacks) callback.setModel?.(this);
      return await runFit(stepper, settings, this);
    } finally {
      this.runs.held = false;
    }
  }

  /**
   * Loss, accuracy and argmax predictions on a labelled set, in batches.
   * @throws ArgumentError when the set does not fit the model.
   */
  evaluate(set: ImageSet, options: EvaluateOptions = {}): EvaluateResult {
    const plan = this.planned();
    checkSoftmaxOutput(plan);
    const rows = options.batchSize ?? this.runs.rows ?? DEFAULT_EVAL_BATCH;
    if (!Number.isInteger(rows) || rows < 1)
      throw new ArgumentError('batchSize', `expected a positive integer, got ${describeValue(rows)}`);
    checkSet(plan, set, 'data');
    return this.runs.with(
      plan,
      this.runBase(plan),
      rows,
      [set],
      (run) => run.rows === rows && findSet(run, set) !== undefined,
      (executor) => {
        const { loss, correct, predictions } = executor.evaluate(plannedSet(executor.run, set));
        return { loss, accuracy: correct / set.count, predictions: predictions.slice() };
      },
    );
  }

  /**
   * The class probabilities (the model's output: its softmax) of ONE image: a Uint8Array of the
   * model's input size in pixels 0..255 (scaled by 1/255, as the training data), a Float32Array of
   * values already in 0..1, or an RgbaImage/ImageData (made 28x28 gray by `toModelInput` with its
   * default options; a model of 784 inputs).
   *
   * What it allocates: with `output` (a Float32Array of at least `classes` values, reused from call
   * to call), nothing, in JS or in wasm memory: the image is copied once into the model's inference
   * run, the layers run on its fixed buffers, the probabilities are copied into `output`, which is
   * returned. Without `output`, a new Float32Array(classes). An RgbaImage also allocates its
   * conversion. The first call plans the inference run; later calls reuse it (see the batch form).
   * Gives the bits the image gets inside a batch.
   * @throws ArgumentError naming `image` (another type or size, a NaN or ±Infinity value) or `output`
   *   (not a Float32Array of at least `classes` values); nothing is written then.
   */
  predict(image: ModelImage, output?: Float32Array): Float32Array;
  /**
   * Class probabilities and argmax labels of `count` images laid one after the other: a Uint8Array
   * of u8 pixels (0..255, scaled by 1/255) or a Float32Array of values in 0..1.
   *
   * What it allocates: `labels` (count i32) and the result object; `probabilities` is `output` when
   * given (a Float32Array of at least count·classes values, its first count·classes written), else a
   * new Float32Array. The images run in passes of up to 256 on the model's inference run, planned
   * on the first call and re-planned (larger) only when a call needs more rows than it holds: a
   * small call never shrinks what a later large one runs on, and training runs are never touched.
   * @throws ArgumentError naming `count`, `images` (another type or size; the index of the first
   *   image holding NaN or ±Infinity) or `output`; nothing is written then.
   */
  predict(images: Uint8Array | Float32Array, count: number, output?: Float32Array): PredictResult;
  predict(images: ModelImage, countOrOutput?: number | Float32Array, output?: Float32Array): Float32Array | PredictResult {
    const inference = this.inference();
    if (typeof countOrOutput === 'number') return inference.batch(images as Uint8Array | Float32Array, countOrOutput, output);
    return inference.one(images, countOrOutput);
  }

  /**
   * The most probable class of ONE image (any form `predict` takes), with its name and probability.
   * Allocates the result and, without `output`, its `probabilities` (else `output`, as `predict`).
   * @throws ArgumentError as `predict` of one image.
   */
  classify(image: ModelImage, output?: Float32Array): Classification {
    return this.inference().classify(image, this.classNames, output);
  }

  /**
   * The name of each class, by label, for `classify`: those set here (by an application, or by a
   * loader whose file carries them), else Fashion-MNIST's CLASS_NAMES for a model of 10 classes,
   * else the labels as text.
   * @throws ArgumentError when set to anything but one string per class.
   */
  get classNames(): readonly string[] {
    return this.names ?? defaultClassNames(this.planned().classes);
  }

  set classNames(names: readonly string[]) {
    const classes = this.planned().classes;
    if (!Array.isArray(names) || names.length !== classes || names.some((name) => typeof name !== 'string')) {
      throw new ArgumentError('classNames', `expected ${classes} strings (one per class), got ${describeValue(names)}`);
    }
    const defaults = defaultClassNames(classes);
    // The defaults set again are no names of the model's own (a model file then keeps its bytes).
    this.names = names.every((name, i) => name === defaults[i]) ? undefined : Object.freeze([...names]);
  }

  /** @internal Whether `classNames` were set (model files then record them), rather than the defaults. */
  get hasOwnClassNames(): boolean {
    return this.names !== undefined;
  }

  /**
   * One optimizer step on given inputs (f32, [rows, ...inputShape]) and labels (Keras' trainOnBatch).
   * Returns the batch loss (mean per sample). For tests and custom loops; `fit` is the fast path.
   * @throws ArgumentError on bad inputs or labels, before compile, or while `fit` runs.
   */
  trainOnBatch(inputs: Float32Array, labels: ArrayLike<number>): number {
    this.checkNotTraining('trainOnBatch');
    const { loss, compiled } = this.lossAndGradients(inputs, labels);
    compiled.optimizer.step();
    return loss;
  }

  /**
   * Loss (mean per sample, whatever the reduction) and gradients of the compiled loss at the current
   * weights, without a step. Gradients are those of the loss as reduced (summed for 'sum'). A training
   * pass, as Keras' GradientTape with training=True: dropout draws the mask of the current optimizer
   * step (the same on every call until a step), batch normalisation uses the batch statistics and
   * updates its moving statistics; non-trainable weights get a zero gradient.
   */
  computeGradients(inputs: Float32Array, labels: ArrayLike<number>): { loss: number; gradients: WeightTensor[] } {
    const { loss } = this.lossAndGradients(inputs, labels);
    return { loss, gradients: readTensors(this.core.arena.memory.buffer, this.planned().slots, true) };
  }

  /** Copies of every parameter, in layer order. */
  getWeights(): WeightTensor[] {
    return readTensors(this.core.arena.memory.buffer, this.planned().slots);
  }

  /**
   * Overwrites the parameters, in `getWeights()` order, after checking every length (nothing is
   * written when one does not match).
   * @throws ArgumentError naming `weights` and the parameter whose length does not match.
   */
  setWeights(weights: readonly (Float32Array | WeightTensor)[]): void {
    writeTensors(this.core.arena.memory.buffer, this.planned().slots, weights);
  }

  /** The parameter slots (name, shape, addresses), in layer order. */
  get parameterSlots(): readonly ParameterSlot[] {
    return this.planned().slots;
  }

  /** Optimizer steps taken so far. */
  get iterations(): number {
    return this.compiled?.optimizer.iterations ?? 0;
  }

  /**
   * The optimizer's learning rate now (compile's, unless a schedule or a callback changed it).
   * Setting it changes the next steps' rate (compile resets it).
   * @throws ArgumentError before compile, or when set to a value that is not positive and finite.
   */
  get learningRate(): number {
    return this.compiledOrThrow().optimizer.learningRate;
  }

  set learningRate(rate: number) {
    const optimizer = this.compiledOrThrow().optimizer;
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0)
      throw new ArgumentError('learningRate', `expected a positive finite number, got ${describeValue(rate)}`);
    optimizer.learningRate = rate;
  }

  /** A copy of the optimizer's state: steps taken, current rate and state buffers (for checkpoints). */
  getOptimizerState(): OptimizerState {
    const { optimizer, state } = this.compiledOrThrow();
    return readOptimizerState(this.core.arena.memory.buffer, optimizer, state, this.planned().paramCount);
  }

  /**
   * Restores a state from `getOptimizerState()` of a model with the same layers and optimizer.
   * @throws ArgumentError naming `optimizerState` when it does not fit; before compile; while `fit` runs.
   */
  setOptimizerState(saved: OptimizerState): void {
    this.checkNotTraining('setOptimizerState');
    const { optimizer, state } = this.compiledOrThrow();
    writeOptimizerState(this.core.arena.memory.buffer, optimizer, state, this.planned().paramCount, saved);
  }

  /** A Keras-style text table: layer (type), output shape, parameter count; then the totals. */
  summary(): string {
    return formatSummary(this.name, this.planned().layers);
  }

  /**
   * Releases the model's core (`core.dispose()`: its workers, and its wasm memory for the next
   * loadCore to reuse). A dropped model is collected with its core, but late (the memory is outside
   * the JS heap): dispose models made in a loop. Both are unusable afterwards. Idempotent.
   * @throws ArgumentError while `fit` runs.
   */
  dispose(): void {
    if (this.disposed) return;
    this.checkNotTraining('dispose');
    this.disposed = true;
    this.runs.clear();
    this.compiled = undefined;
    this.plan = undefined;
    this.passes = undefined;
    this.core.dispose();
  }

  /** `using model = await createModel(...)` disposes it at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The model plan, built on first use. */
  private planned(): ModelPlan {
    if (this.disposed) throw new ArgumentError('model', 'the model is disposed');
    this.plan ??= planModel(this.core, this.inputShape, this.stack, this.seed);
    return this.plan;
  }

  private inference(): Inference {
    const plan = this.planned();
    this.passes ??= new Inference(this.core.kernels, plan, this.runs, () => this.runBase(plan));
    return this.passes;
  }

  /** Where run plans start: after the optimizer state once compiled, else after the gradients. */
  private runBase(plan: ModelPlan): number {
    return this.compiled?.mark ?? plan.markAfterGrads;
  }

  private compiledOrThrow(): Compiled {
    if (!this.compiled) throw new ArgumentError('compile', 'call compile({ optimizer, ... }) first');
    return this.compiled;
  }

  private lossAndGradients(inputs: Float32Array, labels: ArrayLike<number>): { loss: number; compiled: Compiled } {
    const compiled = this.compiledOrThrow();
    const plan = this.planned();
    const rows = checkBatch(plan, inputs, labels);
    const loss = this.runs.with(
      plan,
      this.runBase(plan),
      rows,
      this.runs.sets,
      (run) => run.rows >= rows,
      (executor) => executor.lossAndGradients(inputs, labels, compiled.options.reduction, compiled.optimizer.iterations),
    );
    return { loss, compiled };
  }

  /** @throws ArgumentError naming `operation` while `fit` runs. */
  private checkNotTraining(operation: string): void {
    if (this.runs.held) {
      throw new ArgumentError(operation, 'the model is training: wait until its fit() returns (evaluate and predict work from callbacks)');
    }
  }
}
