/**
 * Sequential: a stack of layers with Keras' vocabulary (add, compile, fit, evaluate, predict,
 * summary), running on its own wasm core.
 *
 * Memory plan (one arena per model, STYLE.md's region order; every buffer 16-byte aligned and named):
 *   1. parameters            `dense_1/kernel`, `dense_1/bias`, …            planned at build, once
 *   2. gradients             `dense_1/kernel/grad`, … same layout as 1      planned at build, once
 *   3. optimizer state       `momentum/velocity` or `adam/m`, `adam/v`,     planned at compile
 *                            each one buffer over the whole layout of 1
 *   4. activations           `input`, `targets`, `<layer>/output` and `<layer>/output_grad`, per-layer
 *                            batch buffers (`max_pooling2d_1/argmax`), `batch/predictions`,
 *                            `staging/pixels`, `staging/indices`                  planned per batch size
 *   5. scratch               `workspace`: max over layers of gemm/conv2d workspace bytes
 *   6. dataset bytes         `data/<i>/images` u8, `data/<i>/labels` u8, `data/<i>/predictions` i32,
 *                            `data/order` i32 (the shuffled training order), `data/identity` i32
 * Regions 4–6 are re-planned only when the batch size or the datasets change; the memory grows only
 * then. A training step allocates nothing: gather → forward → fused loss → argmax → backward → one
 * optimizer call, all on fixed addresses.
 *
 * Because 1 and 2 (and each state buffer of 3) share one layout, the optimizer is ONE kernel call over
 * the whole range. The 16-byte padding between parameters is zeroed at build and never written, so
 * its gradient is 0 and every update rule leaves it 0.
 *
 * A final softmax is fused with the loss when training and evaluating: the head layer runs without
 * it and softmax_xent_f32_fused turns logits into the loss and ∂loss/∂logits in one pass. `predict`
 * runs the softmax.
 */
import { loadCore, type Core } from '../core/index.js';
import { Reduction } from '../core/abi.js';
import type { ArenaBuffer } from '../core/arena.js';
import { ArgumentError } from '../errors.js';
import { initialize, size, type BatchSlot, type BuildPlan, type Layer, type ParameterSlot, type Shape } from '../layers/layer.js';
import type { History } from '../train/callbacks.js';
import { runFit, type FitOptions, type ImageSet, type Trainable } from '../train/fit.js';
import { Optimizer, resolveOptimizer, stateBuffers, type OptimizerConfig, type OptimizerName, type ResolvedOptimizerConfig } from '../train/optimizers.js';
import { Rng } from '../train/rng.js';

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

const DEFAULT_EVAL_BATCH = 256;
const coresInUse = new WeakSet<Core>();

interface RunPlan {
  rows: number;
  sets: { set: ImageSet; images: Uint8Array; labels: Uint8Array; count: number; buffers: { images: ArenaBuffer; labels: ArenaBuffer; predictions: ArenaBuffer } }[];
  input: ArenaBuffer;
  targets: ArenaBuffer;
  /** Per layer: output and output-gradient addresses (in-place layers share their input's). */
  outputs: number[];
  outputGrads: number[];
  predictions: ArenaBuffer;
  workspace: ArenaBuffer;
  stagingPixels: ArenaBuffer;
  stagingIndices: ArenaBuffer;
  order: ArenaBuffer | undefined;
  identity: ArenaBuffer | undefined;
}

export class Sequential implements Trainable {
  readonly core: Core;
  readonly inputShape: Shape;
  readonly seed: number;
  readonly name: string;
  /** Set by the architecture factories; saved in model files. */
  architecture: ArchitectureInfo | undefined;
  private readonly stack: Layer[] = [];

  private slots: ParameterSlot[] = [];
  private batchSlots: BatchSlot[] = [];
  private paramBase = 0;
  private gradBase = 0;
  /** f32 elements from paramBase to the end of the last (padded) parameter. */
  private paramCount = 0;
  private isBuilt = false;
  private markAfterGrads = 0;
  private markAfterState = 0;
  private compiled: ResolvedCompileOptions | undefined;
  private optimizer: Optimizer | undefined;
  private run: RunPlan | undefined;
  /** Index of the layer whose output is the logits (the output layer, or the one before a final Activation('softmax')). */
  private head = -1;
  /** First layer with parameters: backward stops there and skips its dx. */
  private firstTrainable = -1;

