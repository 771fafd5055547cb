/**
 * Fashion-MNIST in a browser (or a Web Worker): fetch the files from a base URL, or read the
 * File objects a user picked, decompress gzip with `DecompressionStream`, and parse them with the
 * pure parsers of idx.ts / csv.ts. Imports no Node module, statically or dynamically.
 *
 * A base URL serves either the four IDX files (`train-images-idx3-ubyte[.gz]`, ...; .gz tried
 * first) or the paper's CSV pair (`fashion-mnist_train.csv[.gz]`, `fashion-mnist_test.csv[.gz]`),
 * the same layouts as a data directory in Node (DESIGN.md).
 */
import { ArgumentError, DataNotFoundError, describeValue } from '../errors.js';
import { CSV_FILES, IDX_FILES, type ImageSet } from './classes.js';
import { parseCsv } from './csv.js';
import { concatBytes } from '../util/bytes.js';
import { gunzipWithStream, pairSplit, parseIdxImages, parseIdxLabels } from './idx.js';

/** Progress of one file's transfer. */
export interface FetchProgress {
  /** File name (not the whole URL). */
  file: string;
  /** 0-based index of this file among `fileCount`. */
  fileIndex: number;
  fileCount: number;
  receivedBytes: number;
  /** From Content-Length, when the server sends it. */
  totalBytes?: number;
  /** True on the last report of this file. */
  done: boolean;
}

export interface BrowserDataOptions {
  /** Keep only the first `limit` training images (a positive integer). */
  limit?: number;
  /** Keep only the first `testLimit` test images. */
  testLimit?: number;
  /** Called as bytes arrive. */
  onProgress?: (progress: FetchProgress) => void;
  /** Aborts the transfers. */
  signal?: AbortSignal;
  /** The fetch to use (default: the global one); for tests. */
  fetch?: typeof fetch;
}

/** Both splits, as `loadFashionMnist` returns them in Node, and where they came from. */
export interface BrowserFashionMnist {
  train: ImageSet;
  test: ImageSet;
  /** The base URL or the picked files' names. */
  source: string;
  format: 'idx' | 'csv';
}

function checkLimit(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
    throw new ArgumentError(name, `expected a positive integer, got ${describeValue(value)}`);
  }
}

/** The first `limit` images of a split (copies, so the full buffer can be collected). */
export function takeSplit(split: ImageSet, limit: number | undefined): ImageSet {
  if (limit === undefined || limit >= split.count) return split;
  const pixels = split.rows * split.cols;
  return {
    images: split.images.slice(0, limit * pixels),
    labels: split.labels.slice(0, limit),
    count: limit,
    rows: split.rows,
    cols: split.cols,
  };
}

/** A base URL with a trailing slash, resolved against the page (or worker) location. */
function directoryUrl(base: string | URL): URL {
  const here = typeof location === 'object' ? location.href : undefined;
  const url = new URL(base, here);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** Reads a response body, reporting progress; undefined on 404 (so the caller can try another name). */
async function fetchBytes(
  url: URL,
  file: string,
  index: number,
  count: number,
  options: BrowserDataOptions,
): Promise<Uint8Array | undefined> {
  const doFetch = options.fetch ?? fetch;
  const response = await doFetch(url, { signal: options.signal });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new DataNotFoundError(`GET ${url.href} answered HTTP ${response.status}`, [url.href]);
  const length = Number(response.headers.get('content-length'));
  const totalBytes = Number.isFinite(length) && length > 0 ? length : undefined;
  const body = response.body;
  if (body === null || options.onProgress === undefined) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    options.onProgress?.({ file, fileIndex: index, fileCount: count, receivedBytes: bytes.length, totalBytes, done: true });
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    options.onProgress({ file, fileIndex: index, fileCount: count, receivedBytes: received, totalBytes, done: false });
  }
  const bytes = concatBytes(chunks, received);
  options.onProgress({ file, fileIndex: index, fileCount: count, receivedBytes: received, totalBytes, done: true });
  return bytes;
}

