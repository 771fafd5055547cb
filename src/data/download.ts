/**
 * Downloads the four official Fashion-MNIST files into the cache directory (Node only).
 *
 * Each file is fetched whole into memory, verified (gzip intact, IDX magic, header, exact
 * decompressed size and count), and only then written under a temporary name in the cache
 * directory and renamed into place, so a failed or truncated download leaves nothing behind and
 * a reader never sees half a file. Files already in the cache are kept.
 *
 * The default source is the zalandoresearch/fashion-mnist repository over HTTPS (Zalando's own S3
 * website serves plain HTTP only). Override it with the `mirror` option or FASHION_MNIST_MIRROR:
 * a base URL under which the four `*.gz` names are served.
 */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../util/write-atomic.js';
import { join } from 'node:path';
import { DataFormatError, DownloadError } from '../errors.js';
import { concatBytes } from '../util/bytes.js';
import { gunzip, isGzip, parseIdxImages, parseIdxLabels } from './idx.js';
import { defaultCacheDir, findFile, IDX_FILES, inspectDir, type DataLocation } from './locate.js';

/** The official files over HTTPS. */
export const DEFAULT_MIRROR = 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/';

/** What each official file must hold once decompressed. */
export const OFFICIAL_FILES = Object.freeze([
  { name: IDX_FILES.trainImages, kind: 'images', count: 60000, bytes: 47040016 },
  { name: IDX_FILES.trainLabels, kind: 'labels', count: 60000, bytes: 60008 },
  { name: IDX_FILES.testImages, kind: 'images', count: 10000, bytes: 7840016 },
  { name: IDX_FILES.testLabels, kind: 'labels', count: 10000, bytes: 10008 },
] as const);

/** Reported while a file downloads (once per received chunk, and once when the file is done). */
export interface DownloadProgress {
  /** File name, e.g. `train-images-idx3-ubyte.gz`. */
  file: string;
  url: string;
  /** 0-based index of this file among the files being downloaded. */
  fileIndex: number;
  fileCount: number;
  receivedBytes: number;
  /** From Content-Length; undefined when the server does not say. */
  totalBytes: number | undefined;
  /** True on the last report of a file, after it was verified and written. */
  done: boolean;
}

export interface DownloadOptions {
  /** Where to write; default {@link defaultCacheDir}. Created when missing. */
  cacheDir?: string;
  /** Base URL of the four `.gz` files; default FASHION_MNIST_MIRROR, then {@link DEFAULT_MIRROR}. */
  mirror?: string;
  /** Environment to read FASHION_MNIST_MIRROR and XDG_CACHE_HOME from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  onProgress?: (progress: DownloadProgress) => void;
  /** Limit for each file, from request to last byte; default 600. */
  timeoutSeconds?: number;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${error.message} (${code !== undefined && !cause.message.includes(code) ? `${code}: ` : ''}${cause.message})`;
  }
  return error.message;
}

async function fetchBytes(
  url: string,
  timeoutSeconds: number,
  report: (received: number, total: number | undefined) => void,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000) });
  } catch (error) {
    throw new DownloadError(url, describe(error), { cause: error });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new DownloadError(url, `HTTP ${response.status} ${response.statusText}`.trim());
  }
  const header = response.headers.get('content-length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      report(received, total);
    }
  } catch (error) {
    throw new DownloadError(url, `connection broke after ${received} bytes: ${describe(error)}`, { cause: error });
  }
  if (total !== undefined && received !== total) {
    throw new DownloadError(url, `truncated: received ${received} of ${total} bytes`);
  }
  return concatBytes(chunks, received);
}

/** Checks downloaded bytes against what the official file must hold; throws DownloadError naming the URL. */
async function verify(bytes: Uint8Array, url: string, expected: (typeof OFFICIAL_FILES)[number]): Promise<void> {
  try {
    const data = await gunzip(bytes, url);
    const count = expected.kind === 'images' ? parseIdxImages(data, url).count : parseIdxLabels(data, url).count;
    if (count !== expected.count || data.length !== expected.bytes) {
      throw new DownloadError(
        url,
        `content does not verify: ${count} ${expected.kind} in ${data.length} bytes, expected ${expected.count} in ${expected.bytes} bytes`,
      );
    }
  } catch (error) {
    if (error instanceof DataFormatError) {
      throw new DownloadError(url, `content does not verify: ${error.problem}`, { cause: error });
    }
    throw error;
  }
}

async function writeAtomically(path: string, bytes: Uint8Array, url: string): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw new DownloadError(url, `cannot write ${path}: ${describe(error)}`, { cause: error });
  }
}

/**
 * Downloads whichever of the four official files the cache directory lacks, verifies them, and
 * writes them atomically.
 *
 * @returns the cache directory as a complete data location (origin 'cache')
 * @throws DownloadError naming the URL and the problem (network failure, HTTP status, truncated
 *   body, content that does not verify, unwritable cache) and how to get the data otherwise
 */
export async function downloadFashionMnist(options: DownloadOptions = {}): Promise<DataLocation> {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  let mirror = options.mirror ?? env['FASHION_MNIST_MIRROR'] ?? '';
  if (mirror === '') mirror = DEFAULT_MIRROR;
  if (!mirror.endsWith('/')) mirror += '/';
  const timeoutSeconds = options.timeoutSeconds ?? 600;

  try {
    await mkdir(cacheDir, { recursive: true });
  } catch (error) {
    throw new DownloadError(mirror, `cannot create the cache directory ${cacheDir}: ${describe(error)}`, { cause: error });
  }
  const wanted = OFFICIAL_FILES.filter((file) => findFile(cacheDir, file.name) === undefined);
  for (const [fileIndex, file] of wanted.entries()) {
    const remoteName = `${file.name}.gz`;
    const url = new URL(remoteName, mirror).href;
    const progress = (receivedBytes: number, totalBytes: number | undefined, done: boolean): void =>
      options.onProgress?.({ file: remoteName, url, fileIndex, fileCount: wanted.length, receivedBytes, totalBytes, done });
    const bytes = await fetchBytes(url, timeoutSeconds, (received, total) => progress(received, total, false));
    await verify(bytes, url, file);
    // A mirror may serve the files uncompressed under the .gz name; store them under the name that matches.
    await writeAtomically(join(cacheDir, isGzip(bytes) ? remoteName : file.name), bytes, url);
    progress(bytes.length, bytes.length, true);
  }
  const after = inspectDir(cacheDir);
  if (!('files' in after) || after.files.format !== 'idx') {
    throw new DownloadError(mirror, `the cache directory ${cacheDir} is still incomplete after the download`);
  }
  return { dir: cacheDir, origin: 'cache', files: after.files };
}
