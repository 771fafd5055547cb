/**
 * The data layer: find (or download) Fashion-MNIST, read and validate it, hand back u8 pixels and
 * labels. `loadFashionMnist` is the one call most users need.
 *
 * Browser code should import the pure parsers from `./idx.js` and `./csv.js` (and the constants
 * from `./classes.js`) rather than this module, which pulls in `node:fs` through locate/download.
 */
import { ArgumentError, DataNotFoundError } from '../errors.js';
import type { ImageSet } from './classes.js';
import { readCsvFile } from './csv.js';
import { downloadFashionMnist, type DownloadProgress } from './download.js';
import { readIdxSplit } from './idx.js';
import {
  locateFashionMnist,
  type DataFiles,
  type DataLocation,
  type DataOrigin,
  type LocateOptions,
  type LocateResult,
  type TestFiles,
} from './locate.js';

export { CLASS_NAMES, IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS, NUM_CLASSES, type ImageSet } from './classes.js';
export { parseCsv, readCsvFile } from './csv.js';
export {
  DEFAULT_MIRROR,
  downloadFashionMnist,
  OFFICIAL_FILES,
  type DownloadOptions,
  type DownloadProgress,
} from './download.js';
export {
  gunzip,
  isGzip,
  pairSplit,
  parseIdxImages,
  parseIdxLabels,
  readIdxImagesFile,
  readIdxLabelsFile,
  readIdxSplit,
  type IdxImages,
  type IdxLabels,
} from './idx.js';
export {
  CSV_FILES,
  defaultCacheDir,
  IDX_FILES,
  locateFashionMnist,
  searchDirs,
  SYSTEM_DATA_DIR,
  type DataFiles,
  type DataLocation,
  type DataOrigin,
  type LocateOptions,
  type LocateResult,
  type Splits,
  type TestFiles,
} from './locate.js';

export interface DataLoadOptions extends LocateOptions {
  /** Keep only the first `limit` training images (a positive integer; more than there are keeps all). */
  limit?: number;
  /** Keep only the first `testLimit` test images; by default the test set stays whole. */
  testLimit?: number;
  /** Download into the cache when no directory holds the data; default true. Never happens when `dir` or FASHION_MNIST_DIR is set. */
  download?: boolean;
  /** Download progress (see `DownloadProgress`); called only when a download happens. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Base URL for the download; default FASHION_MNIST_MIRROR, then the official HTTPS location. */
  mirror?: string;
}

/** Where the data came from. */
export interface DataSource {
  dir: string;
  origin: DataOrigin;
  files: DataFiles;
  /** True when this call downloaded (some of) the files. */
  downloaded: boolean;
}

export interface FashionMnist {
  /** 60,000 images unless `limit` cut it. */
  train: ImageSet;
  /** 10,000 images unless `testLimit` cut it. */
  test: ImageSet;
  source: DataSource;
}

function checkLimit(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new ArgumentError(name, `expected a positive integer, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`);
  }
}

function take(split: ImageSet, limit: number | undefined): ImageSet {
  if (limit === undefined || limit >= split.count) return split;
  // Copies, so the full buffer can be garbage-collected.
  return {
    images: split.images.slice(0, limit * split.rows * split.cols),
    labels: split.labels.slice(0, limit),
    count: limit,
    rows: split.rows,
    cols: split.cols,
  };
}

/**
 * Reads both splits of a located directory (Node only); the files are read concurrently.
 * @throws DataFormatError for any malformed file
 */
export async function readDataLocation(location: DataLocation): Promise<{ train: ImageSet; test: ImageSet }> {
  const { files } = location;
  const [train, test] =
    files.format === 'idx'
      ? await Promise.all([readIdxSplit(files.trainImages, files.trainLabels), readIdxSplit(files.testImages, files.testLabels)])
      : await Promise.all([readCsvFile(files.train), readCsvFile(files.test)]);
  return { train, test };
}

/**
 * Finds Fashion-MNIST (`dir`, FASHION_MNIST_DIR, ./data/fashion-mnist,
 * /usr/share/datasets/fashion-mnist, the download cache), downloads it into the cache when it is
 * nowhere and `download` is not false, then reads and validates it (Node only).
 *
 * @example
 * const { train, test } = await loadFashionMnist({ limit: 1000 });
 * train.images; // Uint8Array [1000 * 784], train.labels: Uint8Array [1000]
 *
 * @throws ArgumentError when `limit` or `testLimit` is not a positive integer
 * @throws DataNotFoundError when `dir` / FASHION_MNIST_DIR lacks the files, or nothing is found and `download` is false
 * @throws DownloadError when the download fails (nothing partial is left in the cache)
 * @throws DataFormatError when a file is malformed (names the file, and the line for CSV)
 */
export async function loadFashionMnist(options: DataLoadOptions = {}): Promise<FashionMnist> {
  checkLimit('limit', options.limit);
  checkLimit('testLimit', options.testLimit);
  const { location, downloaded } = await locateOrDownload(options, locateFashionMnist(options));
  const { train, test } = await readDataLocation(location);
  return {
    train: take(train, options.limit),
    test: take(test, options.testLimit),
    source: { dir: location.dir, origin: location.origin, files: location.files, downloaded },
  };
}

/** The test split of Fashion-MNIST, and where it came from. */
export interface FashionMnistTest {
  /** 10,000 images unless `testLimit` cut it. */
  test: ImageSet;
  source: Omit<DataSource, 'files'> & { files: TestFiles };
}

/**
 * The test split alone (Node only): what evaluating a saved model needs. Searches as
 * {@link loadFashionMnist} does, but a directory holding only the test files (two IDX or one CSV)
 * is enough; a download fetches the whole dataset.
 * @throws as {@link loadFashionMnist}
 */
export async function loadFashionMnistTest(options: Omit<DataLoadOptions, 'limit'> = {}): Promise<FashionMnistTest> {
  checkLimit('testLimit', options.testLimit);
  const { location, downloaded } = await locateOrDownload(options, locateFashionMnist(options, 'test'));
  const { files } = location;
  const test = files.format === 'idx' ? await readIdxSplit(files.testImages, files.testLabels) : await readCsvFile(files.test);
  return { test: take(test, options.testLimit), source: { dir: location.dir, origin: location.origin, files, downloaded } };
}

/** The located directory, or the download cache after downloading into it (unless `download` is false). */
async function locateOrDownload<Files extends DataFiles | TestFiles>(
  options: DataLoadOptions,
  found: LocateResult<Files>,
): Promise<{ location: DataLocation<Files>; downloaded: boolean }> {
  if (found.location !== undefined) return { location: found.location, downloaded: false };
  if (options.download === false) throw new DataNotFoundError('no directory holds the files and downloading is off', found.searched);
  // A full copy has every split's files, so it serves a test-only search too.
  const location = (await downloadFashionMnist({
    cacheDir: options.cacheDir,
    mirror: options.mirror,
    env: options.env,
    onProgress: options.onProgress,
  })) as DataLocation<DataFiles> as DataLocation<Files>;
  return { location, downloaded: true };
}
export { toModelInput, type RgbaImage, type ToModelInputOptions } from './image.js';
