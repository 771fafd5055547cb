/**
 * The training loop: epochs of seeded-shuffled mini-batches, callbacks, history, and the NaN/Inf
 * stop. It is model-agnostic: it drives a `Stepper` (each step a fixed list of wasm calls on planned
 * buffers, made by the model) and only decides which rows go into which step, at which learning rate.
 *
 * With `validationSplit`, the index list is shuffled ONCE (seeded, stream 2) at the start of the fit
 * and its last fraction is the validation set for the whole run; the epochs shuffle and train on the
 * rest only. Per epoch: Fisher–Yates over the training part of the index list IN WASM MEMORY (an
 * Int32Array view: the gather kernel reads it directly), then ceil(n / batchSize) steps, the last one
 * partial (Keras trains it too), each after setting the schedule's learning rate, then the
 * validation pass and the callbacks, which may stop the training (`stopTraining`).
 */
import { ArgumentError, describeValue, TrainingError } from '../errors.js';
import { emptyHistory, recordEpoch, settle, type BatchLogs, type Callbacks, type EpochLogs, type History } from './callbacks.js';
import { Rng } from './rng.js';
import type { LearningRateSchedule } from './schedules.js';
import type { ImageSet } from '../data/classes.js';

export type { ImageSet } from '../data/classes.js';

export interface FitOptions {
  /** Default 1. The last epoch (0-based) is epochs − 1, counted from 0 even when resuming. */
  epochs?: number;
  /**
   * Epochs already trained (Keras' initialEpoch): training starts at this epoch. The shuffles of the
   * skipped epochs are replayed (not trained), so a run resumed from a checkpoint of epoch N, with
   * the weights and optimizer state of that checkpoint, trains exactly the batches the whole run
   * would have. Default 0; at most `epochs`.
   */
  initialEpoch?: number;
  /** Default 32 (Keras). */
  batchSize?: number;
  /** Reshuffle the training order every epoch. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffle. Default: the model's seed. */
  seed?: number;
  /** Evaluated after every epoch (valLoss, valAccuracy). Not with `validationSplit`. */
  validationData?: ImageSet;
  /**
   * Holds out this fraction (0 < f < 1) of the training images as the validation set: the LAST
   * floor(f · n) of them after one seeded shuffle, fixed for the run (never the test set; Keras takes
   * the last fraction unshuffled, which for a set sorted by class would hold out whole classes).
   */
  validationSplit?: number;
  /** The learning rate of every step, set on the optimizer before the step (src/train/schedules.ts). */
  learningRate?: LearningRateSchedule;
  /**
   * Random shifts of up to `shift` pixels on each axis and, with `flip`, horizontal mirrors of the
   * training images, drawn in the batch gather from a per-step seed (evaluation never augments).
   */
  augment?: AugmentOptions;
  /** One object or a list (each may take the model through `setModel`, as in TF.js). */
  callbacks?: Callbacks | Callbacks[];
  /**
   * The History to append to: a resumed run's (from its checkpoint), or one a callback reads as it
   * grows. Each epoch is appended before `onEpochEnd` is called, and fit returns it; a fit that throws
   * leaves in it every epoch it completed. Default: a new one.
   */
  history?: History;
  /** Train on the first `limit` images only. */
  limit?: number;
}

/** Data augmentation in the training gather. */
export interface AugmentOptions {
  /** Largest shift in pixels on each axis, 0..min(rows, cols, 128) − 1. */
  shift: number;
  /** Mirror each image horizontally with probability ½. */
  flip: boolean;
}

/** What the loop and the callbacks may change on the model while it trains (Sequential has both). */
export interface FitControl {
  /** Set to true to stop after the current batch (Keras' `model.stop_training`). */
  stopTraining: boolean;
  /** The optimizer's learning rate, read and set between steps. */
  learningRate: number;
}

/**
 * What the loop drives: one planned run of one model (made by `Sequential.fit`). The loop decides
 * which rows go into which step; the stepper runs the kernels.
 */
export interface Stepper {
  /** The first `count` entries of the training order, in wasm memory (a fresh view; use it at once). */
  order(count: number): Int32Array;
  /** Forward + loss for `rows` samples at order[start..]: loss is the batch MEAN per sample; correct is a count. */
  forwardLoss(start: number, rows: number): { loss: number; correct: number };
  /** Backward and one optimizer step, after `forwardLoss` of the same rows. */
  backwardStep(rows: number): void;
  /** Loss (mean per sample) and accuracy of the validation set; absent without one. */
  validate: (() => { loss: number; accuracy: number }) | undefined;
  /** Inference loss (mean per sample) and accuracy of the training images at order[start..start + count). */
  evaluateOrder(start: number, count: number): { loss: number; accuracy: number };
}