  /**
   * @param core a core of its own (`await loadCore()`): the model plans the core's whole arena.
   * @throws ArgumentError when the core already serves another model or the options are invalid.
   */
  constructor(core: Core, options: SequentialOptions) {
    if (coresInUse.has(core)) {
      throw new ArgumentError('core', 'this core already holds another model\'s arena: call loadCore() once per model (it is cheap)');
    }
    if (!Array.isArray(options.inputShape) || options.inputShape.length === 0 ||
      !options.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ArgumentError('inputShape', `expected positive integer dimensions such as [784] or [28, 28, 1], got ${JSON.stringify(options.inputShape)}`);
    }
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError('seed', `expected a non-negative integer, got ${JSON.stringify(seed)}`);
    coresInUse.add(core);
    this.core = core;
    this.inputShape = [...options.inputShape];
    this.seed = seed;
    this.name = options.name ?? 'sequential';
    for (const layer of options.layers ?? []) this.add(layer);
  }

  /** Loads a core of its own and makes the model. */
  static async create(options: SequentialOptions & { core?: Core }): Promise<Sequential> {
    const core = options.core ?? await loadCore();
    return new Sequential(core, options);
  }

  get layers(): readonly Layer[] {
    return this.stack;
  }

  get built(): boolean {
    return this.isBuilt;
  }

  /** The compile options in force (after defaults), or undefined before `compile`. */
  get compileOptions(): ResolvedCompileOptions | undefined {
    return this.compiled;
  }

  /** Per-sample output shape. */
  get outputShape(): Shape {
    let shape = this.inputShape;
    for (const layer of this.stack) shape = layer.outputShape ?? layer.computeOutputShape(shape);
    return shape;
  }

  /** Trainable parameter count (no padding). */
  countParams(): number {
    this.build();
    return this.slots.reduce((n, slot) => n + slot.length, 0);
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
    if (this.built) return;
    if (this.stack.length === 0) throw new ArgumentError('layers', 'the model has no layers');
    const arena = this.core.arena;
    const slots: ParameterSlot[] = [];
    const batchSlots: BatchSlot[] = [];
    let shape = this.inputShape;
    this.stack.forEach((layer, index) => {
      if (layer.activation === 'softmax' && index !== this.stack.length - 1) {
        throw new ArgumentError('layers', `${layer.name}: softmax is only supported as the output layer's activation`);
      }
      const plan: BuildPlan = {
        parameter: (localName, paramShape, initializer, fanIn, fanOut) => {
          const slot: ParameterSlot = {
            name: `${layer.name}/${localName}`, shape: [...paramShape], length: size(paramShape),
            initializer, fanIn, fanOut, byteOffset: 0, gradByteOffset: 0,
          };
          slots.push(slot);
          return slot;
        },
        batchBuffer: (localName, bufferShape, dtype) => {
          const slot: BatchSlot = { name: `${layer.name}/${localName}`, shape: [...bufferShape], dtype, byteOffset: 0 };
          batchSlots.push(slot);
          return slot;
        },
      };
      layer.build(shape, plan);
      shape = layer.outputShape!;
    });
    const last = this.stack.length - 1;
    const lastLayer = this.stack[last]!;
    this.head = lastLayer.className === 'Activation' && lastLayer.activation === 'softmax' ? last - 1 : last;
    this.firstTrainable = this.stack.findIndex((layer) => layer.parameters.length > 0);

    // Regions 1 and 2: parameters, then gradients in the same layout.
    const params = slots.map((slot) => arena.allocate(slot.name, slot.shape));
    const grads = slots.map((slot) => arena.allocate(`${slot.name}/grad`, slot.shape));
    if (slots.length > 0) {
      this.paramBase = params[0]!.byteOffset;
      this.gradBase = grads[0]!.byteOffset;
      const shift = this.gradBase - this.paramBase;
      slots.forEach((slot, i) => {
        slot.byteOffset = params[i]!.byteOffset;
        slot.gradByteOffset = grads[i]!.byteOffset;
        if (slot.gradByteOffset - slot.byteOffset !== shift) throw new Error(`internal: ${slot.name}/grad is not in the parameter layout`);
      });
      this.paramCount = shift / 4;
    }
    arena.commit();
    if (slots.length > 0) {
      // Zero both regions (the memory may hold an earlier temporary's bytes): padding stays 0 forever.
      new Uint8Array(arena.memory.buffer, this.paramBase, 2 * this.paramCount * 4).fill(0);
      const rng = new Rng(this.seed, 0);
      for (const slot of slots) {
        const values = new Float32Array(arena.memory.buffer, slot.byteOffset, slot.length);
        initialize(values, slot.initializer, slot.fanIn, slot.fanOut, rng);
      }
    }
    this.slots = slots;
    this.batchSlots = batchSlots;
    this.markAfterGrads = arena.mark();
    this.markAfterState = this.markAfterGrads;
    this.isBuilt = true;
  }

