/**
 * The training loop: epochs of seeded-shuffled mini-batches, callbacks, history, and the NaN/Inf
 * stop. It is model-agnostic: it drives a `Stepper` (each step a fixed list of wasm calls on planned
 * buffers, made by the model) and only decides which rows go into which step.
 *
 * Per epoch: Fisher–Yates over the index list IN WASM MEMORY (an Int32Array view: the gather kernel
 * reads it directly), then ceil(n / batchSize) steps, the last one partial (Keras trains it too),
 * then the validation pass.
 */
import { ArgumentError, describeValue, TrainingError } from '../errors.js';
import { settle, type BatchLogs, type Callbacks, type EpochLogs, type History } from './callbacks.js';
import { Rng } from './rng.js';

/**
 * Labelled images: `count` images of `rows x cols` u8 pixels, image after image, and `count` u8
 * labels. src/data's splits (`DataSplit`) are of this shape.
 */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface FitOptions {
  /** Default 1. */
  epochs?: number;
  /** Default 32 (Keras). */
  batchSize?: number;
  /** Reshuffle the training order every epoch. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffle. Default: the model's seed. */
  seed?: number;
  /** Evaluated after every epoch (valLoss, valAccuracy). */
  validationData?: ImageSet;
  callbacks?: Callbacks;
  /** Train on the first `limit` images only. */
  limit?: number;
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
}

/** `FitOptions` checked, with defaults filled in. */
export interface FitSettings {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  /** Training images used (the set's count, or `limit` when smaller). */
  count: number;
  validationData: ImageSet | undefined;
  callbacks: Callbacks;
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
  let count = train.count;
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new ArgumentError('limit', `expected a positive integer, got ${describeValue(options.limit)}`);
    }
    count = Math.min(count, options.limit);
  }
  return { epochs, batchSize, shuffle, seed, count, validationData: options.validationData, callbacks: options.callbacks ?? {} };
}

/** Monotonic seconds (performance.now exists in Node >= 16 and browsers). */
function now(): number {
  return performance.now() / 1000;
}

/**
 * Runs the loop.
 * @throws TrainingError when the loss becomes NaN or ±Inf (the offending batch's update is not applied).
 */
export async function runFit(stepper: Stepper, settings: FitSettings): Promise<History> {
  const { epochs, batchSize, shuffle, count, callbacks } = settings;
  const validate = stepper.validate;
  const rng = new Rng(settings.seed, 1);
  // A fresh identity order per fit: the same seed gives the same batches whatever ran before.
  {
    const order = stepper.order(count);
    for (let i = 0; i < count; i++) order[i] = i;
  }

  const history: History = {
    epoch: [],
    history: { loss: [], accuracy: [], seconds: [], imagesPerSecond: [], ...(validate ? { valLoss: [], valAccuracy: [] } : {}) },
  };
  await settle(callbacks.onTrainBegin?.());
  const steps = Math.ceil(count / batchSize);
  for (let epoch = 0; epoch < epochs; epoch++) {
    await settle(callbacks.onEpochBegin?.(epoch));
    if (shuffle) rng.shuffle(stepper.order(count), count);
    const start = now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let batch = 0; batch < steps; batch++) {
      const first = batch * batchSize;
      const rows = Math.min(batchSize, count - first);
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
      if (callbacks.onBatchEnd) {
        const logs: BatchLogs = {
          size: rows,
          batchLoss: step.loss,
          loss: lossSum / seen,
          accuracy: correct / seen,
          imagesPerSecond: seen / Math.max(now() - start, 1e-9),
        };
        await settle(callbacks.onBatchEnd(batch, logs));
      }
    }
    const seconds = now() - start;
    const logs: EpochLogs = { loss: lossSum / seen, accuracy: correct / seen, seconds, imagesPerSecond: seen / Math.max(seconds, 1e-9) };
    if (validate) {
      const result = validate();
      logs.valLoss = result.loss;
      logs.valAccuracy = result.accuracy;
      history.history.valLoss?.push(result.loss);
      history.history.valAccuracy?.push(result.accuracy);
    }
    history.epoch.push(epoch);
    history.history.loss.push(logs.loss);
    history.history.accuracy.push(logs.accuracy);
    history.history.seconds.push(seconds);
    history.history.imagesPerSecond.push(logs.imagesPerSecond);
    await settle(callbacks.onEpochEnd?.(epoch, logs));
  }
  await settle(callbacks.onTrainEnd?.({ epochs }));
  return history;
}
