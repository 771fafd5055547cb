/**
 * IDX reader (the format of the official Fashion-MNIST files; http://yann.lecun.com/exdb/mnist/).
 *
 * An IDX file is a big-endian header followed by u8 data:
 *   images: magic 0x00000803, count u32, rows u32, cols u32, then count*rows*cols pixels (16-byte header)
 *   labels: magic 0x00000801, count u32, then count labels                             (8-byte header)
 * Files may be gzip-compressed; gzip is detected by its magic 1f 8b, never by the file name.
 *
 * `parseIdxImages`, `parseIdxLabels`, `pairSplit`, `isGzip` and `gunzip` work on bytes and import no
 * Node module, so the browser build can use them (`gunzip` uses `DecompressionStream` outside Node).
 * `readIdx*File` read from disk; they load `node:fs` lazily, so importing this module stays safe
 * in a browser.
 */
import { DataFormatError } from '../errors.js';
import { importNode, isNode } from '../util/node.js';
import { IMAGE_COLS, IMAGE_PIXELS, IMAGE_ROWS, NUM_CLASSES, type ImageSet } from './classes.js';
import { concatBytes, hex32 } from '../util/bytes.js';

/** Magic of an IDX file of u8 data with 3 dimensions (images). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic of an IDX file of u8 data with 1 dimension (labels). */
export const IDX_LABELS_MAGIC = 0x00000801;

const IMAGES_HEADER_BYTES = 16;
const LABELS_HEADER_BYTES = 8;
/** A decompressed data file larger than this is refused (Fashion-MNIST's largest is 47 MB). */
const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** Images of an IDX image file: `images` is `[count, rows, cols]` u8. */
export interface IdxImages {
  images: Uint8Array;
  count: number;
  rows: typeof IMAGE_ROWS;
  cols: typeof IMAGE_COLS;
}

/** Labels of an IDX label file, each in 0..9. */
export interface IdxLabels {
  labels: Uint8Array;
  count: number;
}

/** True when `bytes` start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** Shared checks of both kinds of file: not empty, not gzip, long enough for the header, right magic. */
function checkHeader(bytes: Uint8Array, fileName: string, kind: 'image' | 'label'): void {
  const [magic, headerBytes, other] =
    kind === 'image'
      ? [IDX_IMAGES_MAGIC, IMAGES_HEADER_BYTES, IDX_LABELS_MAGIC]
      : [IDX_LABELS_MAGIC, LABELS_HEADER_BYTES, IDX_IMAGES_MAGIC];
  if (bytes.length === 0) throw new DataFormatError(fileName, 'empty file (0 bytes)');
  if (isGzip(bytes)) {
    throw new DataFormatError(fileName, 'gzip-compressed data given to the IDX parser; decompress it first (gunzip)');
  }
  if (bytes.length < 4) {
    throw new DataFormatError(fileName, `truncated: ${bytes.length} bytes, shorter than the ${headerBytes}-byte IDX ${kind} header`);
  }
  const found = readU32(bytes, 0);
  if (found !== magic) {
    const hint = found === other ? ` (this is an IDX ${kind === 'image' ? 'label' : 'image'} file)` : '';
    throw new DataFormatError(fileName, `not an IDX ${kind} file: magic ${hex32(found)}, expected ${hex32(magic)}${hint}`);
  }
  if (bytes.length < headerBytes) {
    throw new DataFormatError(fileName, `truncated: ${bytes.length} bytes, shorter than the ${headerBytes}-byte IDX ${kind} header`);
  }
}

function checkSize(bytes: Uint8Array, fileName: string, expectedBytes: number, what: string): void {
  if (bytes.length < expectedBytes) {
    throw new DataFormatError(fileName, `truncated: header says ${what} (${expectedBytes} bytes) but the file has ${bytes.length} bytes`);
  }
  if (bytes.length > expectedBytes) {
    throw new DataFormatError(
      fileName,
      `${plural(bytes.length - expectedBytes, 'trailing byte')}: header says ${what} (${expectedBytes} bytes) but the file has ${bytes.length} bytes`,
    );
  }
}

/**
 * Parses an uncompressed IDX image file. Pure: no I/O, no Node modules.
 * The returned `images` is a view into `bytes` (no copy).
 *
 * @param bytes the whole file, already decompressed (see {@link gunzip})
 * @param fileName used in error messages only
 * @throws DataFormatError when the file is empty, gzip-compressed, has the wrong magic, holds zero
 *   images or images other than 28x28, or is shorter or longer than its header says
 */
export function parseIdxImages(bytes: Uint8Array, fileName: string): IdxImages {
  checkHeader(bytes, fileName, 'image');
  const count = readU32(bytes, 4);
  const rows = readU32(bytes, 8);
  const cols = readU32(bytes, 12);
  if (rows !== IMAGE_ROWS || cols !== IMAGE_COLS) {
    throw new DataFormatError(fileName, `images are ${rows}x${cols}, but Fashion-MNIST images must be ${IMAGE_ROWS}x${IMAGE_COLS}`);
  }
  if (count === 0) throw new DataFormatError(fileName, 'header says 0 images');
  checkSize(bytes, fileName, IMAGES_HEADER_BYTES + count * IMAGE_PIXELS, `${plural(count, 'image')} of ${rows}x${cols}`);
  return { images: bytes.subarray(IMAGES_HEADER_BYTES), count, rows: IMAGE_ROWS, cols: IMAGE_COLS };
}

