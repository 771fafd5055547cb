/**
 * The plans a model runs from, in STYLE.md's arena region order (every buffer 16-byte aligned and named):
 *   1. parameters            `dense_1/kernel`, `dense_1/bias`, …            `planModel`, once
 *   2. gradients             `dense_1/kernel/grad`, … same layout as 1      `planModel`, once
 *   3. optimizer state       `momentum/velocity` or `adam/m`, `adam/v`,     `planOptimizerState`, at compile
 *                            each one buffer over the whole layout of 1
 *   4. activations           `input`, `targets`, `<layer>/output` and `<layer>/output_grad`, per-layer
 *                            buffers (`max_pooling2d_1/argmax`, `dropout_1/mask`,
 *                            `batch_normalization_1/statistics`), `batch/predictions`,
 *                            `staging/pixels`, `staging/indices`                  `planRun`, per batch size
 *   5. scratch               `workspace`: max over layers of gemm/conv2d workspace bytes
 *   6. dataset bytes         `data/<i>/images` u8, `data/<i>/labels` u8, `data/<i>/predictions` i32,
 *                            `data/order` i32 (the shuffled training order), `data/identity` i32
 *
 * Plans are immutable once made: a `ModelPlan` for the life of the model, a `RunPlan` for one batch
 * capacity and one list of datasets. A run hands each layer its own addresses (`LayerBuffers`) as an
 * argument of every pass, so two runs of one model (a training run and a temporary evaluation above
 * it) never rewrite each other's plan: a run plan can be made above another and released without
 * touching the one below.
 *
 * Because 1 and 2 (and each state buffer of 3) share one layout, an optimizer step is one kernel call
 * over the whole range, or over runs of it at the same offsets (src/train/optimizers.ts). The 16-byte
 * padding between parameters is zeroed here and never written, so its gradient is 0 and every update
 * rule leaves it 0; the gradients of non-trainable weights (batch normalisation's moving statistics)
 * are zeroed and never written the same way, so no optimizer moves them (a zero gradient keeps SGD,
 * momentum and Adam, from zero state, at a zero update).
 */
import type { Core } from '../core/index.js';
import type { ArenaBuffer, DType } from '../core/arena.js';
import { ArgumentError, describeValue } from '../errors.js';
import {
  initialize,
  size,
  type BatchSlot,
  type BuildPlan,
  type Layer,
  type LayerBuffers,
  type ParameterSlot,
  type Shape,
} from '../layers/layer.js';
import type { ImageSet } from '../train/fit.js';
import { stateBuffers, type OptimizerName } from '../train/optimizers.js';
import { Rng } from '../train/rng.js';

/** A built stack of layers: what a run is laid out for (`layOutRun`). */
export interface LayerStack {
  readonly layers: readonly Layer[];
  readonly inputShape: Shape;
  /** Values per input sample. */
  readonly pixels: number;
  /** Size of the logits. */
  readonly classes: number;
  /** Per layer, its batch buffers in `BatchSlot.index` order (every run plans them for itself). */
  readonly batchSlots: readonly (readonly BatchSlot[])[];
  /** First layer with parameters (trainable ones): backward stops there and skips its dx. */
  readonly firstTrainable: number;
}

/** The built model: its layers, where parameters and gradients live, and what the kernel sequences need. */
export interface ModelPlan extends LayerStack {
  /** The model's seed: initialisation, and the per-step draws of dropout. */
  readonly seed: number;
  readonly slots: readonly ParameterSlot[];
  readonly paramBase: number;
  readonly gradBase: number;
  /** f32 elements from paramBase to the end of the last (padded) parameter. */
  readonly paramCount: number;
  /** Index of the layer whose output is the logits (the output layer, or the one before a final Activation('softmax')). */
  readonly head: number;
  /** Arena position after regions 1–2. */
  readonly markAfterGrads: number;
}

/** A dataset uploaded into wasm memory (region 6). */
export interface PlannedSet {
  readonly set: ImageSet;
  readonly images: ArenaBuffer;
  readonly labels: ArenaBuffer;
  readonly predictions: ArenaBuffer;
}

