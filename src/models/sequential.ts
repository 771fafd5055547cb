// Kept in the published .d.ts: consumers on lib es2022 get Symbol.dispose (TS2550 without it).
/// <reference lib="esnext.disposable" preserve="true" />
/**
 * Sequential: a stack of layers with Keras' vocabulary (add, compile, fit, evaluate, predict,
 * summary), running on its own wasm core.
 *
 * The model holds three plans (src/models/plan.ts): the model plan (parameters and gradients, made
 * at build), the optimizer state (made at compile) and the current run plan (activations, scratch and
 * the uploaded datasets for one batch size, re-made only when the batch size or the datasets change;
 * src/models/runs.ts keeps them). The kernel sequences run from them (src/models/execute.ts); `fit`
 * hands the loop in src/train/fit.ts a narrow stepper over one run plan, never the model.
 *
 * One model, one training at a time: a `fit` (or `compile`, `trainOnBatch`, `dispose`) while a fit
 * runs fails at once. `evaluate`, `predict` and `computeGradients` from a callback work and leave the
 * training as it would be without them: they reuse the training run when it fits, else they plan a
 * temporary run above it and release it.
 */
import { loadCore, type Core } from '../core/index.js';
import { ArgumentError, describeValue } from '../errors.js';
import type { Layer, ParameterSlot, Shape } from '../layers/layer.js';
import type { History } from '../train/callbacks.js';
import { fitSettings, runFit, type FitOptions, type ImageSet } from '../train/fit.js';
import { Optimizer, resolveOptimizer } from '../train/optimizers.js';
import { Executor, trainingStepper } from './execute.js';
import { checkBatch, checkImages, checkSet, checkSoftmaxOutput, findSet, planModel, planOptimizerState, type ModelPlan } from './plan.js';
import { plannedSet, RunPlans } from './runs.js';
import { formatSummary } from './summary.js';
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
const coresInUse = new WeakSet<Core>();