/** `FitOptions` checked, with defaults filled in. */
export interface FitSettings {
  epochs: number;
  initialEpoch: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  /** Training images used (the set's count, or `limit` when smaller), validation split included. */
  count: number;
  /** Images held out by `validationSplit` (0 without). */
  validationCount: number;
  validationData: ImageSet | undefined;
  learningRate: LearningRateSchedule | undefined;
  augment: AugmentOptions | undefined;
  callbacks: Callbacks[];
  history: History | undefined;
}

/**
 * Checks the options (at the boundary) and fills in the defaults.
 * @throws ArgumentError naming the option.
 */
export function fitSettings(train: ImageSet, options: FitOptions, defaultSeed: number): FitSettings {
  if (options === null || typeof options !== 'object')
    throw new ArgumentError('options', `expected an object, got ${describeValue(options)}`);
  const epochs = options.epochs ?? 1;
  const batchSize = options.batchSize ?? 32;
  const shuffle = options.shuffle ?? true;
  const seed = options.seed ?? defaultSeed;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new ArgumentError('epochs', `expected a positive integer, got ${describeValue(epochs)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ArgumentError('batchSize', `expected a positive integer, got ${describeValue(batchSize)}`);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ArgumentError('seed', `expected a non-negative integer, got ${describeValue(seed)}`);
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs)
    throw new ArgumentError('initialEpoch', `expected an integer in 0..${epochs} (epochs), got ${describeValue(initialEpoch)}`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    throw new ArgumentError('limit', `expected a positive integer, got ${describeValue(options.limit)}`);
  }
  const split = options.validationSplit;
  if (split !== undefined) {
    if (typeof split !== 'number' || !(split > 0 && split < 1))
      throw new ArgumentError('validationSplit', `expected a number between 0 and 1 (exclusive), got ${describeValue(split)}`);
    if (options.validationData !== undefined)
      throw new ArgumentError('validationSplit', 'give validationSplit or validationData, not both');
  }
  const { count, validationCount } = splitCounts(train.count, options.limit, split);
  if (split !== undefined && (validationCount < 1 || validationCount >= count)) {
    throw new ArgumentError(
      'validationSplit',
      `${split} of ${count} images leaves ${validationCount} for validation and ${count - validationCount} for training; both need at least one`,
    );
  }
  if (options.learningRate !== undefined && typeof options.learningRate !== 'function') {
    throw new ArgumentError(
      'learningRate',
      `expected a schedule (progress) => rate such as cosineDecay({...}), got ${describeValue(options.learningRate)}`,
    );
  }
  const callbacks = options.callbacks ?? [];
  const list = Array.isArray(callbacks) ? callbacks : [callbacks];
  if (list.some((c) => c === null || typeof c !== 'object'))
    throw new ArgumentError('callbacks', 'expected an object of callback functions or a list of them');
  return {
    epochs,
    initialEpoch,
    batchSize,
    shuffle,
    seed,
    count,
    validationCount,
    validationData: options.validationData,
    learningRate: options.learningRate,
    augment: options.augment === undefined ? undefined : checkAugment(options.augment, train),
    callbacks: list,
    history: options.history === undefined ? undefined : checkHistory(options.history),
  };
}

/**
 * Of `available` training images, how many a fit uses (`limit`) and how many of those its
 * `validationSplit` holds out: the one place the split is counted (fit, and `trainingImages` for a run's
 * reports).
 */
export function splitCounts(
  available: number,
  limit: number | undefined,
  validationSplit: number | undefined,
): { count: number; validationCount: number } {
  const count = Math.min(limit ?? available, available);
  return { count, validationCount: validationSplit === undefined ? 0 : Math.floor(count * validationSplit) };
}

/** @throws ArgumentError naming `history` unless it is a History with one entry per epoch in each list. */
function checkHistory(history: History): History {
  const epochs = Array.isArray(history?.epoch) ? history.epoch.length : -1;
  const lists = history?.history;
  const fits = (list: unknown, optional: boolean) => (optional && list === undefined) || (Array.isArray(list) && list.length === epochs);
  if (
    epochs < 0 ||
    lists === null ||
    typeof lists !== 'object' ||
    !(['loss', 'accuracy', 'seconds', 'imagesPerSecond'] as const).every((key) => fits(lists[key], false)) ||
    !(['valLoss', 'valAccuracy'] as const).every((key) => fits(lists[key], true))
  ) {
    throw new ArgumentError(
      'history',
      'expected a History ({ epoch, history: { loss, accuracy, ... } }) with one entry per epoch in each list',
    );
  }
  return history;
}

function checkAugment(augment: AugmentOptions, train: ImageSet): AugmentOptions {
  if (augment === null || typeof augment !== 'object')
    throw new ArgumentError('augment', `expected { shift, flip }, got ${describeValue(augment)}`);
  const limit = Math.min(train.rows, train.cols, 128) - 1;
  const { shift, flip } = augment;
  if (!Number.isInteger(shift) || shift < 0 || shift > limit)
    throw new ArgumentError('augment.shift', `expected an integer in 0..${limit} (pixels), got ${describeValue(shift)}`);
  if (typeof flip !== 'boolean') throw new ArgumentError('augment.flip', `expected true or false, got ${describeValue(flip)}`);
  return { shift, flip };
}

/** Calls `name` on every callback in order, awaiting those that return a promise. */
async function each<K extends keyof Callbacks>(
  callbacks: readonly Callbacks[],
  name: K,
  ...args: Parameters<NonNullable<Callbacks[K]>>
): Promise<void> {
  for (const callback of callbacks) {
    const fn = callback[name] as ((...a: typeof args) => void | Promise<void>) | undefined;
    if (fn) await settle(fn.apply(callback, args));
  }
}

/** Monotonic seconds (performance.now exists in Node >= 16 and browsers). */
function now(): number {
  return performance.now() / 1000;
}

/**
 * Runs the loop on `control` (the model: its stop flag and learning rate).
 * @throws TrainingError when the loss becomes NaN or ±Inf (the offending batch's update is not
 *   applied); ArgumentError when the schedule returns a rate that is not positive and finite.
 */
export async function runFit(stepper: Stepper, settings: FitSettings, control: FitControl): Promise<History> {
  const { epochs, batchSize, shuffle, count, validationCount, callbacks } = settings;
  const trainCount = count - validationCount;
  const validate = validationCount > 0 ? () => stepper.evaluateOrder(trainCount, validationCount) : stepper.validate;
  const rng = new Rng(settings.seed, 1);
  // A fresh identity order per fit: the same seed gives the same batches whatever ran before.
  {
    const order = stepper.order(count);
    for (let i = 0; i < count; i++) order[i] = i;
    if (validationCount > 0) new Rng(settings.seed, 2).shuffle(order, count);
  }

  const history = settings.history ?? emptyHistory(validate !== undefined);
  control.stopTraining = false;
  await each(callbacks, 'onTrainBegin');
  const steps = Math.ceil(trainCount / batchSize);
  // Resuming: the order each skipped epoch shuffled (each shuffle permutes the previous order).
  if (shuffle) for (let epoch = 0; epoch < settings.initialEpoch; epoch++) rng.shuffle(stepper.order(trainCount), trainCount);
  let completed = 0;
  for (let epoch = settings.initialEpoch; epoch < epochs && !control.stopTraining; epoch++) {
    await each(callbacks, 'onEpochBegin', epoch);
    if (shuffle) rng.shuffle(stepper.order(trainCount), trainCount);
    const start = now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let batch = 0; batch < steps && !control.stopTraining; batch++) {
      const first = batch * batchSize;
      const rows = Math.min(batchSize, trainCount - first);
      if (settings.learningRate) control.learningRate = scheduledRate(settings.learningRate, epoch, epoch * steps + batch, steps);
      const step = stepper.forwardLoss(first, rows);
      if (!Number.isFinite(step.loss)) {
        throw new TrainingError(
          epoch + 1,
          batch + 1,
          `the loss is ${String(step.loss)} (diverged: lower the learning rate, e.g. --lr, or check the data)`,
        );
      }
      stepper.backwardStep(rows);
      lossSum += step.loss * rows;
      correct += step.correct;
      seen += rows;
      if (callbacks.some((c) => c.onBatchEnd)) {
        const logs: BatchLogs = {
          size: rows,
          batchLoss: step.loss,
          loss: lossSum / seen,
          accuracy: correct / seen,
          imagesPerSecond: seen / Math.max(now() - start, 1e-9),
        };
        await each(callbacks, 'onBatchEnd', batch, logs);
      }
    }
    if (seen === 0) break; // stopped before the epoch's first batch
    const seconds = now() - start;
    const logs: EpochLogs = {
      loss: lossSum / seen,
      accuracy: correct / seen,
      seconds,
      imagesPerSecond: seen / Math.max(seconds, 1e-9),
      learningRate: control.learningRate,
    };
    if (validate) {
      const result = validate();
      logs.valLoss = result.loss;
      logs.valAccuracy = result.accuracy;
    }
    recordEpoch(history, epoch, logs);
    completed++;
    await each(callbacks, 'onEpochEnd', epoch, logs);
  }
  await each(callbacks, 'onTrainEnd', { epochs: completed });
  return history;
}

function scheduledRate(schedule: LearningRateSchedule, epoch: number, step: number, stepsPerEpoch: number): number {
  const rate = schedule({ epoch, step, stepsPerEpoch });
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
    throw new ArgumentError(
      'learningRate',
      `the schedule returned ${describeValue(rate)} at epoch ${epoch}, step ${step}; expected a positive finite number`,
    );
  }
  return rate;
}