  /**
   * Chooses the optimizer, loss and reduction (Keras' compile). Resets the optimizer state.
   * @throws ArgumentError on an unknown optimizer/loss/reduction, a model without parameters, or an
   *   output layer that does not end in softmax.
   */
  compile(options: CompileOptions = {}): this {
    this.build();
    const loss = options.loss ?? 'categoricalCrossentropy';
    if (loss !== 'categoricalCrossentropy') throw new ArgumentError('loss', `expected 'categoricalCrossentropy', got ${JSON.stringify(loss)}`);
    const reduction = options.reduction ?? 'mean';
    if (reduction !== 'mean' && reduction !== 'sum') throw new ArgumentError('reduction', `expected 'mean' or 'sum', got ${JSON.stringify(reduction)}`);
    const optimizer = resolveOptimizer(options.optimizer ?? 'sgd');
    if (this.slots.length === 0) throw new ArgumentError('layers', 'the model has no parameters to train');
    this.checkSoftmaxOutput();

    const arena = this.core.arena;
    arena.release(this.markAfterGrads);
    this.run = undefined;
    const names = optimizer.type === 'momentum' ? ['momentum/velocity'] : optimizer.type === 'adam' ? ['adam/m', 'adam/v'] : [];
    const state = names.slice(0, stateBuffers(optimizer.type)).map((name) => arena.allocate(name, [this.paramCount]));
    arena.commit();
    for (const buffer of state) arena.f32(buffer).fill(0);
    this.markAfterState = arena.mark();
    this.optimizer = new Optimizer(optimizer, this.core.kernels, this.paramBase, this.gradBase, state.map((b) => b.byteOffset), this.paramCount);
    this.compiled = { optimizer, loss, reduction };
    return this;
  }

  /**
   * Trains (Keras' fit): `epochs` passes over `train` in seeded-shuffled batches of `batchSize`
   * (the last one partial), calling the callbacks; returns the history.
   * @throws ArgumentError when not compiled, on an invalid option or a dataset that does not fit the
   *   model; TrainingError when the loss becomes NaN or infinite (naming epoch and batch).
   */
  async fit(train: ImageSet, options: FitOptions = {}): Promise<History> {
    if (!this.compiled) throw new ArgumentError('compile', 'call compile({ optimizer, ... }) before fit');
    return runFit(this, train, options);
  }

  /**
   * Loss, accuracy and argmax predictions on a labelled set, in batches.
   * @throws ArgumentError when the set does not fit the model.
   */
  evaluate(set: ImageSet, options: EvaluateOptions = {}): EvaluateResult {
    this.build();
    this.checkSoftmaxOutput();
    const rows = options.batchSize ?? this.run?.rows ?? DEFAULT_EVAL_BATCH;
    if (!Number.isInteger(rows) || rows < 1) throw new ArgumentError('batchSize', `expected a positive integer, got ${JSON.stringify(rows)}`);
    this.checkSet(set, 'data');
    this.prepare(rows, [set]);
    const { loss, correct, predictions } = this.evaluateRows(set);
    return { loss, accuracy: correct / set.count, predictions: predictions.slice() };
  }

