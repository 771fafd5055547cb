/** What the CLI commands share: load the data with a download bar, and the JSON view of an evaluation. */
import { loadFashionMnist, type FashionMnist } from '../data/index.js';
import type { ClassMetrics } from '../metrics/report.js';
import type { Sequential } from '../models/sequential.js';
import { evaluateModel, type Evaluation } from '../models/training.js';
import { downloadProgress } from './progress.js';

/** An evaluation under the keys of the CLI's JSON output (DESIGN.md), with the report text. */
export interface CliEvaluation {
  testAccuracy: number;
  testLoss: number;
  perClass: ClassMetrics[];
  confusionMatrix: number[][];
  /** The classification report in the paper's layout. */
  reportText: string;
}

/** Loads Fashion-MNIST as DESIGN.md orders, with a download bar on a terminal. */
export async function loadData(dir: string | undefined, json: boolean): Promise<FashionMnist> {
  const data = await loadFashionMnist({ dir, onProgress: downloadProgress() });
  if (!json) process.stderr.write(`data: ${data.source.dir} (${data.train.count} train, ${data.test.count} test images)\n`);
  return data;
}

/** The CLI's view of an evaluation. */
export function cliEvaluation(evaluation: Evaluation): CliEvaluation {
  return {
    testAccuracy: evaluation.accuracy,
    testLoss: evaluation.loss,
    perClass: evaluation.report.perClass,
    confusionMatrix: evaluation.confusionMatrix,
    reportText: evaluation.reportText,
  };
}

/** A model on a test set, in the CLI's view. */
export function evaluate(model: Sequential, test: FashionMnist['test']): CliEvaluation {
  return cliEvaluation(evaluateModel(model, test));
}