/** Region 4 of a run (`layOutRun`), by address. */
interface RunBuffers {
  /** Batch capacity. */
  readonly rows: number;
  /** f32 [rows, ...inputShape]. */
  readonly input: number;
  /**
   * Per layer, the addresses its passes work on in this run: input, output (in-place layers share
   * their input's), their gradients (training runs), its batch buffers, the workspace.
   */
  readonly layers: readonly LayerBuffers[];
  /** i32 [rows]: argmax labels. */
  readonly predictions: number;
  /** u8 [rows, pixels]: pixels the gather kernel scales into `input`. */
  readonly stagingPixels: number;
  /** i32 [rows]: 0, 1, 2, … (the gather kernel's indices into the staging pixels). */
  readonly stagingIndices: number;
  /** Scratch shared by the layers. */
  readonly workspace: number;
  /** Arena position this run was planned from (release to it to drop the run). */
  readonly mark: number;
}

/** Regions 4–6 for one batch capacity and one list of datasets: what training and evaluation run on. */
export interface RunPlan extends RunBuffers {
  readonly sets: readonly PlannedSet[];
  /** f32 [rows, classes]: one-hot targets. */
  readonly targets: number;
  /** Shuffled training order and the identity order; 0 when the run holds no dataset. */
  readonly order: number;
  readonly identity: number;
}

/** Region 4 without gradients, targets or datasets, for `predict`: the forward pass only. */
export interface InferenceRun extends RunBuffers {
  /** f32 [rows, classes]: the model's output (its softmax, when it ends in one). */
  readonly output: number;
  /**
   * The first layers a pass runs slice by slice (`slicing`); none: every layer runs on the pass's
   * rows at once.
   */
  readonly slices?: InferenceSlices;
}

/** The layers 0..layers − 1 of an inference pass run on `rows` images at a time, each slice on its own views. */
export interface InferenceSlices {
  readonly layers: number;
  /** Images per slice. */
  readonly rows: number;
  /** views[s][i]: layer i's buffers for images s·rows onwards (its per-image buffers moved there). */
  readonly views: readonly (readonly LayerBuffers[])[];
}

/**
 * Output bytes per slice of the sliced layers. A convolution's output is large per image (the cnn's
 * 26×26×32 floats, 86 KB) and its weights small: a pass of 256 images wrote 22 MB per such layer
 * and read it back in the next (ReLU, pooling) from memory; in slices of about this many bytes the
 * maps stay in the caches. Measured on the cnn, predict of 1,000 images, sliced and whole in
 * alternating pairs: ×1.08-1.11 on one thread (256 KiB slices the same), within noise on two.
 */
const SLICE_BYTES = 1 << 20;
/**
 * Slicing stops at the first layer with more weights than this: a Dense on the flattened maps
 * (the cnn's 5408×200, 4.3 MB) reads its weights once per call, best once for the whole pass.
 */
const SLICE_MAX_WEIGHTS = 65_536;

/**
 * How the first layers of an inference run of `rows` go in slices, if they do: the layers before the
 * first one with more than SLICE_MAX_WEIGHTS weights, in slices of images whose largest output
 * fits SLICE_BYTES. At inference every layer computes an image from that image alone (batch
 * normalisation uses its moving statistics, dropout passes through), so slicing changes no bit.
 */
function slicing(stack: LayerStack, rows: number, run: RunBuffers): InferenceSlices | undefined {
  const weights = (layer: Layer) => layer.parameters.reduce((n, slot) => n + slot.length, 0);
  const firstHeavy = stack.layers.findIndex((layer) => weights(layer) > SLICE_MAX_WEIGHTS);
  const layers = firstHeavy < 0 ? stack.layers.length : firstHeavy;
  if (layers === 0) return undefined;
  const widest = Math.max(...stack.layers.slice(0, layers).map((layer) => 4 * size(outputShapeOf(layer))));
  const sliceRows = Math.max(1, Math.floor(SLICE_BYTES / widest));
  if (sliceRows >= rows) return undefined;
  // The same layout with every per-image buffer's bytes per image in place of its address.
  const strides = layOutRun(stack, 'inference', (_name, shape, dtype, perSample) => (perSample ? DTYPE_BYTES[dtype] * size(shape) : 0));
  const views: LayerBuffers[][] = [];
  for (let first = 0; first < rows; first += sliceRows) {
    views.push(
      run.layers.slice(0, layers).map((at, i) => {
        const stride = strides.layers[i]!;
        return Object.freeze({
          ...at,
          x: at.x + first * stride.x,
          y: at.y + first * stride.y,
          batch: Object.freeze(at.batch.map((address, b) => address + first * stride.batch[b]!)),
        });
      }),
    );
  }
  return { layers, rows: sliceRows, views };
}

