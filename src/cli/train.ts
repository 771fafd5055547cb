/** `fmnist train`: one architecture with good modern defaults (the paper's settings are in `reproduce`), or `--load` a model file to fine-tune. */
import { realpathSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadCore } from '../core/index.js';
import { ArgumentError } from '../errors.js';
import { ARCHITECTURES } from '../models/architectures.js';
import { CHECKPOINT_FILE, checkpointLockHolder, readCheckpoint, type TrainingCheckpoint } from '../models/checkpoint.js';
import { loadModel, saveModel } from '../models/save.js';
import type { Sequential } from '../models/sequential.js';
import { TRAINING_PRESETS, trainAndEvaluate, trainingImages, type TrainingConfig, type TrainingResult } from '../models/training.js';
import { OPTIMIZERS } from '../train/optimizers.js';
import { coreSettings, describeCore, withCoreOptions } from './core-options.js';
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
import { ARCHITECTURE_FLAGS, configFromFlags, flagName, loadedConfigFromFlags, RUN_FLAGS, type TrainFlags } from './train-config.js';
import { checkFitsInMemory, checkOutputFile, makeParentDirectories } from './validate.js';

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
    .option('--save <file>', 'save the trained model (written atomically; missing directories are created)', pathValue)
    .option('--json', 'print one JSON object on stdout', false)
    .option('--checkpoint-dir <dir>', 'write a training checkpoint there after every epoch (created if missing)', pathValue)
    .option('--resume <dir>', "continue the run of DIR's checkpoint (its settings; keeps checkpointing there)", pathValue)
    .option('--overwrite', 'with --checkpoint-dir: replace the checkpoint already there (else refused: use --resume DIR)', false)
    .option(
      '--load <file>',
      'fine-tune this model file (ours or an import): its layers and weights, trained with the training flags given',
      pathValue,
    );
  return withCoreOptions(command).action(async (flags: TrainFlags, command: Command) => {
    const given = (names: readonly string[]) => names.filter((name) => command.getOptionValueSource(name) === 'cli');
    let checkpoint: TrainingCheckpoint | undefined;
    let loaded: Sequential | undefined;
    let config: TrainingConfig;
    if (flags.resume !== undefined) {
      const refused = given([...RUN_FLAGS, 'load', 'overwrite']);
      if (refused.length > 0) {
        throw new ArgumentError('--resume', `continues the run with its own settings; drop ${refused.map(flagName).join(', ')}`);
      }
      checkpoint = await readCheckpoint(flags.resume);
      // Threads never change the bits (strict build), so a resumed run may use another count.
      config = { ...checkpoint.config, ...coreSettings(flags) };
    } else if (flags.load !== undefined) {
      const refused = given(ARCHITECTURE_FLAGS);
      if (refused.length > 0) {
        throw new ArgumentError('--load', `trains the loaded model's own layers; drop ${refused.map(flagName).join(', ')}`);
      }
      checkOutputs(flags);
      loaded = await loadModel(flags.load, { core: await loadCore(coreSettings(flags)) });
      config = { ...loadedConfigFromFlags(flags, loaded), ...coreSettings(flags) };
    } else {
      config = { ...configFromFlags(flags), ...coreSettings(flags) };
    }
    checkOutputs(flags);
    const checkpointDir = flags.checkpointDir ?? flags.resume;
    if (checkpointDir !== undefined) await checkCheckpointDirectory(checkpointDir, flags);
    const { architecture } = config;
    if (architecture !== 'loaded') {
      checkFitsInMemory({
        ...config,
        architecture,
        architectureOptions: config.architectureOptions ?? {},
        optimizer: config.optimizer.type,
      });
    }
    const label = flags.preset ?? (architecture === 'loaded' ? basename(config.loadedFrom ?? 'model') : architecture);
    const data = await loadData(flags.data, flags.json);
    const result = await trainAndEvaluate(config, data, {
      checkpointDir,
      resume: checkpoint,
      overwrite: flags.overwrite,
      model: loaded,
      callbacks: progressCallbacks({
        label: `${label} [${config.threads} thread${config.threads === 1 ? '' : 's'}]`,
        epochs: config.epochs,
        batches: Math.ceil(trainingImages(config, data.train.count) / config.batchSize),
        json: flags.json,
        validation: config.validationSplit === undefined ? 'test' : 'val',
      }),
    }).catch(asFlagError);
    if (flags.save !== undefined) {
      await makeParentDirectories('--save', flags.save);
      await saveModel(result.model, flags.save);
    }
    printResult(flags, config, result, checkpoint);
  });
}

