/**
 * Node only: the interop formats as files. Reading follows only what a model's own directory holds:
 * the manifest's `paths` are plain file names (tfjs-import.ts), a weights file that is a symbolic
 * link leaving the directory is refused, and every file is read only when it is a regular file
 * within its size bound (util/read-file.ts): a FIFO or /dev/zero never hangs the import.
 */
import { ArgumentError, describeValue, ModelFileError } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import { FileReadProblem, readRegularFile } from '../util/read-file.js';
import { cut } from '../util/schema.js';
import type { ModelFile } from './files.js';
import { exportModel, importFormatOf, importModel, type ExportFormat, type ImportOptions } from './formats.js';
import { ONNX_MAX_BYTES } from './onnx-import.js';
import { manifestBytes, MODEL_JSON_MAX_BYTES, readModelJson } from './tfjs-import.js';

/**
 * The files `saveModelAs(model, path, format)` writes, in writing order (the model.json last: it names
 * the weights, so it never exists without them). TF.js: `path` ending in `.json` is the model.json
 * and `<stem>.weights.bin` goes beside it; a directory (one that exists, or a name without a dot), as
 * TF.js' converter writes one, gets `model.json` and `model.weights.bin`. ONNX: `path` is the .onnx file.
 */
export async function exportPaths(path: string, format: ExportFormat): Promise<{ path: string; name: string }[]> {
  const [{ stat }, { basename, dirname, join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  if (format === 'onnx') return [{ path, name: basename(path) }];
  const fileName = basename(path);
  const asJson = fileName.toLowerCase().endsWith('.json') && fileName.length > 5;
  const isDirectory = await stat(path).then(
    (stats) => stats.isDirectory(),
    () => !fileName.includes('.'),
  );
  if (!asJson && !isDirectory) {
    throw new ArgumentError(
      'path',
      `a TF.js model is a model.json and its weights: expected a path ending in .json or a directory, got ${describeValue(path)}`,
    );
  }
  const dir = asJson ? dirname(path) : path;
  const stem = asJson ? fileName.slice(0, -5) : 'model';
  return [`${stem}.weights.bin`, `${stem}.json`].map((name) => ({ path: join(dir, name), name }));
}

/**
 * Writes the model in `format`, each file atomically (temporary file, then rename; weights before the
 * model.json that names them), creating missing directories. See `exportPaths` for the paths.
 * Returns the paths written.
 * @throws ArgumentError on a layer the format cannot express or a bad path; ModelFileError naming
 *   the path when it cannot be written.
 */
export async function saveModelAs(model: Sequential, path: string, format: ExportFormat): Promise<string[]> {
  const targets = await exportPaths(path, format);
  const files = exportModel(model, format, format === 'tfjs' ? { basename: targets[1]!.name.slice(0, -5) } : {});
  const { writeFileAtomic } = await import('../util/write-atomic.js');
  for (const target of targets) {
    const file = format === 'onnx' ? files[0]! : files.find((f) => f.name === target.name)!;
    try {
      await writeFileAtomic(target.path, file.bytes, { createParents: true });
    } catch (error) {
      throw new ModelFileError(target.path, `cannot write the ${format} model: ${(error as Error).message}`, { cause: error });
    }
  }
  return targets.map((target) => target.path);
}

/**
 * Reads a TF.js Layers `model.json` (or a directory holding one) and the weight files its manifest
 * names, from the same directory, or one `.onnx` file, and imports it as in `importModel`. The
 * format: `options.format`, else ONNX for a path ending in `.onnx`, else TF.js.
 * @throws ModelFileError naming the file that is missing, unreadable, not a regular file, too large,
 *   outside the model's directory or invalid.
 */
export async function importModelFrom(path: string, options: ImportOptions = {}): Promise<Sequential> {
  if ((options.format ?? importFormatOf(path)) === 'onnx') {
    const bytes = await readRegularFile(path, ONNX_MAX_BYTES, 'an ONNX model').catch((error: unknown) => {
      throw error instanceof FileReadProblem ? new ModelFileError(path, error.message, { cause: error }) : error;
    });
    return importModel([{ name: path, bytes }], { ...options, format: 'onnx' });
  }
  const [{ stat, realpath }, { dirname, join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const isDirectory = await stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  const jsonPath = isDirectory ? join(path, 'model.json') : path;
  const read = async (file: string, maxBytes: number, what: string): Promise<ModelFile> => {
    try {
      return { name: file, bytes: await readRegularFile(file, maxBytes, what) };
    } catch (error) {
      if (error instanceof FileReadProblem) throw new ModelFileError(file, error.message, { cause: error });
      throw error;
    }
  };
  const json = await read(jsonPath, MODEL_JSON_MAX_BYTES, 'a model.json');
  const manifest = readModelJson(json.bytes, jsonPath);
  const budget = manifestBytes(manifest);
  const dir = dirname(jsonPath);
  const home = await realpath(dir);
  const files = [json];
  for (const name of new Set(manifest.weightsManifest.flatMap((group) => group.paths))) {
    const file = join(dir, name);
    const real = await realpath(file).catch(() => file);
    if (real !== file && dirname(real) !== home) {
      throw new ModelFileError(
        file,
        `a symbolic link to ${cut(real, 120)}, outside the model's directory: weights files must be in ${cut(dir, 120)}`,
      );
    }
    files.push(await read(file, budget, 'the weights of this manifest'));
  }
  return importModel(files, options);
}
