/**
 * The kernel sequences, run from a model plan and a run plan (llm.c's shape: one planned allocation,
 * fixed forward/backward lists over it). Nothing here allocates: a training step is gather → forward →
 * fused loss → argmax → backward → one optimizer call, all on fixed addresses.
 *
 * A final softmax is fused with the loss when training and evaluating: the head layer runs without
 * it and softmax_xent_f32_fused turns logits into the loss and ∂loss/∂logits in one pass. `predict`
 * runs the softmax.
 *
 * Every kernel call goes through `core.kernels` (which may dispatch to threads); only uploads and
 * read-backs touch the memory directly.
 */
import { Reduction, type CoreExports } from '../core/abi.js';
import type { Core } from '../core/index.js';
import { ArgumentError } from '../errors.js';
import { INFERENCE, type ForwardMode } from '../layers/layer.js';
import type { AugmentOptions, Stepper } from '../train/fit.js';
import type { Optimizer } from '../train/optimizers.js';
import { stepSeed } from '../train/rng.js';
import type { ReductionName } from './types.js';
import type { ModelPlan, PlannedSet, RunPlan } from './plan.js';
import { SgdFusion } from './sgd-fusion.js';

export class Executor {
  private readonly k: CoreExports;

  /** The kernels the sequences call (`core.kernels`). */
  get kernels(): CoreExports {
    return this.k;
  }

  constructor(
    private readonly core: Core,
    readonly model: ModelPlan,
    readonly run: RunPlan,
  ) {
    this.k = core.kernels;
  }

  /**
   * Runs layers 0..through; with `logits`, the head skips its softmax (the loss fuses it). `step` (the
   * optimizer's iterations) makes it a training pass, each layer with the seed of (model seed, step,
   * layer index); undefined is inference.
   */
  forward(rows: number, through: number, logits: boolean, step?: number): void {
    const { model, run, k } = this;
    for (let i = 0; i <= through; i++) {
      const mode: ForwardMode = step === undefined ? INFERENCE : { training: true, seed: stepSeed(model.seed, step, i) };
      model.layers[i]!.forward(k, run.layers[i]!, rows, logits && i === through, mode);
    }
  }

  /** Training forward (at optimizer step `step`) to the logits, then loss (mean per sample) and dlogits, then the argmax into batch/predictions. */
  forwardAndLoss(rows: number, reduction: ReductionName, step: number): number {
    const { model, run, k } = this;
    this.forward(rows, model.head, true, step);
    const { y: logits, dy: dlogits } = run.layers[model.head]!;
    const mode = reduction === 'sum' ? Reduction.Sum : Reduction.Mean;
    const loss = k.softmax_xent_f32_fused(dlogits, logits, run.targets, rows, model.classes, mode);
    k.argmax_f32_rows(run.predictions, logits, rows, model.classes);
    return mode === Reduction.Sum ? loss / rows : loss;
  }

  /**
   * Backward from dlogits through the layers; overwrites every parameter gradient, except that with a
   * `fusion` (which must take `rows`) its dense kernels take their plain SGD step at `rate` instead.
   */
  backward(rows: number, fusion?: SgdFusion, rate = 0): void {
    const { model, run, k } = this;
    for (let i = model.head; i >= model.firstTrainable; i--) {
      const fused = fusion?.layers[i];
      if (fused) fused.backwardSgd(k, run.layers[i]!, rows, rate);
      else model.layers[i]!.backward(k, run.layers[i]!, rows);
    }
  }

  /**
   * One batch of the training order at optimizer step `step`: gather (augmented when asked, with the
   * step's seed), training forward, fused loss, argmax; `correct` counts the hits.
   */
  trainForward(
    planned: PlannedSet,
    start: number,
    rows: number,
    reduction: ReductionName,
    step: number,
    augment?: AugmentOptions,
  ): { loss: number; correct: number } {
    const { model, run, k } = this;
    const orderAt = run.order + start * 4;
    const batch = [run.input, run.targets, planned.images.byteOffset, planned.labels.byteOffset, orderAt, rows] as const;
    if (augment) {
      // Shifted and mirrored as images of the set's rows x cols, whatever the model's input shape ([784] or [28, 28, 1]).
      const { rows: height, cols: width } = planned.set;
      // Stream 2^32 − 1: apart from every layer's (stream = layer index).
      const seed = stepSeed(model.seed, step, 0xffffffff);
      k.gather_batch_augment_u8_f32(...batch, height, width, model.classes, augment.shift, augment.flip ? 1 : 0, seed);
    } else {
      k.gather_batch_u8_f32(...batch, model.pixels, model.classes);
    }
    const loss = this.forwardAndLoss(rows, reduction, step);
    // Accuracy of this batch: compare the argmax with the labels (one i32 per sample, not per element).
    const memory = this.core.arena.memory.buffer;
    const predictions = new Int32Array(memory, run.predictions, rows);
    const order = new Int32Array(memory, orderAt, rows);
    const labels = new Uint8Array(memory, planned.labels.byteOffset, planned.set.count);
    let correct = 0;
    for (let b = 0; b < rows; b++) if (predictions[b] === labels[order[b]!]) correct++;
    return { loss, correct };
  }