/**
 * Builds every layer, plans regions 1–2 and initialises the weights from `seed`.
 * @throws RangeError when a layer does not fit its input shape; ArgumentError when the stack is
 *   empty or a softmax is not in the output layer.
 */
export function planModel(core: Core, inputShape: Shape, layers: readonly Layer[], seed: number): ModelPlan {
  const arena = core.arena;
  const { stack, slots, head } = buildStack(inputShape, layers);

  // Regions 1 and 2: parameters, then gradients in the same layout.
  const params = slots.map((slot) => arena.allocate(slot.name, slot.shape));
  const grads = slots.map((slot) => arena.allocate(`${slot.name}/grad`, slot.shape));
  let paramBase = 0;
  let gradBase = 0;
  slots.forEach((slot, i) => {
    const param = params[i]!;
    const grad = grads[i]!;
    if (i === 0) {
      paramBase = param.byteOffset;
      gradBase = grad.byteOffset;
    }
    slot.byteOffset = param.byteOffset;
    slot.gradByteOffset = grad.byteOffset;
    if (slot.gradByteOffset - slot.byteOffset !== gradBase - paramBase)
      throw new Error(`internal: ${slot.name}/grad is not in the parameter layout`);
  });
  const paramCount = (gradBase - paramBase) / 4;
  arena.commit();
  if (slots.length > 0) {
    // Zero both regions (the memory may hold an earlier temporary's bytes): padding stays 0 forever.
    new Uint8Array(arena.memory.buffer, paramBase, 2 * paramCount * 4).fill(0);
    const rng = new Rng(seed, 0);
    for (const slot of slots) {
      initialize(new Float32Array(arena.memory.buffer, slot.byteOffset, slot.length), slot.initializer, slot.fanIn, slot.fanOut, rng);
    }
  }
  return { ...stack, seed, slots, paramBase, gradBase, paramCount, head, markAfterGrads: arena.mark() };
}

/**
 * Builds every layer on a plan that records: their parameters (named `layer/weight`, no address
 * yet) and batch buffers, in order. Nothing is allocated.
 * @throws RangeError when a layer does not fit its input shape; ArgumentError when the stack is
 *   empty or a softmax is not in the output layer.
 */
function buildStack(inputShape: Shape, layers: readonly Layer[]): { stack: LayerStack; slots: ParameterSlot[]; head: number } {
  if (layers.length === 0) throw new ArgumentError('layers', 'the model has no layers');
  const slots: ParameterSlot[] = [];
  const batchSlots: BatchSlot[][] = [];
  let shape = inputShape;
  layers.forEach((layer, index) => {
    if (layer.activation === 'softmax' && index !== layers.length - 1) {
      throw new ArgumentError('layers', `${layer.name}: softmax is only supported as the output layer's activation`);
    }
    const own: BatchSlot[] = [];
    batchSlots.push(own);
    const plan: BuildPlan = {
      parameter: (localName, paramShape, initializer, fanIn, fanOut, trainable = true) => {
        const name = `${layer.name}/${localName}`;
        const slot: ParameterSlot = {
          name,
          shape: [...paramShape],
          length: size(paramShape),
          initializer,
          fanIn,
          fanOut,
          trainable,
          byteOffset: 0,
          gradByteOffset: 0,
        };
        slots.push(slot);
        return slot;
      },
      batchBuffer: (localName, bufferShape, dtype, perSample = true) => {
        const slot: BatchSlot = { name: `${layer.name}/${localName}`, shape: [...bufferShape], dtype, perSample, index: own.length };
        own.push(slot);
        return slot;
      },
    };
    layer.build(shape, plan);
    shape = outputShapeOf(layer);
  });
  const last = layers.length - 1;
  const lastLayer = layers[last]!;
  const stack: LayerStack = {
    layers,
    inputShape,
    pixels: size(inputShape),
    classes: lastLayer.outputSize,
    batchSlots,
    firstTrainable: layers.findIndex((layer) => layer.parameters.length > 0),
  };
  const head = lastLayer.className === 'Activation' && lastLayer.activation === 'softmax' ? last - 1 : last;
  return { stack, slots, head };
}

