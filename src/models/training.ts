/**
 * One training configuration and one call that trains and evaluates it: what `fmnist train`,
 * `fmnist reproduce`'s paper rows and the demo's worker all run.
 */
import { loadCore, type LoadOptions } from '../core/index.js';
import { confusionMatrix } from '../metrics/confusion.js';
import { classificationReport, formatClassificationReport, type ClassificationReport } from '../metrics/report.js';
import { size } from '../layers/layer.js';
import { ArgumentError, describeValue, ModelFileError } from '../errors.js';
import { emptyHistory, type BatchLogs, type Callbacks, type History } from '../train/callbacks.js';
import type { ImageSet } from '../train/fit.js';
import { earlyStopping, reduceLROnPlateau } from '../train/monitor-callbacks.js';
import { cosineDecay, stepDecay, type LearningRateSchedule } from '../train/schedules.js';
import { createModel, MODERN_DEFAULTS, type ArchitectureName } from './architectures.js';
import { claimCheckpointDirectory, restoreCheckpoint, trainingCheckpointCallback, type TrainingCheckpoint } from './checkpoint.js';
import { modelFromDescription } from './description.js';
import { describeModelFile } from './save.js';
import { checkValidationNeeds, trainingImages, type LearningRateScheduleConfig, type TrainingConfig } from './training-config.js';

export { checkValidationNeeds, trainingImages, type LearningRateScheduleConfig, type TrainingConfig } from './training-config.js';
import type { Sequential } from './sequential.js';

/**
 * `best`: the strongest CNN we train within 10 minutes on a 2-core machine (2 threads): two conv +
 * pool blocks (32 and 64 filters of 3x3, 'same', ReLU, batch normalisation), Dense 256 with batch
 * normalisation and Dropout 0.25, Adam lr 2e-3 with a cosine decay over 14 epochs, batch 64, random
 * shifts of one pixel and horizontal flips; 10% of the training images held out for validation,
 * which alone chose these settings (never the test set). Measured figures: the README.
 */
export const TRAINING_PRESETS: Readonly<Record<'best', Readonly<Omit<TrainingConfig, 'seed'> & { architecture: ArchitectureName }>>> =
  Object.freeze({
    best: {
      architecture: 'cnn',
      architectureOptions: { filters: [32, 64], padding: 'same', hidden: [256], activation: 'relu', batchNorm: true, dropout: 0.25 },
      optimizer: { type: 'adam', learningRate: 0.002 },
      reduction: 'mean',
      batchSize: 64,
      epochs: 14,
      validationSplit: 0.1,
      learningRateSchedule: { type: 'cosine' },
      augment: { shift: 1, flip: true },
    },
  });

/** An architecture with its modern defaults (MODERN_DEFAULTS), seed 0: override what you need. */
export function defaultTrainingConfig(architecture: ArchitectureName): TrainingConfig {
  const defaults = MODERN_DEFAULTS[architecture];
  return { architecture, architectureOptions: {}, ...defaults, optimizer: { ...defaults.optimizer }, seed: 0 };
}

/** A trained model on a test set. */
export interface Evaluation {
  /** Fraction of the test images classified right (0..1). */
  accuracy: number;
  /** Mean categorical cross-entropy per test image. */
  loss: number;
  /** Argmax class per test image. */
  predictions: Int32Array;
  /** 10x10, rows true class, columns predicted class. */
  confusionMatrix: number[][];
  report: ClassificationReport;
  /** The classification report as text, in the paper's layout. */
  reportText: string;
}

export interface TrainingResult {
  model: Sequential;
  /** Per completed epoch (all of them unless stopped). */
  history: History;
  evaluation: Evaluation;
  /** Training images used per epoch (without the validation split). */
  trainImages: number;
  /** Mean over the completed epochs (NaN when none completed). */
  secondsPerEpoch: number;
  imagesPerSecond: number;
  /** True when `signal` stopped the training early (the model is evaluated as trained so far). */
  stopped: boolean;
  /** True when early stopping ended the training before its last epoch. */
  stoppedEarly: boolean;
  /**
   * With a validation split: the validation metrics of the weights the model ends with (the best
   * epoch's under early stopping, else the last epoch's), and that epoch (0-based).
   */
  kept?: { epoch: number; valLoss: number; valAccuracy: number };
}

