/** `fmnist train`: one architecture with good modern defaults (the paper's settings are in `reproduce`). */
import { Command, Option } from 'commander';
import { ArgumentError } from '../errors.js';
import { ARCHITECTURES, MODERN_DEFAULTS, type ArchitectureName } from '../models/architectures.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_FILE, readCheckpoint, type TrainingCheckpoint } from '../models/checkpoint.js';
import { saveModel } from '../models/save.js';
import { OPTIMIZERS, type OptimizerName } from '../train/optimizers.js';
import { TRAINING_PRESETS, trainAndEvaluate, type LearningRateScheduleConfig, type TrainingConfig } from '../models/training.js';
import type { AugmentOptions } from '../train/fit.js';
import {
  augmentation,
  fraction,
  integerList,
  learningRateSchedule,
  nonNegativeInteger,
  oneOf,
  pathValue,
  positiveInteger,
  positiveNumber,
  rate,
} from './options.js';
import { progressCallbacks } from './progress.js';
import { cliEvaluation, loadData } from './session.js';
import { checkFitsInMemory, checkOptionsApply, checkOutputFile } from './validate.js';
import { coreSettings, describeCore, withCoreOptions, type CoreFlags } from './core-options.js';

interface TrainFlags extends CoreFlags {
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

export function trainCommand(): Command {
  const command = new Command('train')
    .description('train one architecture on Fashion-MNIST, evaluate it on the test set')
    .addOption(new Option('--model <name>', 'architecture').choices(ARCHITECTURES))
    .addOption(
      new Option(
        '--preset <name>',
        'a tuned configuration (best: a two-block CNN with batch norm, dropout, augmentation and a cosine schedule, ≥ 93.5 % in 10 minutes on 2 cores); options given too override it',
      ).choices(Object.keys(TRAINING_PRESETS)),
    )
    .option('--hidden <sizes>', 'hidden Dense sizes, e.g. 300,200,75', integerList)
    .addOption(new Option('--activation <name>', 'hidden activation (mlp, cnn)').choices(['relu', 'sigmoid']))
    .option('--filters <list>', 'cnn: convolution filters, one conv + pool block each (default 32; e.g. 32,64)', integerList)
    .option('--kernel-size <n>', 'cnn: convolution kernel size (default 3)', positiveInteger)
    .addOption(new Option('--padding <mode>', 'cnn: convolution padding (default valid)').choices(['valid', 'same']))
    .option('--dropout <rate>', 'mlp, cnn: a Dropout of this rate after every hidden Dense', rate)
    .option('--batch-norm', 'mlp, cnn: a BatchNormalization after every hidden Dense and every convolution')
    .option(
      '--validation-split <fraction>',
      'hold out this fraction of the training images to validate on every epoch (never the test set)',
      fraction,
    )
    .option(
      '--early-stopping <patience>',
      'stop after PATIENCE epochs without a better validation loss, keep the best weights (needs --validation-split)',
      nonNegativeInteger,
    )
    .option(
      '--lr-schedule <schedule>',
      'learning-rate schedule: cosine, step:EPOCHS:FACTOR or plateau (plateau needs --validation-split)',
      learningRateSchedule,
    )
    .option('--augment <spec>', 'random shifts and/or horizontal flips of the training images, e.g. shift:2,flip', augmentation)
    .option('--epochs <n>', "epochs (default: the model's modern default)", positiveInteger)
    .option('--batch-size <n>', 'mini-batch size', positiveInteger)
    .option('--lr <rate>', 'learning rate', positiveNumber)
    .option('--optimizer <name>', `optimizer: ${OPTIMIZERS.join(', ')}`, oneOf(OPTIMIZERS))
    .option('--seed <n>', 'seed of the initialisation and the shuffle', nonNegativeInteger, 0)
    .option('--data <dir>', 'directory with the four IDX files or the two CSV files', pathValue)
    .option('--limit <n>', 'train on the first N training images', positiveInteger)
    .option('--save <file>', 'save the trained model (written atomically)', pathValue)
    .option('--json', 'print one JSON object on stdout', false)
    .option('--checkpoint-dir <dir>', 'write a training checkpoint there after every epoch (created if missing)', pathValue)
    .option('--resume <dir>', "continue the run of DIR's checkpoint (its settings; keeps checkpointing there)", pathValue);
  return withCoreOptions(command).action(async (flags: TrainFlags, command: Command) => {
    let checkpoint: TrainingCheckpoint | undefined;
    let config: TrainingConfig;
    if (flags.resume !== undefined) {
      const given = RUN_FLAGS.filter((name) => command.getOptionValueSource(name) === 'cli');
      if (given.length > 0) {
        throw new ArgumentError('--resume', `continues the run with its own settings; drop ${given.map(flagName).join(', ')}`);
      }
      checkpoint = await readCheckpoint(flags.resume);
      // Threads never change the bits (strict build), so a resumed run may use another count.
      config = { ...checkpoint.config, ...coreSettings(flags) };
    } else {
      config = { ...configFromFlags(flags), ...coreSettings(flags) };
    }
    const checkpointDir = flags.checkpointDir ?? flags.resume;
    if (flags.checkpointDir !== undefined) await checkpointDirectory(flags.checkpointDir);
    if (flags.save !== undefined) checkOutputFile('--save', flags.save);
    const model = config.architecture;
    checkFitsInMemory({ ...config, architectureOptions: config.architectureOptions ?? {}, optimizer: config.optimizer.type });
    const data = await loadData(flags.data, flags.json);
    const used = Math.min(config.limit ?? data.train.count, data.train.count);
    const trainImages = used - (config.validationSplit === undefined ? 0 : Math.floor(used * config.validationSplit));
    const result = await trainAndEvaluate(config, data, {
      checkpointDir,
      resume: checkpoint,
      callbacks: progressCallbacks({
        label: `${flags.preset ?? model} [${config.threads} thread${config.threads === 1 ? '' : 's'}]`,
        epochs: config.epochs,
        batches: Math.ceil(trainImages / config.batchSize),
        json: flags.json,
        validation: config.validationSplit === undefined ? 'test' : 'val',
      }),
    });
    if (flags.save !== undefined) await saveModel(result.model, flags.save);
    const evaluation = cliEvaluation(result.evaluation);
    // The validation metrics of the weights the model ends with: the best epoch's under early stopping.
    const valLosses = config.validationSplit === undefined ? undefined : result.history.history.valLoss;
    const kept =
      valLosses === undefined
        ? -1
        : config.earlyStoppingPatience === undefined
          ? valLosses.length - 1
          : valLosses.indexOf(Math.min(...valLosses));
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({
          command: 'train',
          model,
          preset: flags.preset ?? null,
          resumedFrom: flags.resume === undefined ? null : { directory: flags.resume, epoch: checkpoint!.epoch },
          architecture: result.model.architecture,
          optimizer: config.optimizer,
          reduction: config.reduction,
          batchSize: config.batchSize,
          seed: config.seed,
          trainImages: result.trainImages,
          threads: result.model.core.threads,
          simd: result.model.core.simd,
          validationSplit: config.validationSplit ?? null,
          valLoss: kept < 0 ? null : valLosses![kept],
          valAccuracy: kept < 0 ? null : result.history.history.valAccuracy![kept],
          learningRateSchedule: config.learningRateSchedule ?? null,
          augment: config.augment ?? null,
          epochs: config.epochs,
          epochsTrained: result.history.epoch.length,
          stoppedEarly: result.stoppedEarly,
          secondsPerEpoch: result.secondsPerEpoch,
          imagesPerSecond: result.imagesPerSecond,
          testAccuracy: evaluation.testAccuracy,
          testLoss: evaluation.testLoss,
          perClass: evaluation.perClass,
          confusionMatrix: evaluation.confusionMatrix,
          history: result.history.history,
          savedTo: flags.save ?? null,
        })}\n`,
      );
      return;
    }
    process.stdout.write(`${result.model.summary()}\n\n`);
    process.stdout.write(
      `test accuracy ${(evaluation.testAccuracy * 100).toFixed(2)}%, test loss ${evaluation.testLoss.toFixed(4)}, ` +
        `${result.secondsPerEpoch.toFixed(2)} s/epoch, ${Math.round(result.imagesPerSecond)} images/s (${describeCore(result.model.core)})\n\n`,
    );
    if (kept >= 0) {
      const stop = result.stoppedEarly ? `, stopped early after ${result.history.epoch.length} epochs` : '';
      process.stdout.write(
        `validation (${config.validationSplit} of the training set) loss ${valLosses![kept]!.toFixed(4)}, accuracy ` +
          `${(result.history.history.valAccuracy![kept]! * 100).toFixed(2)}% at epoch ${kept + 1}${stop}\n\n`,
      );
    }
    process.stdout.write(`${evaluation.reportText}\n\nconfusion matrix (rows: true class, columns: predicted)\n`);
    process.stdout.write(`${evaluation.confusionMatrix.map((row) => row.map((v) => String(v).padStart(5)).join('')).join('\n')}\n`);
    if (flags.save !== undefined) process.stdout.write(`\nsaved to ${flags.save}\n`);
  });
}

/** The flags that define a run (refused with --resume, which takes them from the checkpoint). */
const RUN_FLAGS = [
  'model',
  'preset',
  'hidden',
  'activation',
  'filters',
  'kernelSize',
  'padding',
  'dropout',
  'batchNorm',
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
function flagName(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * The run the flags describe.
 * @throws ArgumentError naming the flag that is missing, does not apply or needs another.
 */
function configFromFlags(flags: TrainFlags): TrainingConfig {
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
  if (validationSplit === undefined) {
    if (flags.earlyStopping !== undefined)
      throw new ArgumentError('--early-stopping', 'needs --validation-split (early stopping never looks at the test set)');
    if (flags.lrSchedule?.type === 'plateau') {
      throw new ArgumentError('--lr-schedule', 'plateau needs --validation-split (it watches the validation loss, never the test set)');
    }
  }
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

/** Creates `dir` if missing. @throws ArgumentError naming --checkpoint-dir when it is not a writable directory. */
async function checkpointDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new ArgumentError('--checkpoint-dir', `cannot create ${dir}: ${(error as Error).message}`);
  }
  checkOutputFile('--checkpoint-dir', join(dir, CHECKPOINT_FILE));
}

/** The entries whose value is not undefined, so they can override a preset's. */
function definedOnly<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}