/** What a model of `layers` will plan, found before any memory is committed (`plannedSizes`). */
export interface PlannedSizes {
  /** Parameters, trainable or not, without padding. */
  parameters: number;
  /** Each parameter's name and shape, in order (what `getWeights` will list). */
  slots: { name: string; shape: Shape }[];
  /** The parameters' bytes with their gradients and the optimizer's state (all in the parameter layout). */
  parameterBytes: number;
  /** Bytes of a training run per sample of its batch (`layOutRun`): its batch needs `batchSize` times this. */
  bytesPerSample: number;
  /** The same for an inference run (no gradients, no targets): what predicting one image needs. */
  inferenceBytesPerSample: number;
}

/**
 * What `layers` on `inputShape` will plan with `optimizer`, at least (padding, the workspace and
 * uploaded datasets come on top), from the same build and run layout as `planModel` and `planRun`,
 * with nothing allocated: for checks before any memory is committed (a model file's header, a command
 * line). Builds `layers`, so pass fresh ones (a layer builds once).
 * @throws RangeError or ArgumentError as `planModel` does, for a stack that does not build.
 */
export function plannedSizes(inputShape: Shape, layers: readonly Layer[], optimizer: OptimizerName = 'sgd'): PlannedSizes {
  const { stack, slots } = buildStack(inputShape, layers);
  const parameters = slots.reduce((n, slot) => n + slot.length, 0);
  const perSample = (kind: RunKind) => {
    let bytes = 0;
    layOutRun(stack, kind, (_name, shape, dtype, scales) => {
      if (scales) bytes += DTYPE_BYTES[dtype] * size(shape);
      return 0;
    });
    return bytes;
  };
  return {
    parameters,
    slots: slots.map(({ name, shape }) => ({ name, shape })),
    parameterBytes: 4 * parameters * (2 + stateBuffers(optimizer)),
    bytesPerSample: perSample('training'),
    inferenceBytesPerSample: perSample('inference'),
  };
}

const DTYPE_BYTES: Readonly<Record<DType, number>> = { f32: 4, i32: 4, u8: 1 };

/** Region 3: the optimizer's state buffers (zeroed), planned right after the gradients. */
export function planOptimizerState(core: Core, model: ModelPlan, type: OptimizerName): { state: number[]; mark: number } {
  const arena = core.arena;
  arena.release(model.markAfterGrads);
  const names = type === 'momentum' ? ['momentum/velocity'] : type === 'adam' ? ['adam/m', 'adam/v'] : [];
  const buffers = names.slice(0, stateBuffers(type)).map((name) => arena.allocate(name, [model.paramCount]));
  arena.commit();
  for (const buffer of buffers) arena.f32(buffer).fill(0);
  return { state: buffers.map((b) => b.byteOffset), mark: arena.mark() };
}

/**
 * Plans regions 4–6 at the arena's current top for `rows` and exactly `sets`, and uploads the sets
 * (checked: the first is named `train`, the others `validationData`).
 */