export interface TrainAndEvaluateOptions {
  /** Called as `fit` calls them. */
  callbacks?: Callbacks;
  /** Called with the compiled model before training (to show its summary, say). */
  onModel?: (model: Sequential) => void;
  /** Called after training (finished or stopped), before the final evaluation. */
  onTrained?: (model: Sequential, stopped: boolean) => void;
  /** Evaluate on the test set after every epoch (`valLoss`, `valAccuracy` in the logs). Default true. */
  validate?: boolean;
  /** Stops after the batch during which it is aborted (checked after each batch's callbacks). */
  signal?: AbortSignal;
  /** Where the core's .wasm comes from (browsers); the config's threads and simd are added. */
  load?: LoadOptions;
  /**
   * Node only: write a training checkpoint (`DIR/training.ckpt`, atomically) after every epoch, to
   * resume from with `resume` (src/models/checkpoint.ts).
   */
  checkpointDir?: string;
  /**
   * Continue the run of this checkpoint (`readCheckpoint(dir)`; `config` must be its `config`): its
   * weights, optimizer state, epoch, history and callback states; the run ends bit-identical to the
   * same run left alone.
   */
  resume?: TrainingCheckpoint;
  /** Replace a checkpoint already in `checkpointDir` (without `resume`). Default false: refused. */
  overwrite?: boolean;
  /** For a `'loaded'` configuration without `resume`: the model to train (compiled here with the config's optimizer). */
  model?: Sequential;
}

/** Thrown from onBatchEnd to unwind `fit` when the signal is aborted. */
class Stop extends Error {}

/**
 * Makes the configured model on a core of its own, trains it on `data.train` and evaluates it on
 * `data.test` (both cut to the config's limits).
 * @throws ArgumentError on an invalid configuration; TrainingError when the loss diverges.
 */
export async function trainAndEvaluate(
  config: TrainingConfig,
  data: { train: ImageSet; test: ImageSet },
  options: TrainAndEvaluateOptions = {},
): Promise<TrainingResult> {
  checkValidationNeeds(config);
  const resume = options.resume;
  const source = options.checkpointDir ?? 'checkpoint';
  const release =
    options.checkpointDir === undefined
      ? undefined
      : await claimCheckpointDirectory(options.checkpointDir, { resuming: resume !== undefined, overwrite: options.overwrite });
  try {
    const model = await runModel(config, options, source);
    return await train(model, config, data, options, release === undefined ? undefined : source);
  } finally {
    release?.();
  }
}

/** The model a run trains: made from the config's architecture, or the loaded one (given, or the checkpoint's). */
async function runModel(config: TrainingConfig, options: TrainAndEvaluateOptions, source: string): Promise<Sequential> {
  const load = async () => loadCore({ ...options.load, threads: config.threads, simd: config.simd });
  const compile = { optimizer: config.optimizer, reduction: config.reduction };
  if (config.architecture !== 'loaded') {
    return createModel(config.architecture, { ...config.architectureOptions, seed: config.seed, core: await load(), compile });
  }
  const model =
    options.resume !== undefined
      ? await modelFromDescription(describeModelFile(options.resume.model, source), { core: await load(), source })
      : options.model;
  if (model === undefined) throw new ArgumentError('model', "a 'loaded' configuration trains the model given in options.model");
  model.compile(compile);
  return model;
}

