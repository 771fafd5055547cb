/** What `train` and `reproduce` share: load the data, train one configuration, evaluate it. */
import { loadFashionMnist, type FashionMnist } from '../data/index.js';
import { confusionMatrix } from '../metrics/confusion.js';
import { classificationReport, formatClassificationReport, type ClassMetrics } from '../metrics/report.js';
import { createModel, type ArchitectureName, type ArchitectureOptions } from '../models/architectures.js';
import type { ReductionName, Sequential } from '../models/sequential.js';
import type { Callbacks, History } from '../train/callbacks.js';
import type { OptimizerConfig } from '../train/optimizers.js';
import { downloadProgress, progressCallbacks } from './progress.js';

export interface TrainingRun {
  architecture: ArchitectureName;
  architectureOptions: ArchitectureOptions;
  optimizer: OptimizerConfig;
  reduction: ReductionName;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Train on the first `limit` training images. */
  limit?: number;
}

export interface Evaluation {
  testAccuracy: number;
  testLoss: number;
  perClass: ClassMetrics[];
  confusionMatrix: number[][];
  /** The classification report in the paper's layout. */
  reportText: string;
}

export interface TrainingResult {
  model: Sequential;
  history: History;
  evaluation: Evaluation;
  secondsPerEpoch: number;
  imagesPerSecond: number;
}

/** Loads Fashion-MNIST as DESIGN.md orders, with a download bar on a terminal. */
export async function loadData(dir: string | undefined, json: boolean): Promise<FashionMnist> {
  const data = await loadFashionMnist({ dir, onProgress: downloadProgress() });
  if (!json) process.stderr.write(`data: ${data.source.dir} (${data.train.count} train, ${data.test.count} test images)\n`);
  return data;
}

export function evaluate(model: Sequential, test: FashionMnist['test']): Evaluation {
  const { loss, accuracy, predictions } = model.evaluate(test);
  const confusion = confusionMatrix(predictions, test.labels, 10);
  const report = classificationReport(confusion);
  return {
    testAccuracy: accuracy,
    testLoss: loss,
    perClass: report.perClass,
    confusionMatrix: confusion,
    reportText: formatClassificationReport(report, { layout: 'paper' }),
  };
}

export async function trainAndEvaluate(run: TrainingRun, data: FashionMnist, options: {
  label: string;
  json: boolean;
  onEpochEnd?: Callbacks['onEpochEnd'];
}): Promise<TrainingResult> {
  const model = await createModel(run.architecture, {
    ...run.architectureOptions,
    seed: run.seed,
    compile: { optimizer: run.optimizer, reduction: run.reduction },
  });
  const trainCount = Math.min(run.limit ?? data.train.count, data.train.count);
  const history = await model.fit(data.train, {
    epochs: run.epochs,
    batchSize: run.batchSize,
    seed: run.seed,
    limit: run.limit,
    validationData: data.test,
    callbacks: progressCallbacks({
      label: options.label,
      epochs: run.epochs,
      batches: Math.ceil(trainCount / run.batchSize),
      json: options.json,
      onEpochEnd: options.onEpochEnd,
    }),
  });
  const seconds = history.history.seconds;
  const secondsPerEpoch = seconds.reduce((a, b) => a + b, 0) / seconds.length;
  return {
    model,
    history,
    evaluation: evaluate(model, data.test),
    secondsPerEpoch,
    imagesPerSecond: trainCount / secondsPerEpoch,
  };
}
