/** `fmnist evaluate`: a saved model on the test set. */
import { Command } from 'commander';
import { loadCore } from '../core/index.js';
import { loadModel } from '../models/save.js';
import { coreSettings, describeCore, withCoreOptions, type CoreFlags } from './core-options.js';
import { pathValue } from './options.js';
import { loadFashionMnistTest } from '../data/index.js';
import { downloadProgress } from './progress.js';
import { evaluate } from './session.js';

export function evaluateCommand(): Command {
  const command = new Command('evaluate')
    .description('evaluate a saved model on the Fashion-MNIST test set')
    .requiredOption('--load <file>', 'model file written by `fmnist train --save`', pathValue)
    .option('--data <dir>', "directory with the test set's two IDX files or its CSV file", pathValue)
    .option('--json', 'print one JSON object on stdout', false);
  return withCoreOptions(command).action(async (flags: { load: string; data?: string; json: boolean } & CoreFlags) => {
    const model = await loadModel(flags.load, { core: await loadCore(coreSettings(flags)) });
    // The test split alone: a directory with only the test files is enough.
    const data = await loadFashionMnistTest({ dir: flags.data, onProgress: downloadProgress() });
    if (!flags.json) process.stderr.write(`data: ${data.source.dir} (${data.test.count} test images)\n`);
    const started = performance.now();
    const evaluation = evaluate(model, data.test);
    const seconds = (performance.now() - started) / 1000;
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({
          command: 'evaluate',
          model: flags.load,
          architecture: model.architecture,
          testAccuracy: evaluation.testAccuracy,
          testLoss: evaluation.testLoss,
          perClass: evaluation.perClass,
          confusionMatrix: evaluation.confusionMatrix,
          images: data.test.count,
          imagesPerSecond: data.test.count / seconds,
          threads: model.core.threads,
          simd: model.core.simd,
          // DESIGN.md's keys for train and evaluate; training history is not in model files.
          seed: model.seed,
          epochs: null,
          secondsPerEpoch: null,
        })}\n`,
      );
      return;
    }
    process.stdout.write(
      `${flags.load}: test accuracy ${(evaluation.testAccuracy * 100).toFixed(2)}%, test loss ${evaluation.testLoss.toFixed(4)} ` +
        `(${data.test.count} images, ${Math.round(data.test.count / seconds)} images/s, ${describeCore(model.core)})\n\n${evaluation.reportText}\n`,
    );
  });
}
