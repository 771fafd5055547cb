/** `exportModel`/`importModel`: the formats on bytes (browsers and Node); their Node file forms are in node.ts. */
import type { Core } from '../core/index.js';
import { ArgumentError, describeValue } from '../errors.js';
import type { Sequential } from '../models/sequential.js';
import type { ModelFile } from './files.js';
import { toOnnxFile } from './onnx.js';
import { fromOnnxFiles } from './onnx-import.js';
import { toTfjsFiles } from './tfjs-export.js';
import { fromTfjsFiles } from './tfjs-import.js';

export type ExportFormat = 'tfjs' | 'onnx';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['tfjs', 'onnx'];
export type ImportFormat = 'tfjs' | 'onnx';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['tfjs', 'onnx'];

/** The format a file name says: `.onnx` is ONNX, anything else (model.json, a directory) TF.js. */
export function importFormatOf(name: string): ImportFormat {
  return name.toLowerCase().endsWith('.onnx') ? 'onnx' : 'tfjs';
}

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
  /**
   * 'tfjs' (a TF.js Layers model.json and its .bin files) or 'onnx' (one .onnx file). Default: 'onnx'
   * for a single file named `*.onnx`, else 'tfjs'.
   */
  format?: ImportFormat;
  /** A core of the model's own; loaded when absent. */
  core?: Core;
}

/**
 * A TF.js Layers model (its `model.json` and the `.bin` files its manifest names, matched by file
 * name) or an ONNX model (one `.onnx` file, as `torch.onnx.export` or our export writes it) as our
 * Sequential, with its weights. A TF.js model is compiled when its `trainingConfig` names an
 * optimizer we have (SGD, Momentum, Adam with categorical cross-entropy); otherwise (and always for
 * ONNX) call `compile` before `fit`. An ONNX model always ends in softmax (README "Interop").
 * Pure: works in browsers.
 * @throws ModelFileError naming the file and the problem (TF.js: an unsupported layer or activation,
 *   named; a manifest that does not match the topology; a missing or truncated .bin. ONNX: the node
 *   and why it cannot be imported); ArgumentError on an unknown format.
 */
export async function importModel(files: readonly ModelFile[], options: ImportOptions = {}): Promise<Sequential> {
  const format = options.format ?? (files.length === 1 ? importFormatOf(files[0]!.name) : 'tfjs');
  switch (format) {
    case 'tfjs':
      return fromTfjsFiles(files, options.core);
    case 'onnx':
      return fromOnnxFiles(files, options.core);
    default:
      throw new ArgumentError('format', `expected one of ${IMPORT_FORMATS.map((f) => `'${f}'`).join(', ')}, got ${describeValue(format)}`);
  }
}