/** Fetches `name.gz`, then `name`; undefined when neither exists. */
async function fetchEither(
  base: URL,
  name: string,
  index: number,
  count: number,
  options: BrowserDataOptions,
  tried: string[],
): Promise<{ bytes: Uint8Array; file: string } | undefined> {
  for (const file of [`${name}.gz`, name]) {
    const url = new URL(file, base);
    tried.push(url.href);
    const bytes = await fetchBytes(url, file, index, count, options);
    if (bytes !== undefined) return { bytes: await gunzipWithStream(bytes, file), file };
  }
  return undefined;
}

/**
 * Fetches one split from `baseUrl`: its two IDX files (each `.gz` or raw), else its CSV file.
 * @throws as {@link fetchFashionMnist}
 */
export async function fetchFashionMnistSplit(
  baseUrl: string | URL,
  split: 'train' | 'test',
  options: BrowserDataOptions = {},
): Promise<ImageSet & { format: 'idx' | 'csv' }> {
  const limit = split === 'train' ? options.limit : options.testLimit;
  checkLimit(split === 'train' ? 'limit' : 'testLimit', limit);
  const base = directoryUrl(baseUrl);
  const tried: string[] = [];
  const [imagesName, labelsName] =
    split === 'train' ? [IDX_FILES.trainImages, IDX_FILES.trainLabels] : [IDX_FILES.testImages, IDX_FILES.testLabels];
  const images = await fetchEither(base, imagesName, 0, 2, options, tried);
  if (images !== undefined) {
    const labels = await fetchEither(base, labelsName, 1, 2, options, tried);
    if (labels === undefined) throw new DataNotFoundError(`${base.href} has ${images.file} but lacks ${labelsName}[.gz]`, tried);
    const parsed = pairSplit(
      parseIdxImages(images.bytes, images.file),
      parseIdxLabels(labels.bytes, labels.file),
      images.file,
      labels.file,
    );
    return { ...takeSplit(parsed, limit), format: 'idx' };
  }
  const csv = await fetchEither(base, CSV_FILES[split], 0, 1, options, tried);
  if (csv === undefined) {
    throw new DataNotFoundError(`${base.href} serves neither ${imagesName}[.gz] + ${labelsName}[.gz] nor ${CSV_FILES[split]}[.gz]`, tried);
  }
  return { ...takeSplit(parseCsv(csv.bytes, csv.file), limit), format: 'csv' };
}

/**
 * Fetches Fashion-MNIST from `baseUrl` (relative URLs resolve against the page or worker): per
 * split the two IDX files (each `.gz` or raw), else the CSV file. Decompresses with
 * `DecompressionStream` and validates; both splits download concurrently.
 *
 * @example
 * const { train, test } = await fetchFashionMnist('/data/', { limit: 10000 });
 *
 * @throws ArgumentError when `limit` or `testLimit` is not a positive integer
 * @throws DataNotFoundError when the URL serves neither layout, or answers an HTTP error
 * @throws DataFormatError when a file is malformed or its gzip is corrupt
 */
export async function fetchFashionMnist(baseUrl: string | URL, options: BrowserDataOptions = {}): Promise<BrowserFashionMnist> {
  checkLimit('limit', options.limit);
  checkLimit('testLimit', options.testLimit);
  const progress = options.onProgress;
  // Number the four (or two) transfers across both splits for the progress callback.
  const shifted = (second: boolean): BrowserDataOptions => ({
    ...options,
    onProgress: progress && ((p) => progress({ ...p, fileIndex: p.fileIndex + (second ? p.fileCount : 0), fileCount: p.fileCount * 2 })),
  });
  const [train, test] = await Promise.all([
    fetchFashionMnistSplit(baseUrl, 'train', shifted(false)),
    fetchFashionMnistSplit(baseUrl, 'test', shifted(true)),
  ]);
  const strip = ({ format: _format, ...split }: ImageSet & { format: string }): ImageSet => split;
  return { train: strip(train), test: strip(test), source: directoryUrl(baseUrl).href, format: train.format };
}

