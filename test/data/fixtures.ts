// Builders of small IDX / CSV files and temp directories for the data tests.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** IDX image file: header (magic 0x803, count, rows, cols) + pixels; `count` defaults to pixels/(rows*cols). */
export function idxImages(pixels: Uint8Array, options: { count?: number; rows?: number; cols?: number; magic?: number } = {}): Uint8Array {
  const rows = options.rows ?? 28;
  const cols = options.cols ?? 28;
  const count = options.count ?? Math.floor(pixels.length / (rows * cols));
  const out = new Uint8Array(16 + pixels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, options.magic ?? 0x803);
  view.setUint32(4, count);
  view.setUint32(8, rows);
  view.setUint32(12, cols);
  out.set(pixels, 16);
  return out;
}

/** IDX label file: header (magic 0x801, count) + labels. */
export function idxLabels(labels: ArrayLike<number>, options: { count?: number; magic?: number } = {}): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, options.magic ?? 0x801);
  view.setUint32(4, options.count ?? labels.length);
  out.set(Array.from(labels), 8);
  return out;
}

/** `count` images with a recognisable pattern: pixel p of image i is (i * 31 + p * 7) & 255. */
export function patternPixels(count: number): Uint8Array {
  const out = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) for (let p = 0; p < 784; p++) out[i * 784 + p] = (i * 31 + p * 7) & 255;
  return out;
}

export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 1 });
}

/** One CSV line: label then the 784 pixels of image i. */
export function csvLine(label: number, pixels: Uint8Array, i: number): string {
  return `${label},${Array.prototype.join.call(pixels.subarray(i * 784, (i + 1) * 784), ',')}`;
}

export const CSV_HEADER = `label,${Array.from({ length: 784 }, (_, i) => `pixel${i + 1}`).join(',')}`;

/** A fresh temp directory; `cleanup` removes every one made so far. */
const made: string[] = [];
export function tempDir(prefix = 'fmnist-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function writeFile(dir: string, name: string, content: Uint8Array | string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A data directory with the four IDX files (gzip or raw): `train` and `test` images with labels i % 10. */
export function writeIdxDir(dir: string, train: number, test: number, compressed = true): void {
  const files: [string, Uint8Array][] = [
    ['train-images-idx3-ubyte', idxImages(patternPixels(train))],
    ['train-labels-idx1-ubyte', idxLabels(Array.from({ length: train }, (_, i) => i % 10))],
    ['t10k-images-idx3-ubyte', idxImages(patternPixels(test))],
    ['t10k-labels-idx1-ubyte', idxLabels(Array.from({ length: test }, (_, i) => (i + 3) % 10))],
  ];
  for (const [name, bytes] of files) writeFile(dir, compressed ? `${name}.gz` : name, compressed ? gzip(bytes) : bytes);
}

/** A data directory with the two CSV files (with header), same content as writeIdxDir. */
export function writeCsvDir(dir: string, train: number, test: number): void {
  const pixelsTrain = patternPixels(train);
  const pixelsTest = patternPixels(test);
  const lines = (n: number, pixels: Uint8Array, label: (i: number) => number): string =>
    [CSV_HEADER, ...Array.from({ length: n }, (_, i) => csvLine(label(i), pixels, i))].join('\n') + '\n';
  writeFile(
    dir,
    'fashion-mnist_train.csv',
    lines(train, pixelsTrain, (i) => i % 10),
  );
  writeFile(
    dir,
    'fashion-mnist_test.csv',
    lines(test, pixelsTest, (i) => (i + 3) % 10),
  );
}