/** What `compile` sets up. */
interface Compiled {
  readonly options: ResolvedCompileOptions;
  readonly optimizer: Optimizer;
  /** Addresses of the optimizer's state buffers (velocity; Adam's m and v), each over the parameter layout. */
  readonly state: readonly number[];
  /** Arena position after the optimizer state: run plans start here. */
  readonly mark: number;
}

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
  /**
   * Set to true (from a callback) to stop the running `fit` after the current batch, as Keras'
   * `model.stop_training`. `fit` resets it when it starts.
   */
  stopTraining = false;

  /**
   * @param core a core of its own (`await loadCore()`): the model plans the core's whole arena.
   * @throws ArgumentError when the core already serves another model or the options are invalid.
   */
  constructor(core: Core, options: SequentialOptions) {
    if (coresInUse.has(core)) {
      throw new ArgumentError('core', "this core already holds another model's arena: call loadCore() once per model (it is cheap)");
    }
    if (
      !Array.isArray(options.inputShape) ||
      options.inputShape.length === 0 ||
      !options.inputShape.every((d) => Number.isInteger(d) && d > 0)
    ) {
      throw new ArgumentError(
        'inputShape',
        `expected positive integer dimensions such as [784] or [28, 28, 1], got ${describeValue(options.inputShape)}`,
      );
    }
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new ArgumentError('seed', `expected a non-negative integer, got ${describeValue(seed)}`);
    coresInUse.add(core);
    this.core = core;
    this.runs = new RunPlans(core);
    this.inputShape = [...options.inputShape];
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
    const loss = options.loss ?? 'categoricalCrossentropy';
    if (loss !== 'categoricalCrossentropy')
      throw new ArgumentError('loss', `expected 'categoricalCrossentropy', got ${describeValue(loss)}`);
    const reduction = options.reduction ?? 'mean';
    if (reduction !== 'mean' && reduction !== 'sum')
      throw new ArgumentError('reduction', `expected 'mean' or 'sum', got ${describeValue(reduction)}`);
    const optimizer = resolveOptimizer(options.optimizer ?? 'sgd');
    if (plan.slots.length === 0) throw new ArgumentError('layers', 'the model has no parameters to train');
    checkSoftmaxOutput(plan);
    this.runs.clear();
    const { state, mark } = planOptimizerState(this.core, plan, optimizer.type);
    this.compiled = {
      options: { optimizer, loss, reduction },
      optimizer: new Optimizer(optimizer, this.core.kernels, plan.paramBase, plan.gradBase, state, plan.paramCount),
      state,
      mark,
    };
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
    const executor = new Executor(this.core, plan, run);
    const stepper = trainingStepper(
      executor,
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
   * Class probabilities (softmax output) and argmax labels for `count` images: u8 pixels (scaled by
   * 1/255 like the training data) or f32 values already in 0..1.
   * @throws ArgumentError when `images` is not a Uint8Array/Float32Array of count·inputSize values.
   */
  predict(images: Uint8Array | Float32Array, count: number): PredictResult {
    const plan = this.planned();
    checkImages(plan, images, count);
    return this.runs.with(
      plan,
      this.runBase(plan),
      Math.min(count, DEFAULT_EVAL_BATCH),
      [],
      () => true,
      (executor) => executor.predict(images, count),
    );
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
    const memory = this.core.arena.memory.buffer;
    const gradients = this.planned().slots.map((slot) => ({
      name: slot.name,
      shape: [...slot.shape],
      values: new Float32Array(memory, slot.gradByteOffset, slot.length).slice(),
    }));
    return { loss, gradients };
  }

  /** Copies of every parameter, in layer order. */
  getWeights(): WeightTensor[] {
    const slots = this.planned().slots;
    const memory = this.core.arena.memory.buffer;
    return slots.map((slot) => ({
      name: slot.name,
      shape: [...slot.shape],
      values: new Float32Array(memory, slot.byteOffset, slot.length).slice(),
    }));
  }

  /**
   * Overwrites the parameters, in `getWeights()` order.
   * @throws RangeError naming the parameter when a length does not match.
   */
  setWeights(weights: readonly (Float32Array | WeightTensor)[]): void {
    const slots = this.planned().slots;
    if (weights.length !== slots.length) {
      throw new RangeError(`weights: expected ${slots.length} tensors (${slots.map((s) => s.name).join(', ')}), got ${weights.length}`);
    }
    slots.forEach((slot, i) => {
      const entry = weights[i]!;
      const values = entry instanceof Float32Array ? entry : entry.values;
      if (values.length !== slot.length) {
        throw new RangeError(`${slot.name}: expected shape [${slot.shape.join(', ')}] (${slot.length} values), got ${values.length}`);
      }
      new Float32Array(this.core.arena.memory.buffer, slot.byteOffset, slot.length).set(values);
    });
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
    const count = this.planned().paramCount;
    const memory = this.core.arena.memory.buffer;
    return {
      iterations: optimizer.iterations,
      learningRate: optimizer.learningRate,
      buffers: state.map((address) => new Float32Array(memory, address, count).slice()),
    };
  }

  /**
   * Restores a state from `getOptimizerState()` of a model with the same layers and optimizer.
   * @throws ArgumentError naming `optimizerState` when it does not fit; before compile; while `fit` runs.
   */
  setOptimizerState(saved: OptimizerState): void {
    this.checkNotTraining('setOptimizerState');
    const { optimizer, state } = this.compiledOrThrow();
    const count = this.planned().paramCount;
    if (
      !Number.isSafeInteger(saved.iterations) ||
      saved.iterations < 0 ||
      !(saved.learningRate > 0 && Number.isFinite(saved.learningRate)) ||
      saved.buffers.length !== state.length ||
      saved.buffers.some((b) => !(b instanceof Float32Array) || b.length !== count)
    ) {
      throw new ArgumentError(
        'optimizerState',
        `expected iterations ≥ 0, a positive learningRate and ${state.length} buffers of ${count} values (${optimizer.config.type}), got ${saved.buffers.length} buffers`,
      );
    }
    const memory = this.core.arena.memory.buffer;
    state.forEach((address, i) => new Float32Array(memory, address, count).set(saved.buffers[i]!));
    optimizer.iterations = saved.iterations;
    optimizer.learningRate = saved.learningRate;
  }

  /** A Keras-style text table: layer (type), output shape, parameter count; then the totals. */
  summary(): string {
    return formatSummary(this.name, this.planned().layers);
  }

  /**
   * Releases the model's core (its wasm memory, and its threads once cores have them). Not needed for
   * correctness: a dropped model is garbage-collected with its core; this frees it now. The model is
   * unusable afterwards. Idempotent.
   * @throws ArgumentError while `fit` runs.
   */
  dispose(): void {
    if (this.disposed) return;
    this.checkNotTraining('dispose');
    this.disposed = true;
    this.runs.clear();
    this.compiled = undefined;
    this.plan = undefined;
    (this.core as Core & { dispose?: () => void }).dispose?.();
  }

  /** `using model = await createModel(...)` disposes it at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- plans ---------------------------------------------------------------------------------

  /** The model plan, built on first use. */
  private planned(): ModelPlan {
    if (this.disposed) throw new ArgumentError('model', 'the model is disposed');
    this.plan ??= planModel(this.core, this.inputShape, this.stack, this.seed);
    return this.plan;
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
