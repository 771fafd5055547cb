// The real dataset, as Debian's `dataset-fashion-mnist` installs it (CI installs the package;
// this test does not skip when it is missing, it fails).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CLASS_NAMES, loadFashionMnist, parseCsv, SYSTEM_DATA_DIR, type FashionMnist } from '../../src/data/index.js';
import { cleanupTempDirs, CSV_HEADER, csvLine, tempDir } from './fixtures.js';

afterAll(cleanupTempDirs);

let data: FashionMnist;
beforeAll(async () => {
  // No dir, no env: the search itself must find the system directory (the cwd and cache are empty temp dirs).
  const root = tempDir();
  data = await loadFashionMnist({ cwd: join(root, 'cwd'), cacheDir: join(root, 'cache'), env: {}, download: false });
});

function meanPixel(images: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < images.length; i++) sum += images[i]!;
  return sum / images.length / 255;
}

function histogram(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels) counts[label]!++;
  return counts;
}

describe(`Fashion-MNIST from ${SYSTEM_DATA_DIR}`, () => {
  it('is found by the search, in the system directory, as IDX .gz', () => {
    expect(data.source).toMatchObject({ dir: SYSTEM_DATA_DIR, origin: 'system', downloaded: false, files: { format: 'idx' } });
    expect(data.source.files).toMatchObject({ trainImages: `${SYSTEM_DATA_DIR}/train-images-idx3-ubyte.gz` });
  });

  it('has 60,000 training and 10,000 test images of 28x28', () => {
    expect(data.train.count).toBe(60000);
    expect(data.train.images.length).toBe(60000 * 784);
    expect(data.train.labels.length).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(data.test.images.length).toBe(10000 * 784);
    expect(data.test.labels.length).toBe(10000);
    expect([data.train.rows, data.train.cols]).toEqual([28, 28]);
  });

  it('starts with the known labels (train 9,0,0,3 = Ankle boot, T-shirt/top, T-shirt/top, Dress; test 9,2,1,1)', () => {
    expect([...data.train.labels.subarray(0, 4)]).toEqual([9, 0, 0, 3]);
    expect([...data.test.labels.subarray(0, 4)]).toEqual([9, 2, 1, 1]);
    expect(CLASS_NAMES[data.train.labels[0]!]).toBe('Ankle boot');
  });

  it('is balanced: 6,000 per class in train, 1,000 in test', () => {
    expect(histogram(data.train.labels)).toEqual(new Array(10).fill(6000));
    expect(histogram(data.test.labels)).toEqual(new Array(10).fill(1000));
  });

  it('has the known mean pixel (0.2860 train, 0.2868 test, on 0..1)', () => {
    expect(meanPixel(data.train.images)).toBeCloseTo(0.28604, 4);
    expect(meanPixel(data.test.images)).toBeCloseTo(0.28685, 4);
    // The first training image (an ankle boot) has dark background corners and ink in the middle.
    const first = data.train.images.subarray(0, 784);
    expect(first[0]).toBe(0);
    expect(first[783]).toBe(0);
    expect(Math.max(...first)).toBe(255);
  });

  it('reads the same rows back from the paper CSV layout', () => {
    const n = 1000;
    const text = [CSV_HEADER, ...Array.from({ length: n }, (_, i) => csvLine(data.test.labels[i]!, data.test.images, i))].join('\n');
    const csv = parseCsv(new TextEncoder().encode(text), 'fashion-mnist_test.csv');
    expect(csv.count).toBe(n);
    expect(Buffer.compare(csv.images, data.test.images.subarray(0, n * 784))).toBe(0);
    expect(Buffer.compare(csv.labels, data.test.labels.subarray(0, n))).toBe(0);
  });

  it('loads through an explicit dir with a limit', async () => {
    const limited = await loadFashionMnist({ dir: SYSTEM_DATA_DIR, limit: 500 });
    expect(limited.source.origin).toBe('option');
    expect(limited.train.count).toBe(500);
    expect(Buffer.compare(limited.train.images, data.train.images.subarray(0, 500 * 784))).toBe(0);
    expect(limited.test.count).toBe(10000);
  });
});
