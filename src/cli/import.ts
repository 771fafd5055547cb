/** `fmnist import`: a TensorFlow.js Layers model as a model file of ours (to evaluate, predict or keep training). */
import { Command, Option } from 'commander';
import { IMPORT_FORMATS, importModelFrom, type ImportFormat } from '../interop/index.js';
import { saveModel } from '../models/save.js';

export function importCommand(): Command {
  return new Command('import')
    .description('import a TensorFlow.js Layers model (model.json and its weight files beside it) as an fmnist model file')
    .argument('<model.json>', 'the TF.js model.json; its weightsManifest names the .bin files, read from the same directory')
    .addOption(new Option('--format <format>', 'the source format').choices(IMPORT_FORMATS).default('tfjs'))
    .requiredOption('--out <file>', 'model file to write (the format `fmnist evaluate --load` reads)')
    .option('--json', 'print one JSON object on stdout', false)
    .action(async (source: string, flags: { format: ImportFormat; out: string; json: boolean }) => {
      const model = await importModelFrom(source, { format: flags.format });
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