  /**
   * Inference loss (mean per sample), hits and argmax predictions (a view into the arena, one per
   * evaluated image) of a planned set, in batches: the whole set in order, or the `count` images whose
   * indices are at `indices` (an i32 list in the arena, e.g. the validation part of the training order).
   */
  evaluate(
    planned: PlannedSet,
    indices: number = this.run.identity,
    count: number = planned.set.count,
  ): { loss: number; correct: number; predictions: Int32Array } {
    const { model, run, k } = this;
    let lossSum = 0;
    for (let first = 0; first < count; first += run.rows) {
      const rows = Math.min(run.rows, count - first);
      k.gather_batch_u8_f32(
        run.input,
        run.targets,
        planned.images.byteOffset,
        planned.labels.byteOffset,
        indices + first * 4,
        rows,
        model.pixels,
        model.classes,
      );
      this.forward(rows, model.head, true);
      const { y: logits, dy: dlogits } = run.layers[model.head]!;
      lossSum += k.softmax_xent_f32_fused(dlogits, logits, run.targets, rows, model.classes, Reduction.Sum);
      k.argmax_f32_rows(planned.predictions.byteOffset + first * 4, logits, rows, model.classes);
    }
    const memory = this.core.arena.memory.buffer;
    const predictions = new Int32Array(memory, planned.predictions.byteOffset, count);
    const order = new Int32Array(memory, indices, count);
    const labels = new Uint8Array(memory, planned.labels.byteOffset, planned.set.count);
    let correct = 0;
    for (let i = 0; i < count; i++) if (predictions[i] === labels[order[i]!]) correct++;
    return { loss: lossSum / count, correct, predictions };
  }

  /**
   * Loss (mean per sample) and gradients of given f32 inputs and labels, left in the gradient region.
   * @throws ArgumentError naming `labels` when a label is not a class.
   */
  lossAndGradients(inputs: Float32Array, labels: ArrayLike<number>, reduction: ReductionName, step: number): number {
    const { model, run } = this;
    const rows = labels.length;
    const classes = model.classes;
    const memory = this.core.arena.memory.buffer;
    new Float32Array(memory, run.input, inputs.length).set(inputs);
    const targets = new Float32Array(memory, run.targets, rows * classes).fill(0);
    for (let r = 0; r < rows; r++) {
      const label = labels[r]!;
      if (!Number.isInteger(label) || label < 0 || label >= classes) {
        throw new ArgumentError('labels', `labels[${r}] = ${label} is not a class in 0..${classes - 1}`);
      }
      targets[r * classes + label] = 1;
    }
    const loss = this.forwardAndLoss(rows, reduction, step);
    this.backward(rows);
    return loss;
  }

  /** The first `count` entries of the training order in wasm memory (a fresh view: growth detaches older ones). */
  orderView(count: number): Int32Array {
    return new Int32Array(this.core.arena.memory.buffer, this.run.order, count);
  }
}

/**
 * The narrow object `runFit` drives: one run's training set (and optional validation set), the
 * optimizer, and the step's SGD fusion, decided here once for the whole fit.
 */
export function trainingStepper(
  executor: Executor,
  train: PlannedSet,
  validation: PlannedSet | undefined,
  optimizer: Optimizer,
  reduction: ReductionName,
  augment?: AugmentOptions,
): Stepper {
  const fusion = SgdFusion.plan(executor.kernels, executor.model, optimizer.config.type);
  return {
    order: (count) => executor.orderView(count),
    forwardLoss: (start, rows) => executor.trainForward(train, start, rows, reduction, optimizer.iterations, augment),
    backwardStep(rows) {
      if (fusion?.takes(rows)) {
        executor.backward(rows, fusion, optimizer.learningRate);
        optimizer.step(fusion.runs);
      } else {
        executor.backward(rows);
        optimizer.step();
      }
    },
    validate:
      validation === undefined
        ? undefined
        : () => {
            const { loss, correct } = executor.evaluate(validation);
            return { loss, accuracy: correct / validation.set.count };
          },
    evaluateOrder(start, count) {
      const { loss, correct } = executor.evaluate(train, executor.run.order + start * 4, count);
      return { loss, accuracy: correct / count };
    },
  };
}
