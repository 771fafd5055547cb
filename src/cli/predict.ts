/** `fmnist predict`: classify IDX image files or pictures (PNG) with a saved model. */
import { basename } from 'node:path';
import { Command, Option } from 'commander';
import { CLASS_NAMES, IMAGE_PIXELS } from '../data/classes.js';
import { toModelInput } from '../data/image.js';
import { concatBytes } from '../util/bytes.js';
import { gunzip, isGzip, parseIdxImages } from '../data/idx.js';
import { decodePng, isPng } from '../data/png.js';
import { DataFormatError } from '../errors.js';
import { loadModel } from '../models/save.js';
import { readRegularFile } from '../util/read-file.js';
import { pathValue } from './options.js';

/** The largest input file read: a 4096x4096 PNG or 300,000 IDX images fit; /dev/zero does not. */
const MAX_INPUT_BYTES = 256 * 2 ** 20;

interface Source {
  file: string;
  /** Image index inside an IDX file; absent for a picture. */
  index?: number;
}

/** Reads each file as IDX images (raw or gzip) or as a PNG, into 784-byte images. */
async function readImages(files: string[], invert: 'auto' | 'yes' | 'no'): Promise<{ pixels: Uint8Array; sources: Source[] }> {
  const chunks: Uint8Array[] = [];
  const sources: Source[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readRegularFile(file, MAX_INPUT_BYTES, 'an input file');
    } catch (error) {
      throw new DataFormatError(file, `cannot read: ${(error as Error).message}`, undefined, { cause: error });
    }
    if (isPng(bytes)) {
      chunks.push(toModelInput(decodePng(bytes, file), { invert: invert === 'auto' ? 'auto' : invert === 'yes' }));
      sources.push({ file });
      continue;
    }
    if (isGzip(bytes)) bytes = await gunzip(bytes, file);
    if (bytes.length < 4 || bytes[2] !== 0x08 || bytes[3] !== 0x03) {
      throw new DataFormatError(file, 'neither a PNG nor an IDX image file (magic 0x00000803, raw or gzip)');
    }
    const idx = parseIdxImages(bytes, file);
    chunks.push(idx.images);
    for (let index = 0; index < idx.count; index++) sources.push({ file, index });
  }
  return { pixels: concatBytes(chunks, sources.length * IMAGE_PIXELS), sources };
}

export function predictCommand(): Command {
  return new Command('predict')
    .description(
      'classify images with a saved model: IDX image files (raw or .gz) or PNG pictures (up to 4096x4096, resized to 28x28 gray)',
    )
    .requiredOption('--load <file>', 'model file written by `fmnist train --save`', pathValue)
    .addOption(
      new Option('--invert <mode>', 'PNG only: invert gray levels (Fashion-MNIST is light on dark); auto looks at the border')
        .choices(['auto', 'yes', 'no'])
        .default('auto'),
    )
    .option('--json', 'print one JSON object on stdout', false)
    .argument('<files...>', 'IDX image files or PNG files')
    .action(async (files: string[], flags: { load: string; invert: 'auto' | 'yes' | 'no'; json: boolean }) => {
      const model = await loadModel(flags.load);
      const { pixels, sources } = await readImages(files, flags.invert);
      const { labels, probabilities } = model.predict(pixels, sources.length);
      const predictions = sources.map((source, i) => ({
        file: source.file,
        ...(source.index === undefined ? {} : { index: source.index }),
        label: labels[i]!,
        className: CLASS_NAMES[labels[i]!]!,
        confidence: probabilities[i * 10 + labels[i]!]!,
        probabilities: Array.from(probabilities.subarray(i * 10, i * 10 + 10)),
      }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ command: 'predict', model: flags.load, count: predictions.length, predictions })}\n`);
        return;
      }
      for (const p of predictions) {
        const where = p.index === undefined ? basename(p.file) : `${basename(p.file)}[${p.index}]`;
        process.stdout.write(`${where}: ${p.label} ${p.className} (${(p.confidence * 100).toFixed(1)}%)\n`);
      }
    });
}
