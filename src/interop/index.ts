/**
 * Interop: our models as TensorFlow.js Layers files or an ONNX file, and TF.js Layers models as ours.
 * `exportModel`/`importModel` work on bytes (browsers and Node); `saveModelAs`/`importModelFrom`
 * are their Node file forms. Formats and mappings: tfjs.ts and onnx.ts, and the README's "Interop".
 */
import type { Core } from '../core/index.js';
import { ArgumentError, describeValue, ModelFileError } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import type { ModelFile } from './files.js';
import { toOnnxFile } from './onnx.js';
import { fromTfjsFiles, toTfjsFiles } from './tfjs.js';

export type { ModelFile } from './files.js';
export type { ExportMetadata } from './metadata.js';
export { ONNX_IR_VERSION, ONNX_OPSET } from './onnx.js';

export type ExportFormat = 'tfjs' | 'onnx';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['tfjs', 'onnx'];
export type ImportFormat = 'tfjs';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['tfjs'];

export interface ExportOptions {
  /** File name stem: `<basename>.json` + `<basename>.weights.bin`, or `<basename>.onnx`. Default `model`. */
  basename?: string;
}

/**
 * The model's files in `format`: TF.js → `model.json` and `model.weights.bin`; ONNX → `model.onnx`.
 * Pure (no I/O): works in browsers, e.g. to offer downloads.
 * @throws ArgumentError on an unknown format, or naming a layer the format cannot express.
 */
export function exportModel(model: Sequential, format: ExportFormat, options: ExportOptions = {}): ModelFile[] {
  const basename = options.basename ?? 'model';
  switch (format) {
    case 'tfjs':
      return toTfjsFiles(model, basename);
    case 'onnx':
      return [toOnnxFile(model, basename)];
    default:
      throw new ArgumentError('format', `expected one of ${EXPORT_FORMATS.map((f) => `'${f}'`).join(', ')}, got ${describeValue(format)}`);
  }
}

export interface ImportOptions {
  /** Default and only: 'tfjs' (a TF.js Layers model.json and its .bin files). */
  format?: ImportFormat;
  /** A core of the model's own; loaded when absent. */
  core?: Core;
}

/**
 * A TF.js Layers model (its `model.json` and the `.bin` files its manifest names, matched by file
 * name) as our Sequential, with its weights; compiled when its `trainingConfig` names an optimizer
 * we have (SGD, Momentum, Adam with categorical cross-entropy), else call `compile` before `fit`.
 * Pure: works in browsers.
 * @throws ModelFileError naming the file and the problem (an unsupported layer or activation, named;
 *   a manifest that does not match the topology; a missing or truncated .bin); ArgumentError on an
 *   unknown format.
 */
export async function importModel(files: readonly ModelFile[], options: ImportOptions = {}): Promise<Sequential> {
  const format = options.format ?? 'tfjs';
  if (format !== 'tfjs') {
    throw new ArgumentError('format', `expected one of ${IMPORT_FORMATS.map((f) => `'${f}'`).join(', ')}, got ${describeValue(format)}`);
  }
  return fromTfjsFiles(files, options.core);
}

/**
 * Writes the model in `format`, each file atomically (temporary file, then rename; weights before the
 * model.json that names them). TF.js: `path` is the model.json, the weights go beside it as
 * `<stem>.weights.bin`; ONNX: `path` is the .onnx file. Returns the paths written. Node only.
 * @throws ArgumentError on a TF.js path not ending in .json or an unsupported layer; ModelFileError
 *   naming the path when it cannot be written.
 */
export async function saveModelAs(model: Sequential, path: string, format: ExportFormat): Promise<string[]> {
  const { basename, dirname, join } = await import('node:path');
  const fileName = basename(path);
  let files: ModelFile[];
  if (format === 'tfjs') {
    if (!fileName.toLowerCase().endsWith('.json') || fileName.length <= 5) {
      throw new ArgumentError(
        'path',
        `a TF.js model is a model.json and its weights: expected a path ending in .json, got ${describeValue(path)}`,
      );
    }
    files = exportModel(model, 'tfjs', { basename: fileName.slice(0, -5) });
  } else {
    files = exportModel(model, format);
    files[0]!.name = fileName;
  }
  const { writeFileAtomic } = await import('../util/write-atomic.js');
  const written: string[] = [];
  // The .json last: it names the weights, so it never exists without them.
  for (const file of [...files].sort((a, b) => Number(a.name.endsWith('.json')) - Number(b.name.endsWith('.json')))) {
    const target = join(dirname(path), file.name);
    try {
      await writeFileAtomic(target, file.bytes);
    } catch (error) {
      throw new ModelFileError(target, `cannot write the ${format} model: ${(error as Error).message}`, { cause: error });
    }
    written.push(target);
  }
  return written;
}

/**
 * Reads a TF.js Layers `model.json` and the weight files its manifest names (beside it) and imports
 * it as in `importModel`. Node only.
 * @throws ModelFileError naming the file that is missing, unreadable or invalid.
 */
export async function importModelFrom(path: string, options: ImportOptions = {}): Promise<Sequential> {
  const [{ readFile }, { dirname, join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const read = async (file: string): Promise<ModelFile> => {
    try {
      return { name: file, bytes: await readFile(file) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ModelFileError(file, code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`, { cause: error });
    }
  };
  const json = await read(path);
  const files = [json];
  let manifest: unknown;
  try {
    manifest = (JSON.parse(new TextDecoder().decode(json.bytes)) as { weightsManifest?: unknown }).weightsManifest;
  } catch {
    // importModel reports the bad JSON, naming the file.
  }
  if (Array.isArray(manifest)) {
    const paths = manifest.flatMap((group: { paths?: unknown }) =>
      Array.isArray(group?.paths) ? group.paths.filter((p): p is string => typeof p === 'string') : [],
    );
    for (const weightsPath of new Set(paths)) files.push(await read(join(dirname(path), weightsPath)));
  }
  return importModel(files, options);
}