/** Which dataset file a picked file is, by its name (any .gz suffix, any directory). */
function roleOf(name: string): keyof typeof IDX_FILES | 'csvTrain' | 'csvTest' | undefined {
  const base = name.replace(/^.*[\\/]/, '').replace(/\.gz$/i, '');
  for (const [role, file] of Object.entries(IDX_FILES)) {
    if (base === file || base === file.replace(/-idx(\d)-ubyte$/, '.idx$1-ubyte')) return role as keyof typeof IDX_FILES;
  }
  if (base === CSV_FILES.train) return 'csvTrain';
  if (base === CSV_FILES.test) return 'csvTest';
  return undefined;
}

/** Bytes of a picked file, decompressed when gzip (by magic). */
async function blobBytes(file: Blob & { name: string }): Promise<Uint8Array> {
  return gunzipWithStream(new Uint8Array(await file.arrayBuffer()), file.name);
}

/**
 * Reads Fashion-MNIST from files the user picked (`<input type="file" multiple>`): the four IDX
 * files (raw or .gz) or the two CSV files, recognised by their names.
 * @throws DataNotFoundError naming the files that are missing among those picked
 * @throws DataFormatError when a file is malformed
 */
export async function readFashionMnistFiles(
  files: ArrayLike<Blob & { name: string }> | Iterable<Blob & { name: string }>,
  options: Pick<BrowserDataOptions, 'limit' | 'testLimit'> = {},
): Promise<BrowserFashionMnist> {
  checkLimit('limit', options.limit);
  checkLimit('testLimit', options.testLimit);
  const list = Array.from(files as ArrayLike<Blob & { name: string }>);
  const byRole = new Map<string, Blob & { name: string }>();
  for (const file of list) {
    const role = roleOf(file.name);
    if (role !== undefined) byRole.set(role, file);
  }
  const names = list.map((f) => f.name);
  const source = names.join(', ');
  const idxRoles = Object.keys(IDX_FILES) as (keyof typeof IDX_FILES)[];
  if (idxRoles.every((role) => byRole.has(role))) {
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(idxRoles.map((role) => blobBytes(byRole.get(role)!)));
    const n = (role: string) => byRole.get(role)!.name;
    const train = pairSplit(
      parseIdxImages(trainImages!, n('trainImages')),
      parseIdxLabels(trainLabels!, n('trainLabels')),
      n('trainImages'),
      n('trainLabels'),
    );
    const test = pairSplit(
      parseIdxImages(testImages!, n('testImages')),
      parseIdxLabels(testLabels!, n('testLabels')),
      n('testImages'),
      n('testLabels'),
    );
    return { train: takeSplit(train, options.limit), test: takeSplit(test, options.testLimit), source, format: 'idx' };
  }
  if (byRole.has('csvTrain') && byRole.has('csvTest')) {
    const train = byRole.get('csvTrain')!;
    const test = byRole.get('csvTest')!;
    const [trainBytes, testBytes] = await Promise.all([blobBytes(train), blobBytes(test)]);
    return {
      train: takeSplit(parseCsv(trainBytes, train.name), options.limit),
      test: takeSplit(parseCsv(testBytes, test.name), options.testLimit),
      source,
      format: 'csv',
    };
  }
  const missing = idxRoles.filter((role) => !byRole.has(role)).map((role) => `${IDX_FILES[role]}[.gz]`);
  throw new DataNotFoundError(
    `the picked files (${source || 'none'}) lack ${missing.join(', ')} (or pick ${CSV_FILES.train} and ${CSV_FILES.test})`,
    names,
  );
}

/**
 * Reads the test images of an IDX image file (raw or .gz) given as bytes, e.g. a picked
 * `t10k-images-idx3-ubyte.gz`, as `[count, 28, 28]` u8.
 * @throws DataFormatError when it is not an IDX image file
 */
export async function parseIdxImagesAnyCompression(bytes: Uint8Array, fileName: string): Promise<{ images: Uint8Array; count: number }> {
  const parsed = parseIdxImages(await gunzipWithStream(bytes, fileName), fileName);
  return { images: parsed.images, count: parsed.count };
}