async function train(
  model: Sequential,
  config: TrainingConfig,
  data: { train: ImageSet; test: ImageSet },
  options: TrainAndEvaluateOptions,
  checkpointSource: string | undefined,
): Promise<TrainingResult> {
  const resume = options.resume;
  options.onModel?.(model);
  const test = firstImages(data.test, config.testLimit);
  const trainImages = trainingImages(config, data.train.count);
  // The one History of the run: fit appends each epoch to it (a resumed run's continues its
  // checkpoint's), the checkpoint callback writes it, and it is whole up to the last completed
  // epoch when the signal stops the run.
  const history = resume ? structuredClone(resume.history) : emptyHistory(false);
  const callbacks = options.callbacks ?? {};
  const signal = options.signal;
  const split = config.validationSplit;
  const schedule = config.learningRateSchedule;
  // The compiled rate, not the current one (a resumed optimizer holds the last scheduled rate).
  const initialRate = model.compileOptions!.optimizer.learningRate;
  const stateful: Callbacks[] = [
    ...(config.earlyStoppingPatience === undefined
      ? []
      : [earlyStopping({ monitor: 'valLoss', patience: config.earlyStoppingPatience, restoreBestWeights: true })]),
    ...(schedule?.type === 'plateau' ? [reduceLROnPlateau({ monitor: 'valLoss', factor: 0.5, patience: 2 })] : []),
  ];
  if (resume) {
    const source = checkpointSource ?? 'checkpoint';
    if (resume.callbacks.length !== stateful.length) {
      throw new ModelFileError(
        source,
        `the checkpoint holds ${resume.callbacks.length} callback states, its configuration makes ${stateful.length}`,
      );
    }
    restoreCheckpoint(model, resume, source);
    stateful.forEach((callback, i) => callback.setState!(resume.callbacks[i]!));
  }
  let stopped = false;
  try {
    await model.fit(data.train, {
      epochs: config.epochs,
      initialEpoch: resume ? (resume.finished ? config.epochs : resume.epoch) : 0,
      batchSize: config.batchSize,
      seed: config.seed,
      limit: config.limit,
      validationData: split !== undefined || options.validate === false ? undefined : test,
      validationSplit: split,
      learningRate: schedule === undefined ? undefined : learningRateSchedule(schedule, initialRate, config.epochs),
      augment: config.augment,
      history,
      callbacks: [
        {
          ...callbacks,
          async onBatchEnd(batch: number, logs: BatchLogs) {
            await callbacks.onBatchEnd?.(batch, logs);
            if (signal?.aborted) throw new Stop();
          },
        },
        ...stateful,
        // Last: the checkpoint holds the epoch's history and early stopping's decision.
        ...(options.checkpointDir === undefined ? [] : [trainingCheckpointCallback(options.checkpointDir, config, stateful, history)]),
      ],
    });
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    stopped = true;
  }
  options.onTrained?.(model, stopped);
  const seconds = history.history.seconds;
  const secondsPerEpoch = seconds.reduce((a, b) => a + b, 0) / seconds.length;
  return {
    model,
    history,
    evaluation: evaluateModel(model, test),
    trainImages,
    secondsPerEpoch,
    imagesPerSecond: trainImages / secondsPerEpoch,
    stopped,
    stoppedEarly: !stopped && history.epoch.length < config.epochs,
    kept: keptEpoch(history, config.earlyStoppingPatience !== undefined),
  };
}

/** The epoch whose weights the model ends with, and its validation metrics: the best under early stopping, else the last. */
function keptEpoch(history: History, earlyStopping: boolean): TrainingResult['kept'] {
  const { valLoss, valAccuracy } = history.history;
  if (valLoss === undefined || valAccuracy === undefined || valLoss.length === 0) return undefined;
  const epoch = earlyStopping ? valLoss.indexOf(Math.min(...valLoss)) : valLoss.length - 1;
  return { epoch, valLoss: valLoss[epoch]!, valAccuracy: valAccuracy[epoch]! };
}

/** The schedule function of a schedule config (undefined for 'plateau', which is a callback). */
function learningRateSchedule(config: LearningRateScheduleConfig, initialRate: number, epochs: number): LearningRateSchedule | undefined {
  switch (config.type) {
    case 'cosine':
      return cosineDecay({ initialRate, epochs });
    case 'step':
      return stepDecay({ initialRate, epochs: config.epochs, factor: config.factor });
    case 'plateau':
      return undefined;
    default:
      throw new ArgumentError('learningRateSchedule', `expected { type: 'cosine' | 'step' | 'plateau' }, got ${describeValue(config)}`);
  }
}

/** Accuracy, loss, confusion matrix and classification report of a model on a labelled set. */
export function evaluateModel(model: Sequential, test: ImageSet): Evaluation {
  const { loss, accuracy, predictions } = model.evaluate(test);
  const confusion = confusionMatrix(predictions, test.labels.subarray(0, test.count), size(model.outputShape));
  const report = classificationReport(confusion);
  return {
    accuracy,
    loss,
    predictions,
    confusionMatrix: confusion,
    report,
    reportText: formatClassificationReport(report, { layout: 'paper' }),
  };
}

function firstImages(set: ImageSet, limit: number | undefined): ImageSet {
  return limit === undefined || limit >= set.count ? set : { ...set, count: limit };
}