export function planRun(core: Core, model: ModelPlan, rows: number, sets: readonly ImageSet[]): RunPlan {
  sets.forEach((set, i) => checkSet(model, set, i === 0 ? 'train' : 'validationData'));
  const arena = core.arena;
  const mark = arena.mark();
  const { targets, ...buffers } = placeRun(core, model, 'training', rows, mark);
  const planned = sets.map((set, i) => ({
    set,
    images: arena.allocate(`data/${i}/images`, [set.count * model.pixels], 'u8'),
    labels: arena.allocate(`data/${i}/labels`, [set.count], 'u8'),
    predictions: arena.allocate(`data/${i}/predictions`, [set.count], 'i32'),
  }));
  const maxCount = Math.max(0, ...sets.map((set) => set.count));
  const order = maxCount > 0 ? arena.allocate('data/order', [maxCount], 'i32') : undefined;
  const identity = maxCount > 0 ? arena.allocate('data/identity', [maxCount], 'i32') : undefined;
  arena.commit();
  for (const { set, images, labels } of planned) {
    arena.u8(images).set(set.images.subarray(0, set.count * model.pixels));
    arena.u8(labels).set(set.labels.subarray(0, set.count));
  }
  if (identity) fillIdentity(arena.i32(identity));
  if (order) fillIdentity(arena.i32(order));
  fillIdentity(new Int32Array(arena.memory.buffer, buffers.stagingIndices, rows));
  return { ...buffers, targets, sets: planned, order: order?.byteOffset ?? 0, identity: identity?.byteOffset ?? 0 };
}

/** Plans an inference run of `rows` capacity at the arena's current top (region 4 without gradients). */
export function planInferenceRun(core: Core, model: ModelPlan, rows: number): InferenceRun {
  const arena = core.arena;
  const { targets: _, ...buffers } = placeRun(core, model, 'inference', rows, arena.mark());
  arena.commit();
  fillIdentity(new Int32Array(arena.memory.buffer, buffers.stagingIndices, rows));
  const slices = slicing(model, rows, buffers);
  return { ...buffers, output: buffers.layers[buffers.layers.length - 1]!.y, ...(slices && { slices }) };
}

/** A training run holds gradients and one-hot targets; an inference run the forward pass's buffers only. */
type RunKind = 'training' | 'inference';

/** Places a buffer of `shape` (per sample, the run's capacity in front, when `perSample`) and returns its address. */
type Place = (name: string, shape: Shape, dtype: DType, perSample: boolean) => number;

/**
 * Region 4 of a run, in arena order: the one description of what a run holds per batch, which
 * `placeRun` lays out in the arena. Every layer's buffers but the workspace (which needs the
 * kernels' sizes).
 */
function layOutRun(stack: LayerStack, kind: RunKind, place: Place) {
  const training = kind === 'training';
  const input = place('input', stack.inputShape, 'f32', true);
  const targets = training ? place('targets', [stack.classes], 'f32', true) : 0;
  const outputs: number[] = [];
  const outputGrads: number[] = [];
  let previous = input;
  let previousGrad = 0;
  for (const layer of stack.layers) {
    if (!layer.inPlace) {
      previous = place(`${layer.name}/output`, outputShapeOf(layer), 'f32', true);
      if (training) previousGrad = place(`${layer.name}/output_grad`, outputShapeOf(layer), 'f32', true);
    }
    outputs.push(previous);
    outputGrads.push(previousGrad);
  }
  const batch = stack.batchSlots.map((own) => own.map((slot) => place(slot.name, slot.shape, slot.dtype, slot.perSample)));
  const predictions = place('batch/predictions', [], 'i32', true);
  const stagingPixels = place('staging/pixels', [stack.pixels], 'u8', true);
  const stagingIndices = place('staging/indices', [], 'i32', true);
  // The first trained layer computes no dx (nothing below it learns); neither do the layers under it.
  const layers = stack.layers.map((_, i) => ({
    x: i === 0 ? input : outputs[i - 1]!,
    y: outputs[i]!,
    dx: i === 0 || i <= stack.firstTrainable ? 0 : outputGrads[i - 1]!,
    dy: outputGrads[i]!,
    batch: Object.freeze(batch[i]!),
  }));
  return { input, targets, layers, predictions, stagingPixels, stagingIndices };
}

