/** `fmnist import`: a TensorFlow.js Layers model as a model file of ours (to evaluate, predict or keep training). */
import { Command, Option } from 'commander';
import { IMPORT_FORMATS, importModelFrom, type ImportFormat } from '../interop/index.js';
import { saveModel } from '../models/save.js';
import { pathValue } from './options.js';
import { checkOutputFile, makeParentDirectories } from './validate.js';

export function importCommand(): Command {
  return new Command('import')
    .description('import a TensorFlow.js Layers model (model.json and its weight files beside it) as an fmnist model file')
    .argument(
      '<model.json>',
      "the TF.js model.json, or the directory holding it; its weightsManifest names the .bin files, read from the model's directory",
    )
    .addOption(new Option('--format <format>', 'the source format').choices(IMPORT_FORMATS).default('tfjs'))
    .requiredOption(
      '--out <file>',
      'model file to write (the format `fmnist evaluate --load` reads; missing directories are created)',
      pathValue,
    )
    .option('--json', 'print one JSON object on stdout', false)
    .action(async (source: string, flags: { format: ImportFormat; out: string; json: boolean }) => {
      checkOutputFile('--out', flags.out);
      const model = await importModelFrom(source, { format: flags.format });
      await makeParentDirectories('--out', flags.out);
      await saveModel(model, flags.out);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ command: 'import', source, format: flags.format, out: flags.out, layers: model.layers.map((l) => l.className), parameters: model.countParams() })}\n`,
        );
        return;
      }
      process.stdout.write(`${source} → ${flags.out}: ${model.layers.length} layers, ${model.countParams()} parameters\n`);
    });
}
