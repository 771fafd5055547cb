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
