/** `fmnist import`: a TensorFlow.js Layers or ONNX model as a model file of ours (to evaluate, predict or keep training). */
import { Command, Option } from 'commander';
import { IMPORT_FORMATS, importModelFrom, type ImportFormat } from '../interop/index.js';
import { importFormatOf } from '../interop/formats.js';
import { saveModel } from '../models/save.js';
import { pathValue } from './options.js';
import { checkOutputFile, makeParentDirectories } from './validate.js';

export function importCommand(): Command {
  return new Command('import')
    .description(
      'import a TensorFlow.js Layers model (model.json and its weight files beside it) or an ONNX model (as torch.onnx.export writes it) as an fmnist model file',
    )
    .argument(
      '<model>',
      "the TF.js model.json, or the directory holding it (its weightsManifest names the .bin files, read from the model's directory), or a .onnx file",
    )
    .addOption(new Option('--format <format>', 'the source format (default: onnx for a .onnx file, else tfjs)').choices(IMPORT_FORMATS))
    .requiredOption(
      '--out <file>',
      'model file to write (the format `fmnist evaluate --load` reads; missing directories are created)',
      pathValue,
    )
    .option('--json', 'print one JSON object on stdout', false)
    .action(async (source: string, flags: { format?: ImportFormat; out: string; json: boolean }) => {
      checkOutputFile('--out', flags.out);
      const format = flags.format ?? importFormatOf(source);
      const model = await importModelFrom(source, { format });
      await makeParentDirectories('--out', flags.out);
      await saveModel(model, flags.out);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ command: 'import', source, format, out: flags.out, layers: model.layers.map((l) => l.className), parameters: model.countParams() })}\n`,
        );
        return;
      }
      process.stdout.write(`${source} → ${flags.out}: ${model.layers.length} layers, ${model.countParams()} parameters\n`);
    });
}
