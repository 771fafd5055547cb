/**
 * What defines a training run, as data: what `trainAndEvaluate` runs (training.ts), what a training
 * checkpoint records (checkpoint.ts) and what the CLI and the demo's worker build.
 */
import { ArgumentError } from '../errors.js';
import { splitCounts, type AugmentOptions } from '../train/fit.js';
import { OPTIMIZERS, resolveOptimizer, type OptimizerConfig } from '../train/optimizers.js';
import { array, boolean, integer, literal, number, object, optional, SchemaProblem, string, tagged, type Check } from '../util/schema.js';
import { ARCHITECTURES, architectureLayers, type ArchitectureName, type ArchitectureOptions } from './architectures.js';
import type { ReductionName } from './types.js';

/** Everything that defines a training run: architecture, hyper-parameters, data limits, seed, core. */
export interface TrainingConfig {
  /**
   * The model to make, or `'loaded'`: train the model given to `trainAndEvaluate` (`options.model`,
   * e.g. a model file's or an import's), whose layers and weights a checkpoint of the run keeps.
   */
  architecture: ArchitectureName | 'loaded';
  architectureOptions?: ArchitectureOptions;
  /** For a `'loaded'` run: the file its model came from (informational: what `--json` and logs name). */
  loadedFrom?: string;
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

/** How `checkValidationNeeds` names the three fields: the config's keys, or the CLI's flags. */
export interface ValidationFieldNames {
  validationSplit: string;
  earlyStoppingPatience: string;
  learningRateSchedule: string;
}

const FIELD_NAMES: ValidationFieldNames = {
  validationSplit: 'validationSplit',
  earlyStoppingPatience: 'earlyStoppingPatience',
  learningRateSchedule: 'learningRateSchedule',
};

/**
 * The rule of the parts of a configuration that need a validation split (the test set never chooses
 * epochs): the one place it is spelled, for the library and the CLI (which passes its flag names).
 * @throws ArgumentError naming the field when `earlyStoppingPatience` or a plateau schedule comes without `validationSplit`.
 */
export function checkValidationNeeds(
  config: Pick<TrainingConfig, 'validationSplit' | 'earlyStoppingPatience' | 'learningRateSchedule'>,
  names: ValidationFieldNames = FIELD_NAMES,
): void {
  if (config.validationSplit !== undefined) return;
  if (config.earlyStoppingPatience !== undefined) {
    throw new ArgumentError(names.earlyStoppingPatience, `needs ${names.validationSplit} (early stopping never looks at the test set)`);
  }
  if (config.learningRateSchedule?.type === 'plateau') {
    throw new ArgumentError(
      names.learningRateSchedule,
      `plateau needs ${names.validationSplit} (it watches the validation loss, never the test set)`,
    );
  }
}

/** The images a run trains on per epoch, of `available`: its `limit`, less the validation split. */
export function trainingImages(config: Pick<TrainingConfig, 'limit' | 'validationSplit'>, available: number): number {
  const { count, validationCount } = splitCounts(available, config.limit, config.validationSplit);
  return count - validationCount;
}

const positive = number({ min: 0, exclusiveMin: true });
const oneOrList = (value: unknown, path: string) =>
  typeof value === 'number' ? integer(1)(value, path) : array(integer(1), { min: 1 })(value, path);

/**
 * A TrainingConfig as data read from a file (a checkpoint): every field's type and range, the
 * architecture options as the factory takes them, the optimizer as `compile` takes it, and the
 * validation-split rule. Checked before anything of the run is made.
 */
export const TRAINING_CONFIG: Check<TrainingConfig> = (value, path) => {
  const config = object({
    architecture: literal(...ARCHITECTURES, 'loaded'),
    loadedFrom: optional(string),
    architectureOptions: optional(
      object({
        hidden: optional(oneOrList),
        activation: optional(literal('relu', 'sigmoid')),
        filters: optional(oneOrList),
        kernelSize: optional(integer(1)),
        padding: optional(literal('valid', 'same')),
        dropout: optional(number({ min: 0, max: 1, exclusiveMax: true })),
        batchNorm: optional(boolean),
      }),
    ),
    optimizer: object({
      type: literal(...OPTIMIZERS),
      learningRate: optional(positive),
      momentum: optional(number({ min: 0 })),
      beta1: optional(number({ min: 0 })),
      beta2: optional(number({ min: 0 })),
      epsilon: optional(positive),
    }),
    reduction: literal('mean', 'sum'),
    epochs: integer(1),
    batchSize: integer(1),
    seed: integer(0),
    limit: optional(integer(1)),
    testLimit: optional(integer(1)),
    threads: optional(integer(1, 256)),
    simd: optional(literal('auto', 'strict', 'relaxed')),
    validationSplit: optional(number({ min: 0, exclusiveMin: true, max: 1, exclusiveMax: true })),
    earlyStoppingPatience: optional(integer(0)),
    learningRateSchedule: optional(
      tagged<LearningRateScheduleConfig>('type', {
        cosine: object({ type: literal('cosine') }),
        step: object({ type: literal('step'), epochs: integer(1), factor: positive }),
        plateau: object({ type: literal('plateau') }),
      }),
    ),
    augment: optional(object({ shift: integer(0, 27), flip: boolean })),
  })(value, path) as TrainingConfig;
  // What the factory, the optimizer and the split rule refuse, under the field's path.
  const within = (prefix: string, check: () => void) => {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ArgumentError)) throw error;
      throw new SchemaProblem(`${path}.${prefix}${error.argument}`, error.problem);
    }
  };
  const { architecture } = config;
  if (architecture !== 'loaded') within('architectureOptions.', () => architectureLayers(architecture, config.architectureOptions));
  within('', () => resolveOptimizer(config.optimizer));
  within('', () => checkValidationNeeds(config));
  return config;
};
