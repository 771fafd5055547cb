/**
 * Interop: our models as TensorFlow.js Layers files or an ONNX file, and TF.js Layers models as ours.
 * `exportModel`/`importModel` work on bytes (browsers and Node, formats.ts); `saveModelAs`/
 * `importModelFrom` are their Node file forms (node.ts). Formats and mappings: tfjs-topology.ts and
 * onnx.ts, and the README's "Interop".
 */
export type { ModelFile } from './files.js';
export {
  EXPORT_FORMATS,
  exportModel,
  IMPORT_FORMATS,
  importModel,
  type ExportFormat,
  type ExportOptions,
  type ImportFormat,
  type ImportOptions,
} from './formats.js';
export type { ExportMetadata } from './metadata.js';
export { importModelFrom, saveModelAs } from './node.js';
export { ONNX_IR_VERSION, ONNX_OPSET } from './onnx.js';
