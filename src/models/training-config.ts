/**
 * What defines a training run, as data: what `trainAndEvaluate` runs (training.ts), what a training
 * checkpoint records (checkpoint.ts) and what the CLI and the demo's worker build.
 */
import { ArgumentError } from '../errors.js';
import type { AugmentOptions } from '../train/fit.js';
import type { OptimizerConfig } from '../train/optimizers.js';
import type { ArchitectureName, ArchitectureOptions } from './architectures.js';
import type { ReductionName } from './types.js';

/** Everything that defines a training run: architecture, hyper-parameters, data limits, seed, core. */
export interface TrainingConfig {
  architecture: ArchitectureName;
  architectureOptions?: ArchitectureOptions;
  /** The optimizer's own defaults fill what is not given (e.g. the learning rate). */
  optimizer: OptimizerConfig;
  reduction: ReductionName;
  epochs: number;
  batchSize: number;
  /** Seed of the initialisation and the shuffle. */
  seed: number;
  /** Train on the first `limit` training images. */
  limit?: number;
  /** Evaluate on the first `testLimit` test images. */
  testLimit?: number;
  /** Worker threads of the core (passed to `loadCore`; cores without threads ignore it). */
  threads?: number;
  /** SIMD flavour of the core (passed to `loadCore`; cores without a choice ignore it). */
  simd?: 'auto' | 'strict' | 'relaxed';
  /**
   * Hold out this fraction of the training images (fit's `validationSplit`) and validate on it every
   * epoch instead of on the test set.
   */
  validationSplit?: number;
  /**
   * Stop when the validation loss has not improved for this many epochs and end with the best epoch's
   * weights (earlyStopping with restoreBestWeights). Needs `validationSplit`: the test set never
   * chooses epochs.
   */
  earlyStoppingPatience?: number;
  learningRateSchedule?: LearningRateScheduleConfig;
  /** Random shifts and flips of the training images. */
  augment?: AugmentOptions;
}

/**
 * A learning-rate schedule as data (for command lines and workers), from the optimizer's rate:
 * - `cosine`: cosineDecay over the run's epochs, step by step, down to 0;
 * - `step`: × `factor` every `epochs` epochs (stepDecay);
 * - `plateau`: reduceLROnPlateau on the validation loss, × 0.5 after 2 epochs without improvement
 *   (Keras' 0.1 and 10 suit runs of a hundred epochs, not ten); needs `validationSplit`.
 */
export type LearningRateScheduleConfig = { type: 'cosine' } | { type: 'step'; epochs: number; factor: number } | { type: 'plateau' };

/**
 * The parts of a configuration that need a validation split.
 * @throws ArgumentError naming the field when `earlyStoppingPatience` or a plateau schedule comes without `validationSplit`.
 */
export function checkValidationNeeds(config: TrainingConfig): void {
  if (config.validationSplit !== undefined) return;
  if (config.earlyStoppingPatience !== undefined) {
    throw new ArgumentError('earlyStoppingPatience', 'needs validationSplit (early stopping never looks at the test set)');
  }
  if (config.learningRateSchedule?.type === 'plateau') {
    throw new ArgumentError('learningRateSchedule', "'plateau' needs validationSplit (it watches the validation loss, never the test set)");
  }
}