  /**
   * Class probabilities (softmax output) and argmax labels for `count` images: u8 pixels (scaled by
   * 1/255 like the training data) or f32 values already in 0..1.
   * @throws ArgumentError when `images` is not a Uint8Array/Float32Array of count·inputSize values.
   */
  predict(images: Uint8Array | Float32Array, count: number): PredictResult {
    this.build();
    const pixels = size(this.inputShape);
    if (!Number.isInteger(count) || count < 1) throw new ArgumentError('count', `expected a positive integer, got ${JSON.stringify(count)}`);
    if (!(images instanceof Uint8Array) && !(images instanceof Float32Array)) {
      throw new ArgumentError('images', 'expected a Uint8Array (pixels 0..255) or a Float32Array (values 0..1)');
    }
    if (images.length !== count * pixels) {
      throw new ArgumentError('images', `expected ${count} x ${pixels} = ${count * pixels} values, got ${images.length}`);
    }
    const classes = this.classes;
    this.prepare(this.run?.rows ?? Math.min(count, DEFAULT_EVAL_BATCH), this.run?.sets.map((s) => s.set) ?? []);
    const run = this.run!;
    const k = this.core.kernels;
    const arena = this.core.arena;
    const labels = new Int32Array(count);
    const probabilities = new Float32Array(count * classes);
    const last = this.stack.length - 1;
    for (let first = 0; first < count; first += run.rows) {
      const rows = Math.min(run.rows, count - first);
      if (images instanceof Float32Array) {
        arena.f32(run.input).set(images.subarray(first * pixels, (first + rows) * pixels));
      } else {
        arena.u8(run.stagingPixels).set(images.subarray(first * pixels, (first + rows) * pixels));
        // targets 0: no one-hot, so the labels pointer is never read.
        k.gather_batch_u8_f32(run.input.byteOffset, 0, run.stagingPixels.byteOffset, run.stagingPixels.byteOffset,
          run.stagingIndices.byteOffset, rows, pixels, classes);
      }
      this.forward(rows, last, false);
      const output = run.outputs[last]!;
      probabilities.set(new Float32Array(arena.memory.buffer, output, rows * classes), first * classes);
      k.argmax_f32_rows(run.predictions.byteOffset, output, rows, classes);
      labels.set(new Int32Array(arena.memory.buffer, run.predictions.byteOffset, rows), first);
    }
    return { labels, probabilities };
  }

  /**
   * One optimizer step on given inputs (f32, [rows, ...inputShape]) and labels (Keras' trainOnBatch).
   * Returns the batch loss (mean per sample). For tests and custom loops; `fit` is the fast path.
   */
  trainOnBatch(inputs: Float32Array, labels: ArrayLike<number>): number {
    const loss = this.lossAndGradients(inputs, labels);
    this.optimizer!.step();
    return loss;
  }

  /**
   * Loss (mean per sample, whatever the reduction) and gradients of the compiled loss at the current
   * weights, without a step. Gradients are those of the loss as reduced (summed for 'sum').
   */
  computeGradients(inputs: Float32Array, labels: ArrayLike<number>): { loss: number; gradients: WeightTensor[] } {
    const loss = this.lossAndGradients(inputs, labels);
    const memory = this.core.arena.memory.buffer;
    const gradients = this.slots.map((slot) => ({
      name: slot.name, shape: [...slot.shape], values: new Float32Array(memory, slot.gradByteOffset, slot.length).slice(),
    }));
    return { loss, gradients };
  }

  /** Copies of every parameter, in layer order. */
  getWeights(): WeightTensor[] {
    this.build();
    const memory = this.core.arena.memory.buffer;
    return this.slots.map((slot) => ({
      name: slot.name, shape: [...slot.shape], values: new Float32Array(memory, slot.byteOffset, slot.length).slice(),
    }));
  }