/** The library names its options; here the user wrote flags. */
function asFlagError(error: unknown): never {
  if (error instanceof ArgumentError && error.argument === 'checkpointDir') throw new ArgumentError('--checkpoint-dir', error.problem);
  throw error;
}

/** That --save can be written and is not the run's own checkpoint (it would replace it with a model file). */
function checkOutputs(flags: TrainFlags): void {
  if (flags.save === undefined) return;
  checkOutputFile('--save', flags.save);
  const checkpointDir = flags.checkpointDir ?? flags.resume;
  if (checkpointDir !== undefined && samePath(flags.save, join(checkpointDir, CHECKPOINT_FILE))) {
    throw new ArgumentError(
      '--save',
      `${flags.save} is this run's own checkpoint: a model file there would replace it; save the model elsewhere`,
    );
  }
}

/** Whether two paths name one file (their directories resolved through symbolic links). */
function samePath(a: string, b: string): boolean {
  const real = (path: string) => {
    const dir = resolve(dirname(path));
    try {
      return join(realpathSync(dir), basename(path));
    } catch {
      return join(dir, basename(path));
    }
  };
  return real(a) === real(b);
}

/**
 * The checkpoint directory before any data is loaded: created if missing, its checkpoint file not a
 * directory, no live run holding it, and a checkpoint already there never replaced unasked.
 * @throws ArgumentError naming --checkpoint-dir (or --resume).
 */
async function checkCheckpointDirectory(dir: string, flags: TrainFlags): Promise<void> {
  const option = flags.resume === undefined ? '--checkpoint-dir' : '--resume';
  const file = join(dir, CHECKPOINT_FILE);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new ArgumentError(option, `cannot create ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new ArgumentError(option, `${file} is a directory, where the checkpoint file goes; remove it or choose another directory`);
  }
  if (flags.resume === undefined) {
    checkOutputFile(option, file);
    if (existing !== undefined && !flags.overwrite) {
      throw new ArgumentError(
        option,
        `${dir} already holds a training checkpoint (${file}); continue it with --resume ${dir}, or replace it with --overwrite`,
      );
    }
  }
  const holder = await checkpointLockHolder(dir);
  if (holder !== undefined) {
    throw new ArgumentError(option, `${dir} is in use by another run (pid ${holder}): one run per checkpoint directory`);
  }
}

function printResult(flags: TrainFlags, config: TrainingConfig, result: TrainingResult, checkpoint: TrainingCheckpoint | undefined): void {
  const evaluation = cliEvaluation(result.evaluation);
  const kept = result.kept;
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        command: 'train',
        model: config.architecture,
        loadedFrom: config.loadedFrom ?? null,
        preset: flags.preset ?? null,
        resumedFrom: checkpoint === undefined ? null : { directory: flags.resume, epoch: checkpoint.epoch },
        architecture: result.model.architecture,
        optimizer: config.optimizer,
        reduction: config.reduction,
        batchSize: config.batchSize,
        seed: config.seed,
        trainImages: result.trainImages,
        threads: result.model.core.threads,
        simd: result.model.core.simd,
        validationSplit: config.validationSplit ?? null,
        valLoss: kept?.valLoss ?? null,
        valAccuracy: kept?.valAccuracy ?? null,
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
  if (kept !== undefined) {
    const stop = result.stoppedEarly ? `, stopped early after ${result.history.epoch.length} epochs` : '';
    process.stdout.write(
      `validation (${config.validationSplit} of the training set) loss ${kept.valLoss.toFixed(4)}, accuracy ` +
        `${(kept.valAccuracy * 100).toFixed(2)}% at epoch ${kept.epoch + 1}${stop}\n\n`,
    );
  }
  process.stdout.write(`${evaluation.reportText}\n\nconfusion matrix (rows: true class, columns: predicted)\n`);
  process.stdout.write(`${evaluation.confusionMatrix.map((row) => row.map((v) => String(v).padStart(5)).join('')).join('\n')}\n`);
  if (flags.save !== undefined) process.stdout.write(`\nsaved to ${flags.save}\n`);
}