/**
 * Parses an uncompressed IDX label file. Pure: no I/O, no Node modules.
 * The returned `labels` is a view into `bytes` (no copy).
 *
 * @param bytes the whole file, already decompressed (see {@link gunzip})
 * @param fileName used in error messages only
 * @throws DataFormatError when the file is empty, gzip-compressed, has the wrong magic, holds zero
 *   labels, is shorter or longer than its header says, or holds a label outside 0..9
 */
export function parseIdxLabels(bytes: Uint8Array, fileName: string): IdxLabels {
  checkHeader(bytes, fileName, 'label');
  const count = readU32(bytes, 4);
  if (count === 0) throw new DataFormatError(fileName, 'header says 0 labels');
  checkSize(bytes, fileName, LABELS_HEADER_BYTES + count, plural(count, 'label'));
  const labels = bytes.subarray(LABELS_HEADER_BYTES);
  for (let i = 0; i < count; i++) {
    if (labels[i]! >= NUM_CLASSES) {
      throw new DataFormatError(fileName, `label ${labels[i]} at index ${i} is outside 0..${NUM_CLASSES - 1}`);
    }
  }
  return { labels, count };
}

/**
 * Pairs parsed images with their labels into one split.
 * @throws DataFormatError naming both files when the counts differ
 */
export function pairSplit(images: IdxImages, labels: IdxLabels, imagesFile: string, labelsFile: string): ImageSet {
  if (images.count !== labels.count) {
    throw new DataFormatError(`${imagesFile} + ${labelsFile}`, `image count ${images.count} does not match label count ${labels.count}`);
  }
  return { images: images.images, labels: labels.labels, count: images.count, rows: images.rows, cols: images.cols };
}

/**
 * Decompresses `bytes` when they are gzip (by magic) and returns them unchanged otherwise.
 * In Node it uses `node:zlib` (off the main thread), elsewhere `DecompressionStream('gzip')`.
 *
 * @param fileName used in error messages only
 * @throws DataFormatError (`corrupt gzip data: ...`) when the stream is damaged or truncated, or
 *   decompresses to more than 256 MiB
 */
export async function gunzip(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (isNode) {
    const zlib = await importNode('zlib');
    return new Promise((resolve, reject) => {
      zlib.gunzip(bytes, { maxOutputLength: MAX_DECOMPRESSED_BYTES }, (error, result) => {
        if (error === null) {
          resolve(new Uint8Array(result.buffer, result.byteOffset, result.byteLength));
        } else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          reject(
            new DataFormatError(fileName, `gzip data decompresses to more than ${MAX_DECOMPRESSED_BYTES} bytes`, undefined, {
              cause: error,
            }),
          );
        } else {
          reject(new DataFormatError(fileName, `corrupt gzip data: ${error.message}`, undefined, { cause: error }));
        }
      });
    });
  }
  return gunzipWithStream(bytes, fileName);
}

/**
 * The browser path of {@link gunzip}: `DecompressionStream('gzip')`, available in browsers and in
 * Node >= 18. Exported so tests can run it in Node; prefer `gunzip`.
 * @throws DataFormatError as {@link gunzip}
 */
export async function gunzipWithStream(bytes: Uint8Array, fileName: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    // Blob takes ArrayBuffer-backed views only; copy the rare SharedArrayBuffer-backed one.
    const part = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
    const stream = new Blob([part]).stream().pipeThrough(new DecompressionStream('gzip'));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_DECOMPRESSED_BYTES) {
        await reader.cancel();
        throw new DataFormatError(fileName, `gzip data decompresses to more than ${MAX_DECOMPRESSED_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof DataFormatError) throw error;
    throw new DataFormatError(fileName, `corrupt gzip data: ${(error as Error).message}`, undefined, { cause: error });
  }
  return concatBytes(chunks, total);
}

/**
 * Reads a whole file (Node only) and decompresses it when it is gzip.
 * @throws DataFormatError for corrupt gzip, or when the file cannot be read (`cannot read: ENOENT...`)
 */
export async function readDataFile(path: string): Promise<Uint8Array> {
  const { readFile } = await importNode('fs/promises');
  let raw: Uint8Array;
  try {
    raw = await readFile(path);
  } catch (error) {
    throw new DataFormatError(path, `cannot read: ${(error as Error).message}`, undefined, { cause: error });
  }
  return gunzip(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), path);
}

/**
 * Reads and validates an IDX image file, raw or gzip (Node only).
 * @throws DataFormatError as {@link parseIdxImages} and {@link gunzip}, naming `path`
 */
export async function readIdxImagesFile(path: string): Promise<IdxImages> {
  return parseIdxImages(await readDataFile(path), path);
}

/**
 * Reads and validates an IDX label file, raw or gzip (Node only).
 * @throws DataFormatError as {@link parseIdxLabels} and {@link gunzip}, naming `path`
 */
export async function readIdxLabelsFile(path: string): Promise<IdxLabels> {
  return parseIdxLabels(await readDataFile(path), path);
}

/**
 * Reads an image file and its label file and pairs them (Node only).
 * @throws DataFormatError for a bad file, or when the counts differ
 */
export async function readIdxSplit(imagesPath: string, labelsPath: string): Promise<ImageSet> {
  const [images, labels] = await Promise.all([readIdxImagesFile(imagesPath), readIdxLabelsFile(labelsPath)]);
  return pairSplit(images, labels, imagesPath, labelsPath);
}
