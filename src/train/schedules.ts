/**
 * Learning-rate schedules: pure functions of the training position, passed to `fit` (or
 * `compile`) as `learningRate`. Each returns the rate for the optimizer step about to run.
 * Keras' names and formulas (keras/src/optimizers/schedules/learning_rate_schedule.py):
 * ExponentialDecay, CosineDecay; `stepDecay` is the classic step schedule (Keras' examples'
 * `LearningRateScheduler` with a step function).
 */
import { ArgumentError } from '../errors.js';

/** Where training is when a step runs. */
export interface ScheduleProgress {
  /** 0-based epoch of the step. */
  epoch: number;
  /** 0-based optimizer step since training began (over every epoch). */
  step: number;
  /** Optimizer steps in one epoch (ceil(images / batchSize)). */
  stepsPerEpoch: number;
}

/** A learning rate per step. Must return a finite positive number. */
export type LearningRateSchedule = (progress: ScheduleProgress) => number;

function positive(name: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new ArgumentError(name, `expected a positive finite number, got ${String(value)}`);
  }
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0)) throw new ArgumentError(name, `expected a positive integer, got ${String(value)}`);
  return value;
}

/** rate · factor^floor(epoch / epochs): multiply by `factor` every `epochs` epochs. */
export function stepDecay(options: { initialRate: number; epochs: number; factor: number }): LearningRateSchedule {
  const initialRate = positive('stepDecay initialRate', options.initialRate);
  const epochs = positiveInteger('stepDecay epochs', options.epochs);
  const factor = positive('stepDecay factor', options.factor);
  return ({ epoch }) => initialRate * factor ** Math.floor(epoch / epochs);
}

/**
 * Keras' ExponentialDecay: rate · decayRate^(step / decaySteps), the exponent floored when
 * `staircase`.
 */
export function exponentialDecay(options: {
  initialRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
}): LearningRateSchedule {
  const initialRate = positive('exponentialDecay initialRate', options.initialRate);
  const decaySteps = positive('exponentialDecay decaySteps', options.decaySteps);
  const decayRate = positive('exponentialDecay decayRate', options.decayRate);
  const staircase = options.staircase ?? false;
  return ({ step }) => {
    const p = step / decaySteps;
    return initialRate * decayRate ** (staircase ? Math.floor(p) : p);
  };
}

/**
 * Keras' CosineDecay (Loshchilov & Hutter 2017, SGDR, without restarts) over `epochs` epochs,
 * step by step: rate · ((1 − alpha)·½(1 + cos(π·t)) + alpha), t = step / (epochs · stepsPerEpoch)
 * clamped to 1, so the rate ends at alpha · rate.
 */
export function cosineDecay(options: { initialRate: number; epochs: number; alpha?: number }): LearningRateSchedule {
  const initialRate = positive('cosineDecay initialRate', options.initialRate);
  const epochs = positiveInteger('cosineDecay epochs', options.epochs);
  const alpha = options.alpha ?? 0;
  if (!(Number.isFinite(alpha) && alpha >= 0 && alpha <= 1))
    throw new ArgumentError('cosineDecay alpha', `expected a number in [0, 1], got ${String(alpha)}`);
  return ({ step, stepsPerEpoch }) => {
    const t = Math.min(1, step / (epochs * stepsPerEpoch));
    return initialRate * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
  };
}
