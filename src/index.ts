/** fmnist-wasm: the public API (Node). The browser entry is browser.ts; the shared names are in public.ts. */
export * from './public.js';

// Data on disk: find, download and read Fashion-MNIST (IDX or CSV).
export {
  CSV_FILES,
  DEFAULT_MIRROR,
  IDX_FILES,
  OFFICIAL_FILES,
  defaultCacheDir,
  downloadFashionMnist,
  loadFashionMnist,
  locateFashionMnist,
  readCsvFile,
  readIdxImagesFile,
  readIdxLabelsFile,
  type DataFiles,
  type DataLoadOptions,
  type DataLocation,
  type DataOrigin,
  type DataSource,
  type DownloadOptions,
  type DownloadProgress,
  type FashionMnist,
  type LocateOptions,
  type LocateResult,
} from './data/index.js';

// Interop: export to TensorFlow.js and ONNX, import from TensorFlow.js. Browsers import these from
// 'fmnist-wasm/interop' (through a bundler: the ONNX writer needs protobufjs, a CommonJS package).
export {
  EXPORT_FORMATS,
  IMPORT_FORMATS,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  exportModel,
  importModel,
  importModelFrom,
  saveModelAs,
  type ExportFormat,
  type ExportMetadata,
  type ExportOptions,
  type ImportFormat,
  type ImportOptions,
  type ModelFile,
} from './interop/index.js';
