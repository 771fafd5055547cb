/** `fmnist export`: a saved model as TensorFlow.js Layers files or an ONNX file. */
import { Command, Option } from 'commander';
import { ArgumentError } from '../errors.js';
import { EXPORT_FORMATS, saveModelAs, type ExportFormat } from '../interop/index.js';
import { exportPaths } from '../interop/node.js';
import { loadModel } from '../models/save.js';
import { pathValue } from './options.js';
import { checkOutputFile } from './validate.js';

/** The API names its parameter `path`; here the user wrote --out. */
function asOutFlag(error: unknown): never {
  throw error instanceof ArgumentError && error.argument === 'path' ? new ArgumentError('--out', error.problem) : error;
}

export function exportCommand(): Command {
  return new Command('export')
    .description('export a saved model to TensorFlow.js (model.json + weights .bin) or ONNX')
    .requiredOption('--load <file>', 'model file written by `fmnist train --save`', pathValue)
    .addOption(new Option('--format <format>', 'tfjs or onnx').choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption(
      '--out <path>',
      'tfjs: the model.json to write (the weights go beside it), or a directory for model.json + model.weights.bin; onnx: the .onnx file (missing directories are created)',
      pathValue,
    )
    .option('--json', 'print one JSON object on stdout', false)
    .action(async (flags: { load: string; format: ExportFormat; out: string; json: boolean }) => {
      // Every destination checked before the model is read: a bad --out fails at once, naming it.
      for (const target of await exportPaths(flags.out, flags.format).catch(asOutFlag)) checkOutputFile('--out', target.path);
      const model = await loadModel(flags.load);
      const files = await saveModelAs(model, flags.out, flags.format).catch(asOutFlag);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ command: 'export', model: flags.load, format: flags.format, files })}\n`);
        return;
      }
      process.stdout.write(`${flags.load} → ${flags.format}: ${files.join(', ')}\n`);
    });
}
