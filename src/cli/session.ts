/** What the CLI commands share: load the data with a download bar, and the JSON view of an evaluation. */
import cliProgress from 'cli-progress';
import { loadFashionMnist, type FashionMnist } from '../data/index.js';
import type { ClassMetrics } from '../metrics/report.js';
import type { Sequential } from '../models/sequential.js';
import { evaluateModel, type Evaluation } from '../models/training.js';

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
  let bar: cliProgress.SingleBar | undefined;
  const data = await loadFashionMnist({
    dir,
    onProgress(progress) {
      if (!process.stderr.isTTY) return;
      if (bar === undefined) {
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: 'downloading {file} {bar} {percentage}%', hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(progress.totalBytes ?? 1, 0, { file: progress.file });
      }
      bar.setTotal(progress.totalBytes ?? progress.receivedBytes);
      bar.update(progress.receivedBytes, { file: progress.file });
      if (progress.done && progress.fileIndex === progress.fileCount - 1) bar.stop();
    },
  });
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
