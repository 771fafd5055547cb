/** fmnist-wasm: the public API. */
export * from './core/index.js';
export * from './layers/index.js';
export * from './models/index.js';
export * from './train/index.js';
export * from './data/index.js';
export * from './metrics/index.js';
export * from './errors.js';
export {
  EXPORT_FORMATS, IMPORT_FORMATS, ONNX_IR_VERSION, ONNX_OPSET, exportModel, importModel, importModelFrom, saveModelAs,
  type ExportFormat, type ExportMetadata, type ExportOptions, type ImportFormat, type ImportOptions, type ModelFile,
} from './interop/index.js';
