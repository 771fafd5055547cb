/**
 * Training callbacks, with TF.js' names (tfjs-layers base_callbacks.ts). Each may return a promise,
 * which `fit` awaits before going on (so a browser can repaint between batches); epochs and batches
 * are 0-based, as in Keras.
 */

/** Logs after every batch. `loss` and `accuracy` are running means over the epoch so far. */
export interface BatchLogs {
  /** Samples in this batch (the last batch of an epoch may be partial). */
  size: number;
  /** This batch's loss, mean over its samples. */
  batchLoss: number;
  /** Running mean loss per sample over the epoch so far. */
  loss: number;
  /** Running accuracy (0..1) over the epoch so far, of the predictions made during the forward passes. */
  accuracy: number;
  /** Training throughput of the epoch so far. */
  imagesPerSecond: number;
}

/** Logs after every epoch. */
export interface EpochLogs {
  /** Mean loss per training sample over the epoch (of the weights as they were at each batch, like Keras). */
  loss: number;
  /** Training accuracy over the epoch (0..1), same convention. */
  accuracy: number;
  /** Loss on `validationData` after the epoch, when given. */
  valLoss?: number;
  /** Accuracy on `validationData` after the epoch, when given. */
  valAccuracy?: number;
  /** Wall-clock seconds of the epoch's training steps (validation excluded). */
  seconds: number;
  /** Training images per second over the epoch. */
  imagesPerSecond: number;
  /** The optimizer's learning rate at the end of the epoch (what schedules and reduceLROnPlateau set). */
  learningRate: number;
}

export interface TrainLogs {
  /** Epochs completed. */
  epochs: number;
}

/** What a callback may do to the model it trains (Sequential has all of it). */
export interface CallbackModel {
  /** Set to true to stop the training after the current batch. */
  stopTraining: boolean;
  /** The optimizer's learning rate. */
  learningRate: number;
  getWeights(): { name: string; values: Float32Array }[];
  setWeights(weights: readonly (Float32Array | { values: Float32Array })[]): void;
}

/** The progress of a stateful callback, for checkpoints: numbers and flags, and weights if it keeps some. */
export interface CallbackState {
  values: Record<string, number | boolean>;
  weights?: Float32Array[];
}

export interface Callbacks {
  /** Called by `fit` before training with the model being trained (TF.js' setModel). */
  setModel?(model: CallbackModel): void;
  /** Stateful callbacks: a copy of their progress (saved in a training checkpoint). */
  getState?(): CallbackState;
  /** Stateful callbacks: continue from a `getState()` at the next `onTrainBegin` (instead of starting afresh). */
  setState?(state: CallbackState): void;
  onTrainBegin?(): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onBatchEnd?(batch: number, logs: BatchLogs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs): void | Promise<void>;
  onTrainEnd?(logs: TrainLogs): void | Promise<void>;
}

/**
 * The record `fit` returns (TF.js' History): one entry per trained epoch in each list, the
 * `EpochLogs` of that epoch. `epoch.length` is the number of epochs trained. A fit that continues a
 * history (`FitOptions.history`) appends to it.
 */
export interface History {
  /** 0-based epoch numbers. */
  epoch: number[];
  history: {
    loss: number[];
    accuracy: number[];
    /** With a validation set (validationData or validationSplit). */
    valLoss?: number[];
    valAccuracy?: number[];
    seconds: number[];
    imagesPerSecond: number[];
  };
}

/** An empty history (with the lists of the validation metrics when `validated`). */
export function emptyHistory(validated: boolean): History {
  return {
    epoch: [],
    history: {
      loss: [],
      accuracy: [],
      seconds: [],
      imagesPerSecond: [],
      ...(validated ? { valLoss: [], valAccuracy: [] } : {}),
    },
  };
}

/** Appends one epoch's logs (a validation list is added at its first value). */
export function recordEpoch(history: History, epoch: number, logs: EpochLogs): void {
  const lists = history.history;
  history.epoch.push(epoch);
  lists.loss.push(logs.loss);
  lists.accuracy.push(logs.accuracy);
  lists.seconds.push(logs.seconds);
  lists.imagesPerSecond.push(logs.imagesPerSecond);
  if (logs.valLoss !== undefined) {
    lists.valLoss ??= [];
    lists.valLoss.push(logs.valLoss);
  }
  if (logs.valAccuracy !== undefined) {
    lists.valAccuracy ??= [];
    lists.valAccuracy.push(logs.valAccuracy);
  }
}

/** Awaits only when the callback returned a promise (an await per batch costs a microtask turn). */
export function settle(result: void | Promise<void>): Promise<void> | undefined {
  return result instanceof Promise ? result : undefined;
}