  /**
   * Overwrites the parameters, in `getWeights()` order.
   * @throws RangeError naming the parameter when a length does not match.
   */
  setWeights(weights: readonly (Float32Array | WeightTensor)[]): void {
    this.build();
    if (weights.length !== this.slots.length) {
      throw new RangeError(`weights: expected ${this.slots.length} tensors (${this.slots.map((s) => s.name).join(', ')}), got ${weights.length}`);
    }
    this.slots.forEach((slot, i) => {
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
    this.build();
    return this.slots;
  }

  /** Optimizer steps taken so far. */
  get iterations(): number {
    return this.optimizer?.iterations ?? 0;
  }

  /**
   * A Keras-style text table: layer (type), output shape, parameter count; then the totals.
   */
  summary(): string {
    this.build();
    const rows = this.stack.map((layer) => [
      `${layer.name} (${layer.className})`,
      `(None, ${layer.outputShape!.join(', ')})`,
      String(layer.parameters.reduce((n, p) => n + p.length, 0)),
    ]);
    const header = ['Layer (type)', 'Output Shape', 'Param #'];
    const widths = [0, 1, 2].map((c) => Math.max(header[c]!.length, ...rows.map((r) => r[c]!.length)) + 2);
    const line = (cells: string[]) => ` ${cells[0]!.padEnd(widths[0]!)}${cells[1]!.padEnd(widths[1]!)}${cells[2]!.padStart(widths[2]! - 2)}`;
    const width = widths.reduce((a, b) => a + b, 0) + 1;
    const total = this.countParams();
    const out = [
      `Model: "${this.name}"`,
      '_'.repeat(width),
      line(header),
      '='.repeat(width),
      ...rows.flatMap((r, i) => [line(r), ...(i < rows.length - 1 ? ['_'.repeat(width)] : [])]),
      '='.repeat(width),
      `Total params: ${total.toLocaleString('en-US')} (${formatBytes(total * 4)})`,
      `Trainable params: ${total.toLocaleString('en-US')} (${formatBytes(total * 4)})`,
      'Non-trainable params: 0 (0.00 B)',
      '_'.repeat(width),
    ];
    return out.join('\n');
  }

  // ---- Trainable (used by train/fit.ts) -------------------------------------------------------

  /**
   * @internal Plans regions 4–6 for `rows` and exactly `sets` (a no-op when the current plan has
   * these rows and already holds every set: fit → evaluate on the validation set re-uploads nothing).
   */
  prepare(rows: number, sets: readonly ImageSet[]): void {
    this.build();
    const current = this.run;
    if (current && current.rows === rows && sets.every((set) => current.sets.some((s) => sameSet(s, set)))) return;
    sets.forEach((set, i) => this.checkSet(set, i === 0 ? 'train' : 'validationData'));
    const arena = this.core.arena;
    const k = this.core.kernels;
    arena.release(this.markAfterState);
    const classes = this.classes;
    const pixels = size(this.inputShape);
    const input = arena.allocate('input', [rows, ...this.inputShape]);
    const targets = arena.allocate('targets', [rows, classes]);
    const outputs: number[] = [];
    const outputGrads: number[] = [];
    let previous = input.byteOffset;
    let previousGrad = 0;
    for (const layer of this.stack) {
      if (layer.inPlace) {
        outputs.push(previous);
        outputGrads.push(previousGrad);
        continue;
      }
      previous = arena.allocate(`${layer.name}/output`, [rows, ...layer.outputShape!]).byteOffset;
      previousGrad = arena.allocate(`${layer.name}/output_grad`, [rows, ...layer.outputShape!]).byteOffset;
      outputs.push(previous);
      outputGrads.push(previousGrad);
    }
    for (const slot of this.batchSlots) slot.byteOffset = arena.allocate(slot.name, [rows, ...slot.shape], slot.dtype).byteOffset;
    const predictions = arena.allocate('batch/predictions', [rows], 'i32');
    const stagingPixels = arena.allocate('staging/pixels', [rows * pixels], 'u8');
    const stagingIndices = arena.allocate('staging/indices', [rows], 'i32');
    const workspaceBytes = Math.max(16, ...this.stack.map((layer) => layer.workspaceBytes(k, rows)));
    const workspace = arena.allocate('workspace', [workspaceBytes], 'u8');
    const planned = sets.map((set, i) => ({
      set, images: set.images, labels: set.labels, count: set.count,
      buffers: {
        images: arena.allocate(`data/${i}/images`, [set.count * pixels], 'u8'),
        labels: arena.allocate(`data/${i}/labels`, [set.count], 'u8'),
        predictions: arena.allocate(`data/${i}/predictions`, [set.count], 'i32'),
      },
    }));
    const maxCount = Math.max(0, ...sets.map((set) => set.count));
    const order = maxCount > 0 ? arena.allocate('data/order', [maxCount], 'i32') : undefined;
    const identity = maxCount > 0 ? arena.allocate('data/identity', [maxCount], 'i32') : undefined;
    arena.commit();
    for (const { set, buffers } of planned) {
      arena.u8(buffers.images).set(set.images.subarray(0, set.count * pixels));
      arena.u8(buffers.labels).set(set.labels.subarray(0, set.count));
    }
    if (identity) fillIdentity(arena.i32(identity));
    if (order) fillIdentity(arena.i32(order));
    fillIdentity(arena.i32(stagingIndices));
    this.run = { rows, sets: planned, input, targets, outputs, outputGrads, predictions, workspace, stagingPixels, stagingIndices, order, identity };
  }

  /** @internal */
  order(): Int32Array {
    return this.core.arena.i32(this.run!.order!);
  }

  /** @internal One batch of the training order: gather, forward, fused loss, argmax. */
  forwardLoss(set: ImageSet, start: number, rows: number): { loss: number; correct: number } {
    const run = this.run!;
    const k = this.core.kernels;
    const planned = this.plannedSet(set);
    const orderAt = run.order!.byteOffset + start * 4;
    k.gather_batch_u8_f32(run.input.byteOffset, run.targets.byteOffset, planned.buffers.images.byteOffset,
      planned.buffers.labels.byteOffset, orderAt, rows, size(this.inputShape), this.classes);
    const loss = this.forwardAndLoss(rows);
    // Accuracy of this batch: compare the argmax with the labels (one i32 per sample, not per element).
    const memory = this.core.arena.memory.buffer;
    const predictions = new Int32Array(memory, run.predictions.byteOffset, rows);
    const order = new Int32Array(memory, orderAt, rows);
    const labels = new Uint8Array(memory, planned.buffers.labels.byteOffset, planned.count);
    let correct = 0;
    for (let b = 0; b < rows; b++) if (predictions[b] === labels[order[b]!]) correct++;
    return { loss, correct };
  }

  /** @internal Backward through the layers, then one optimizer call over every parameter. */
  backwardStep(rows: number): void {
    this.backward(rows);
    this.optimizer!.step();
  }

  /** @internal */
  evaluateSet(set: ImageSet): { loss: number; accuracy: number } {
    const { loss, correct } = this.evaluateRows(set);
    return { loss, accuracy: correct / set.count };
  }

  // ---- the kernel sequences ------------------------------------------------------------------

  /** Number of classes: the size of the logits. */
  private get classes(): number {
    return this.stack[this.stack.length - 1]!.outputSize;
  }

  /** Runs layers 0..through; with `logits`, the head skips its softmax (the loss fuses it). */
  private forward(rows: number, through: number, logits: boolean): void {
    const run = this.run!;
    const k = this.core.kernels;
    const workspace = run.workspace.byteOffset;
    let x = run.input.byteOffset;
    for (let i = 0; i <= through; i++) {
      const y = run.outputs[i]!;
      this.stack[i]!.forward(k, y, x, rows, workspace, logits && i === through);
      x = y;
    }
  }

  /** Forward to the logits, then loss (mean per sample) and dlogits, then the argmax into batch/predictions. */
  private forwardAndLoss(rows: number): number {
    const run = this.run!;
    const k = this.core.kernels;
    this.forward(rows, this.head, true);
    const logits = run.outputs[this.head]!;
    const reduction = this.compiled?.reduction === 'sum' ? Reduction.Sum : Reduction.Mean;
    const loss = k.softmax_xent_f32_fused(run.outputGrads[this.head]!, logits, run.targets.byteOffset, rows, this.classes, reduction);
    k.argmax_f32_rows(run.predictions.byteOffset, logits, rows, this.classes);
    return reduction === Reduction.Sum ? loss / rows : loss;
  }

  private backward(rows: number): void {
    const run = this.run!;
    const k = this.core.kernels;
    const workspace = run.workspace.byteOffset;
    for (let i = this.head; i >= this.firstTrainable; i--) {
      const x = i === 0 ? run.input.byteOffset : run.outputs[i - 1]!;
      const dx = i === this.firstTrainable ? 0 : run.outputGrads[i - 1]!;
      this.stack[i]!.backward(k, dx, run.outputGrads[i]!, x, run.outputs[i]!, rows, workspace);
    }
  }

  private evaluateRows(set: ImageSet): { loss: number; correct: number; predictions: Int32Array } {
    const run = this.run!;
    const k = this.core.kernels;
    const planned = this.plannedSet(set);
    const pixels = size(this.inputShape);
    const classes = this.classes;
    let lossSum = 0;
    for (let first = 0; first < set.count; first += run.rows) {
      const rows = Math.min(run.rows, set.count - first);
      k.gather_batch_u8_f32(run.input.byteOffset, run.targets.byteOffset, planned.buffers.images.byteOffset,
        planned.buffers.labels.byteOffset, run.identity!.byteOffset + first * 4, rows, pixels, classes);
      this.forward(rows, this.head, true);
      const logits = run.outputs[this.head]!;
      lossSum += k.softmax_xent_f32_fused(run.outputGrads[this.head]!, logits, run.targets.byteOffset, rows, classes, Reduction.Sum);
      k.argmax_f32_rows(planned.buffers.predictions.byteOffset + first * 4, logits, rows, classes);
    }
    const memory = this.core.arena.memory.buffer;
    const predictions = new Int32Array(memory, planned.buffers.predictions.byteOffset, set.count);
    const labels = new Uint8Array(memory, planned.buffers.labels.byteOffset, set.count);
    let correct = 0;
    for (let i = 0; i < set.count; i++) if (predictions[i] === labels[i]) correct++;
    return { loss: lossSum / set.count, correct, predictions };
  }

  private lossAndGradients(inputs: Float32Array, labels: ArrayLike<number>): number {
    if (!this.compiled) throw new ArgumentError('compile', 'call compile({ optimizer, ... }) first');
    const rows = labels.length;
    const pixels = size(this.inputShape);
    const classes = this.classes;
    if (rows < 1) throw new ArgumentError('labels', 'expected at least one label');
    if (!(inputs instanceof Float32Array) || inputs.length !== rows * pixels) {
      throw new ArgumentError('inputs', `expected a Float32Array of ${rows} x ${pixels} = ${rows * pixels} values, got ${inputs?.length}`);
    }
    if (!this.run || this.run.rows < rows) this.prepare(rows, this.run?.sets.map((s) => s.set) ?? []);
    const run = this.run!;
    const arena = this.core.arena;
    arena.f32(run.input).set(inputs);
    const targets = arena.f32(run.targets);
    targets.fill(0, 0, rows * classes);
    for (let r = 0; r < rows; r++) {
      const label = labels[r]!;
      if (!Number.isInteger(label) || label < 0 || label >= classes) {
        throw new ArgumentError('labels', `labels[${r}] = ${label} is not a class in 0..${classes - 1}`);
      }
      targets[r * classes + label] = 1;
    }
    const loss = this.forwardAndLoss(rows);
    this.backward(rows);
    return loss;
  }

  private plannedSet(set: ImageSet): RunPlan['sets'][number] {
    const planned = this.run!.sets.find((s) => sameSet(s, set));
    if (!planned) throw new Error('internal: dataset not planned');
    return planned;
  }

  private checkSoftmaxOutput(): void {
    const last = this.stack[this.stack.length - 1]!;
    if (this.head < 0 || last.activation !== 'softmax') {
      throw new ArgumentError('loss', `categoricalCrossentropy needs a softmax output: give the last layer activation 'softmax' (${last.name} has '${last.activation}')`);
    }
    if (this.stack[this.head]!.outputShape!.length !== 1) {
      throw new ArgumentError('layers', `the output must be 1-D [classes], got [${this.stack[this.head]!.outputShape!.join(', ')}]`);
    }
  }

  /** @throws ArgumentError naming `argument` when the set does not fit the model. */
  private checkSet(set: ImageSet, argument: string): void {
    const pixels = size(this.inputShape);
    if (set === null || typeof set !== 'object' || !(set.images instanceof Uint8Array) || !(set.labels instanceof Uint8Array)) {
      throw new ArgumentError(argument, 'expected { images: Uint8Array, labels: Uint8Array, count, rows, cols }');
    }
    if (!Number.isInteger(set.count) || set.count < 1) throw new ArgumentError(argument, `count: expected a positive integer, got ${JSON.stringify(set.count)}`);
    if (set.rows * set.cols !== pixels) {
      throw new ArgumentError(argument, `images of ${set.rows}x${set.cols} = ${set.rows * set.cols} pixels do not fit the model's input shape [${this.inputShape.join(', ')}] (${pixels} values)`);
    }
    if (set.images.length < set.count * pixels) throw new ArgumentError(argument, `images: expected ${set.count} x ${pixels} = ${set.count * pixels} bytes, got ${set.images.length}`);
    if (set.labels.length < set.count) throw new ArgumentError(argument, `labels: expected ${set.count} labels, got ${set.labels.length}`);
    const classes = this.classes;
    for (let i = 0; i < set.count; i++) {
      if (set.labels[i]! >= classes) throw new ArgumentError(argument, `labels[${i}] = ${set.labels[i]} is not a class in 0..${classes - 1}`);
    }
  }
}

function sameSet(planned: { set: ImageSet; images: Uint8Array; labels: Uint8Array; count: number }, set: ImageSet): boolean {
  return planned.set === set && planned.images === set.images && planned.labels === set.labels && planned.count === set.count;
}

function fillIdentity(array: Int32Array): void {
  for (let i = 0; i < array.length; i++) array[i] = i;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}
