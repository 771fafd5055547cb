/**
 * Callbacks that watch a logged metric at the end of every epoch, with Keras' names, options and
 * rules (keras/src/callbacks/early_stopping.py, reduce_lr_on_plateau.py):
 * - `earlyStopping`: stops when the metric has not improved for `patience` epochs; with
 *   `restoreBestWeights`, the model ends with the weights of its best epoch.
 * - `reduceLROnPlateau`: multiplies the learning rate by `factor` when the metric has not improved
 *   for `patience` epochs, then waits `cooldown` epochs, never going below `minLearningRate`.
 * "Improved" means below best − minDelta for a loss and above best + minDelta for an accuracy.
 * Both get the model from `fit` through `setModel`.
 */
import { ArgumentError, describeValue } from '../errors.js';
import type { CallbackModel, Callbacks, CallbackState, EpochLogs } from './callbacks.js';

/** A metric of the epoch logs. Accuracies improve upwards, losses downwards. */
export type MonitorName = 'valLoss' | 'valAccuracy' | 'loss' | 'accuracy';
const MONITORS: readonly MonitorName[] = ['valLoss', 'valAccuracy', 'loss', 'accuracy'];

export interface EarlyStoppingOptions {
  /** Default 'valLoss'. */
  monitor?: MonitorName;
  /** Epochs without improvement before stopping. Default 0 (Keras). */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /**
   * End with the weights of the best epoch (copied at that epoch, restored when training ends,
   * stopped or not, as Keras 3 does). Default false.
   */
  restoreBestWeights?: boolean;
}

export interface ReduceLROnPlateauOptions {
  /** Default 'valLoss'. */
  monitor?: MonitorName;
  /** New rate = rate · factor, 0 < factor < 1. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  patience?: number;
  /** Default 1e-4 (Keras). */
  minDelta?: number;
  /** Lower bound of the rate. Default 0. */
  minLearningRate?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
}

/** The training's best value of one metric so far. */
class Monitor {
  readonly name: MonitorName;
  private readonly minDelta: number;
  private readonly higherIsBetter: boolean;
  best = Number.NaN;

  constructor(owner: string, monitor: unknown, minDelta: unknown) {
    if (!MONITORS.includes(monitor as MonitorName)) {
      throw new ArgumentError(
        `${owner} monitor`,
        `expected one of ${MONITORS.map((m) => `'${m}'`).join(', ')}, got ${describeValue(monitor)}`,
      );
    }
    this.name = monitor as MonitorName;
    this.minDelta = nonNegative(`${owner} minDelta`, minDelta);
    this.higherIsBetter = this.name.endsWith('ccuracy');
  }

  /** Continues from a saved best (NaN, which JSON writes as null, or absent: none yet). */
  restore(best: unknown): void {
    this.best = typeof best === 'number' ? best : Number.NaN;
  }

  /** The metric in `logs`. @throws ArgumentError when the logs lack it (no validation data). */
  value(logs: EpochLogs): number {
    const value = logs[this.name];
    if (value === undefined) {
      throw new ArgumentError(`monitor`, `'${this.name}' is not in the epoch logs: give fit validationData or validationSplit`);
    }
    return value;
  }

  /** Records `value` as the best when it improves on it (the first value always does). */
  improves(value: number): boolean {
    const better = Number.isNaN(this.best) || (this.higherIsBetter ? value > this.best + this.minDelta : value < this.best - this.minDelta);
    if (better) this.best = value;
    return better;
  }
}

/** Keras' EarlyStopping (see the file header). @throws ArgumentError naming the invalid option. */
export function earlyStopping(options: EarlyStoppingOptions = {}): Callbacks {
  const monitor = new Monitor('earlyStopping', options.monitor ?? 'valLoss', options.minDelta ?? 0);
  const patience = nonNegativeInteger('earlyStopping patience', options.patience ?? 0);
  const restore = options.restoreBestWeights ?? false;
  let model: CallbackModel | undefined;
  let wait = 0;
  let best: Float32Array[] | undefined;
  let bestIsLast = true;
  let restored: CallbackState | undefined;
  return {
    setModel(m) {
      model = m;
    },
    getState: () => ({ values: { best: monitor.best, wait, bestIsLast }, ...(best ? { weights: best } : {}) }),
    setState(state) {
      restored = state;
    },
    onTrainBegin() {
      monitor.restore(restored?.values.best);
      wait = Number(restored?.values.wait ?? 0);
      bestIsLast = restored?.values.bestIsLast !== false;
      best = restored?.weights;
      restored = undefined;
    },
    onEpochEnd(_epoch, logs) {
      const value = monitor.value(logs);
      if (monitor.improves(value)) {
        wait = 0;
        bestIsLast = true;
        if (restore)
          best = requireModel(model)
            .getWeights()
            .map((w) => w.values);
        return;
      }
      bestIsLast = false;
      wait++;
      if (wait >= patience) requireModel(model).stopTraining = true;
    },
    onTrainEnd() {
      if (restore && best !== undefined && !bestIsLast) requireModel(model).setWeights(best);
    },
  };
}

/** Keras' ReduceLROnPlateau (see the file header). @throws ArgumentError naming the invalid option. */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): Callbacks {
  const monitor = new Monitor('reduceLROnPlateau', options.monitor ?? 'valLoss', options.minDelta ?? 1e-4);
  const factor = options.factor ?? 0.1;
  if (typeof factor !== 'number' || !(factor > 0 && factor < 1)) {
    throw new ArgumentError('reduceLROnPlateau factor', `expected a number between 0 and 1 (exclusive), got ${describeValue(factor)}`);
  }
  const patience = nonNegativeInteger('reduceLROnPlateau patience', options.patience ?? 10);
  const cooldown = nonNegativeInteger('reduceLROnPlateau cooldown', options.cooldown ?? 0);
  const minLearningRate = nonNegative('reduceLROnPlateau minLearningRate', options.minLearningRate ?? 0);
  let model: CallbackModel | undefined;
  let wait = 0;
  let cooldownLeft = 0;
  let restored: CallbackState | undefined;
  return {
    setModel(m) {
      model = m;
    },
    getState: () => ({ values: { best: monitor.best, wait, cooldownLeft } }),
    setState(state) {
      restored = state;
    },
    onTrainBegin() {
      monitor.restore(restored?.values.best);
      wait = Number(restored?.values.wait ?? 0);
      cooldownLeft = Number(restored?.values.cooldownLeft ?? 0);
      restored = undefined;
    },
    onEpochEnd(_epoch, logs) {
      const value = monitor.value(logs);
      if (cooldownLeft > 0) {
        cooldownLeft--;
        wait = 0;
      }
      if (monitor.improves(value)) {
        wait = 0;
      } else if (cooldownLeft === 0) {
        wait++;
        if (wait >= patience) {
          const target = requireModel(model);
          if (target.learningRate > minLearningRate) {
            target.learningRate = Math.max(target.learningRate * factor, minLearningRate);
            cooldownLeft = cooldown;
            wait = 0;
          }
        }
      }
    },
  };
}

function requireModel(model: CallbackModel | undefined): CallbackModel {
  if (!model) throw new Error('internal: the callback was not given its model (fit calls setModel)');
  return model;
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ArgumentError(name, `expected a non-negative number, got ${describeValue(value)}`);
  }
  return value;
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0)
    throw new ArgumentError(name, `expected a non-negative integer, got ${describeValue(value)}`);
  return value as number;
}
