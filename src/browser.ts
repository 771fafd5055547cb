/**
 * fmnist-wasm for browsers and Web Workers: the public API minus the Node-only data readers
 * (locate, download, the file readers), plus the fetch/File loaders of data/browser.ts.
 *
 * package.json maps the package root to this module under the `browser` export condition (Vite,
 * esbuild, webpack and Rollup's node-resolve pick it), so `import { loadCore, createModel } from
 * 'fmnist-wasm'` pulls no `node:*` module into a page. It is also reachable as
 * `fmnist-wasm/browser` for tools that do not use the condition (an import map, say).
 *
 * Nothing reachable from here imports a Node module statically: the few Node paths (reading the
 * .wasm from disk, zlib, saveModel/loadModel) load `node:*` lazily and are never taken in a browser.
 */
export * from './core/index.js';
export * from './layers/index.js';
export * from './models/index.js';
export * from './train/index.js';
export * from './metrics/index.js';
export * from './errors.js';
export { CLASS_NAMES, CSV_FILES, IDX_FILES, IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS, NUM_CLASSES, type DataSplit } from './data/classes.js';
export { parseCsv } from './data/csv.js';
export {
  gunzip,
  gunzipWithStream,
  isGzip,
  pairSplit,
  parseIdxImages,
  parseIdxLabels,
  type IdxImages,
  type IdxLabels,
} from './data/idx.js';
export { toModelInput, type RgbaImage, type ToModelInputOptions } from './data/image.js';
export {
  fetchFashionMnist,
  fetchFashionMnistSplit,
  parseIdxImagesAnyCompression,
  readFashionMnistFiles,
  takeSplit,
  type BrowserDataOptions,
  type BrowserFashionMnist,
  type FetchProgress,
} from './data/browser.js';
export {
  EXPORT_FORMATS, IMPORT_FORMATS, ONNX_IR_VERSION, ONNX_OPSET, exportModel, importModel, importModelFrom, saveModelAs,
  type ExportFormat, type ExportMetadata, type ExportOptions, type ImportFormat, type ImportOptions, type ModelFile,
} from './interop/index.js';
