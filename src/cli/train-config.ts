/** `fmnist train`'s flags as a TrainingConfig: a new run, or one continuing a loaded model (`--load`). */
import { ArgumentError } from '../errors.js';
import { MODERN_DEFAULTS, type ArchitectureName } from '../models/architectures.js';
import type { Sequential } from '../models/sequential.js';
import { checkValidationNeeds, TRAINING_PRESETS, type LearningRateScheduleConfig, type TrainingConfig } from '../models/training.js';
import type { AugmentOptions } from '../train/fit.js';
import type { OptimizerName } from '../train/optimizers.js';
import type { CoreFlags } from './core-options.js';
import { checkOptionsApply } from './validate.js';

export interface TrainFlags extends CoreFlags {
  load?: string;
  overwrite: boolean;
  model?: ArchitectureName;
  preset?: keyof typeof TRAINING_PRESETS;
  hidden?: number[];
  activation?: 'relu' | 'sigmoid';
  filters?: number[];
  kernelSize?: number;
  padding?: 'valid' | 'same';
  dropout?: number;
  batchNorm?: boolean;
  validationSplit?: number;
  earlyStopping?: number;
  lrSchedule?: LearningRateScheduleConfig;
  augment?: AugmentOptions;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerName;
  seed: number;
  data?: string;
  limit?: number;
  save?: string;
  json: boolean;
  checkpointDir?: string;
  resume?: string;
}

/** The flags that shape an architecture: refused with --load, which trains the file's own layers. */
export const ARCHITECTURE_FLAGS = [
  'model',
  'preset',
  'hidden',
  'activation',
  'filters',
  'kernelSize',
  'padding',
  'dropout',
  'batchNorm',
] as const;

/** The flags that define a run (refused with --resume, which takes them from the checkpoint). */
export const RUN_FLAGS = [
  ...ARCHITECTURE_FLAGS,
  'validationSplit',
  'earlyStopping',
  'lrSchedule',
  'augment',
  'epochs',
  'batchSize',
  'lr',
  'optimizer',
  'seed',
  'limit',
] as const;

/** `kernelSize` → `--kernel-size`. */
export function flagName(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The run the flags describe.
 * @throws ArgumentError naming the flag that is missing, does not apply or needs another.
 */
export function configFromFlags(flags: TrainFlags): TrainingConfig {
  const preset = flags.preset === undefined ? undefined : TRAINING_PRESETS[flags.preset];
  const model = flags.model ?? preset?.architecture;
  if (model === undefined) throw new ArgumentError('--model', 'required: one of scratch-mlp, mlp, cnn (or --preset best)');
  if (preset !== undefined && model !== preset.architecture) {
    throw new ArgumentError('--model', `--preset ${flags.preset} trains ${preset.architecture}, got --model ${model}`);
  }
  const architectureFlags = {
    hidden: flags.hidden,
    activation: flags.activation,
    filters: flags.filters,
    kernelSize: flags.kernelSize,
    padding: flags.padding,
    dropout: flags.dropout,
    batchNorm: flags.batchNorm,
  };
  checkOptionsApply(architectureFlags, [model], `--model ${model}`);
  const validationSplit = flags.validationSplit ?? preset?.validationSplit;
  checkValidationNeeds({ validationSplit, earlyStoppingPatience: flags.earlyStopping, learningRateSchedule: flags.lrSchedule }, FLAG_NAMES);
  const defaults = preset ?? MODERN_DEFAULTS[model];
  const optimizerType = flags.optimizer ?? defaults.optimizer.type;
  return {
    architecture: model,
    architectureOptions: {
      ...preset?.architectureOptions,
      ...definedOnly(architectureFlags),
    },
    optimizer: {
      ...(optimizerType === defaults.optimizer.type ? defaults.optimizer : { type: optimizerType }),
      ...(flags.lr === undefined ? {} : { learningRate: flags.lr }),
    },
    reduction: defaults.reduction,
    epochs: flags.epochs ?? defaults.epochs,
    batchSize: flags.batchSize ?? defaults.batchSize,
    seed: flags.seed,
    limit: flags.limit,
    validationSplit,
    earlyStoppingPatience: flags.earlyStopping ?? preset?.earlyStoppingPatience,
    learningRateSchedule: flags.lrSchedule ?? preset?.learningRateSchedule,
    augment: flags.augment ?? preset?.augment,
  };
}

/** The entries whose value is not undefined, so they can override a preset's. */
function definedOnly<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The validation-split rule's fields as flags (the rule and its message: models/training-config.ts). */
const FLAG_NAMES = {
  validationSplit: '--validation-split',
  earlyStoppingPatience: '--early-stopping',
  learningRateSchedule: '--lr-schedule',
};

/**
 * The run `--load FILE` continues: the loaded model's layers and weights, trained with the training
 * flags given, else the file's compile options, else Adam at 1e-3, batch 32, one epoch.
 */
export function loadedConfigFromFlags(flags: TrainFlags, model: Sequential): TrainingConfig {
  checkValidationNeeds(
    { validationSplit: flags.validationSplit, earlyStoppingPatience: flags.earlyStopping, learningRateSchedule: flags.lrSchedule },
    FLAG_NAMES,
  );
  const compiled = model.compileOptions;
  const defaults = MODERN_DEFAULTS.mlp;
  const saved = compiled?.optimizer ?? defaults.optimizer;
  const type = flags.optimizer ?? saved.type;
  return {
    architecture: 'loaded',
    loadedFrom: flags.load,
    optimizer: {
      ...(type === saved.type ? saved : { type }),
      ...(flags.lr === undefined ? {} : { learningRate: flags.lr }),
    },
    reduction: compiled?.reduction ?? defaults.reduction,
    epochs: flags.epochs ?? defaults.epochs,
    batchSize: flags.batchSize ?? defaults.batchSize,
    seed: flags.seed,
    limit: flags.limit,
    validationSplit: flags.validationSplit,
    earlyStoppingPatience: flags.earlyStopping,
    learningRateSchedule: flags.lrSchedule,
    augment: flags.augment,
  };
}
