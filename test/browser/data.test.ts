// src/data/browser.ts in Node (vitest): fetch from a base URL through a fake fetch, and picked Files.
// The same code runs in Chromium in run.ts (the demo's worker and the Vite-app test).
import { describe, expect, it } from 'vitest';
import { DataFormatError, DataNotFoundError } from '../../src/errors.js';
import { fetchFashionMnist, fetchFashionMnistSplit, readFashionMnistFiles, type FetchProgress } from '../../src/data/browser.js';
import { CSV_HEADER, csvLine, gzip, idxImages, idxLabels, patternPixels } from '../data/fixtures.js';

const TRAIN = 5;
const TEST = 3;
const trainPixels = patternPixels(TRAIN);
const testPixels = patternPixels(TEST).map((v) => 255 - v);
const trainLabels = [0, 1, 2, 3, 9];
const testLabels = [7, 8, 9];

/** A fetch serving `files` under http://host/data/, 404 for the rest; records the URLs asked. */
function fakeFetch(files: Record<string, Uint8Array | string>) {
  const asked: string[] = [];
  const fetch = (async (input: URL | string) => {
    const url = new URL(String(input));
    asked.push(url.pathname);
    const name = url.pathname.replace(/^\/data\//, '');
    const body = files[name];
    if (body === undefined) return new Response('not found', { status: 404 });
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'Content-Length': String(bytes.length) } });
  }) as typeof globalThis.fetch;
  return { fetch, asked };
}

const idxFiles = (compress: boolean) => {
  const z = (b: Uint8Array) => (compress ? gzip(b) : b);
  const suffix = compress ? '.gz' : '';
  return {
    [`train-images-idx3-ubyte${suffix}`]: z(idxImages(trainPixels)),
    [`train-labels-idx1-ubyte${suffix}`]: z(idxLabels(trainLabels)),
    [`t10k-images-idx3-ubyte${suffix}`]: z(idxImages(testPixels)),
    [`t10k-labels-idx1-ubyte${suffix}`]: z(idxLabels(testLabels)),
  };
};

describe('fetchFashionMnist', () => {
  it('reads the four gzip IDX files, with progress and limits', async () => {
    const { fetch } = fakeFetch(idxFiles(true));
    const progress: FetchProgress[] = [];
    const data = await fetchFashionMnist('http://host/data', { fetch, limit: 4, onProgress: (p) => progress.push(p) });
    expect(data.format).toBe('idx');
    expect(data.source).toBe('http://host/data/');
    expect(data.train.count).toBe(4);
    expect(Array.from(data.train.labels)).toEqual(trainLabels.slice(0, 4));
    expect(data.train.images).toEqual(trainPixels.subarray(0, 4 * 784));
    expect(data.test.count).toBe(TEST);
    expect(data.test.images).toEqual(testPixels);
    expect(new Set(progress.filter((p) => p.done).map((p) => p.fileIndex))).toEqual(new Set([0, 1, 2, 3]));
    expect(progress.every((p) => p.fileCount === 4)).toBe(true);
  });

  it('falls back to raw IDX files, then to the CSV pair', async () => {
    const raw = fakeFetch(idxFiles(false));
    expect((await fetchFashionMnist('http://host/data/', { fetch: raw.fetch })).train.count).toBe(TRAIN);
    expect(raw.asked).toContain('/data/train-images-idx3-ubyte.gz');
    const csv = (pixels: Uint8Array, labels: number[]) => [CSV_HEADER, ...labels.map((l, i) => csvLine(l, pixels, i))].join('\n');
    const { fetch } = fakeFetch({
      'fashion-mnist_train.csv': csv(trainPixels, trainLabels),
      'fashion-mnist_test.csv.gz': gzip(new TextEncoder().encode(csv(testPixels, testLabels))),
    });
    const data = await fetchFashionMnist('http://host/data/', { fetch });
    expect(data.format).toBe('csv');
    expect(Array.from(data.test.labels)).toEqual(testLabels);
    expect(data.test.images).toEqual(testPixels);
  });

  it('fetches one split alone', async () => {
    const { fetch, asked } = fakeFetch(idxFiles(true));
    const test = await fetchFashionMnistSplit('http://host/data/', 'test', { fetch, testLimit: 2 });
    expect(test.count).toBe(2);
    expect(asked.some((p) => p.includes('train'))).toBe(false);
  });

  it('names what is missing, and bad data', async () => {
    const { fetch } = fakeFetch({});
    await expect(fetchFashionMnist('http://host/data/', { fetch })).rejects.toThrow(DataNotFoundError);
    await expect(fetchFashionMnist('http://host/data/', { fetch })).rejects.toThrow(/serves neither train-images-idx3-ubyte\[\.gz\]/);
    const files = idxFiles(true);
    files['t10k-labels-idx1-ubyte.gz'] = gzip(idxLabels([1, 2]));
    await expect(fetchFashionMnist('http://host/data/', { fetch: fakeFetch(files).fetch })).rejects.toThrow(
      /image count 3 does not match label count 2/,
    );
    files['t10k-labels-idx1-ubyte.gz'] = new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]);
    await expect(fetchFashionMnist('http://host/data/', { fetch: fakeFetch(files).fetch })).rejects.toThrow(DataFormatError);
    await expect(fetchFashionMnist('http://host/data/', { fetch, limit: 0 })).rejects.toThrow(/limit: expected a positive integer/);
  });
});

describe('readFashionMnistFiles', () => {
  it('recognises picked IDX files by name, in any order', async () => {
    const files = Object.entries(idxFiles(true))
      .reverse()
      .map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name));
    const data = await readFashionMnistFiles(files, { testLimit: 1 });
    expect(data.format).toBe('idx');
    expect(data.train.count).toBe(TRAIN);
    expect(data.test.count).toBe(1);
    expect(Array.from(data.test.labels)).toEqual([7]);
  });

  it('lists the missing files', async () => {
    const files = Object.entries(idxFiles(false))
      .slice(0, 2)
      .map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name));
    await expect(readFashionMnistFiles(files)).rejects.toThrow(/lack t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/);
  });
});