/** `layOutRun` in the arena for a capacity of `rows`, then the workspace; the layers' buffers frozen. */
function placeRun(core: Core, model: ModelPlan, kind: RunKind, rows: number, mark: number): RunBuffers & { targets: number } {
  const arena = core.arena;
  const layout = layOutRun(
    model,
    kind,
    (name, shape, dtype, perSample) => arena.allocate(name, perSample ? [rows, ...shape] : shape, dtype).byteOffset,
  );
  const workspaceBytes = Math.max(16, ...model.layers.map((layer) => layer.workspaceBytes(core.kernels, rows)));
  const workspace = arena.allocate('workspace', [workspaceBytes], 'u8').byteOffset;
  const layers = layout.layers.map((buffers): LayerBuffers => Object.freeze({ ...buffers, workspace }));
  return { ...layout, rows, layers, workspace, mark };
}

/** The run's upload of `set`, if it holds that very set (same arrays and count). */
export function findSet(run: RunPlan, set: ImageSet): PlannedSet | undefined {
  return run.sets.find((s) => s.set === set && s.set.images === set.images && s.set.labels === set.labels && s.set.count === set.count);
}

/** The planned output shape of a built layer. */
export function outputShapeOf(layer: Layer): Shape {
  if (layer.outputShape === undefined) throw new Error(`internal: ${layer.name} is not built`);
  return layer.outputShape;
}

/** @throws ArgumentError naming `argument` when the set does not fit the model. */
export function checkSet(model: ModelPlan, set: ImageSet, argument: string): void {
  const pixels = model.pixels;
  if (set === null || typeof set !== 'object' || !(set.images instanceof Uint8Array) || !(set.labels instanceof Uint8Array)) {
    throw new ArgumentError(argument, 'expected { images: Uint8Array, labels: Uint8Array, count, rows, cols }');
  }
  if (!Number.isInteger(set.count) || set.count < 1)
    throw new ArgumentError(argument, `count: expected a positive integer, got ${describeValue(set.count)}`);
  if (set.rows * set.cols !== pixels) {
    throw new ArgumentError(
      argument,
      `images of ${set.rows}x${set.cols} = ${set.rows * set.cols} pixels do not fit the model's input shape [${model.inputShape.join(', ')}] (${pixels} values)`,
    );
  }
  if (set.images.length < set.count * pixels)
    throw new ArgumentError(argument, `images: expected ${set.count} x ${pixels} = ${set.count * pixels} bytes, got ${set.images.length}`);
  if (set.labels.length < set.count) throw new ArgumentError(argument, `labels: expected ${set.count} labels, got ${set.labels.length}`);
  const { classes } = model;
  for (let i = 0; i < set.count; i++) {
    if (set.labels[i]! >= classes) throw new ArgumentError(argument, `labels[${i}] = ${set.labels[i]} is not a class in 0..${classes - 1}`);
  }
}

function fillIdentity(array: Int32Array): void {
  for (let i = 0; i < array.length; i++) array[i] = i;
}

/** @throws ArgumentError when the model's output is not a softmax over a 1-D [classes]. */
export function checkSoftmaxOutput(plan: ModelPlan): void {
  const last = plan.layers[plan.layers.length - 1]!;
  if (plan.head < 0 || last.activation !== 'softmax') {
    throw new ArgumentError(
      'loss',
      `categoricalCrossentropy needs a softmax output: give the last layer activation 'softmax' (${last.name} has '${last.activation}')`,
    );
  }
  const headShape = outputShapeOf(plan.layers[plan.head]!);
  if (headShape.length !== 1) throw new ArgumentError('layers', `the output must be 1-D [classes], got [${headShape.join(', ')}]`);
}

/**
 * The rows of a given batch (f32 inputs, one label each).
 * @throws ArgumentError naming `labels` or `inputs` when they do not fit the model.
 */
export function checkBatch(model: ModelPlan, inputs: Float32Array, labels: ArrayLike<number>): number {
  const rows = labels.length;
  if (rows < 1) throw new ArgumentError('labels', 'expected at least one label');
  if (!(inputs instanceof Float32Array) || inputs.length !== rows * model.pixels) {
    throw new ArgumentError(
      'inputs',
      `expected a Float32Array of ${rows} x ${model.pixels} = ${rows * model.pixels} values, got ${inputs?.length}`,
    );
  }
  return rows;
}
