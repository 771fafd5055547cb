// Downloads from a loopback HTTP server that serves files built here, so the test needs no internet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DownloadError } from '../../src/errors.js';
import { downloadFashionMnist, type DownloadProgress } from '../../src/data/download.js';
import { loadFashionMnist } from '../../src/data/index.js';
import { cleanupTempDirs, gzip, idxImages, idxLabels, tempDir } from './fixtures.js';

const NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** Official-size stand-ins: 60,000 / 10,000 images and labels, gzip. */
const files = new Map<string, Uint8Array>();
let server: Server;
let base: string;
const requests: string[] = [];

function officialLike(count: number): [Uint8Array, Uint8Array] {
  const pixels = new Uint8Array(count * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 13) & 255;
  const labels = Array.from({ length: count }, (_, i) => (i * 7) % 10);
  return [gzip(idxImages(pixels)), gzip(idxLabels(labels))];
}

beforeAll(async () => {
  const [trainImages, trainLabels] = officialLike(60000);
  const [testImages, testLabels] = officialLike(10000);
  files.set('train-images-idx3-ubyte.gz', trainImages);
  files.set('train-labels-idx1-ubyte.gz', trainLabels);
  files.set('t10k-images-idx3-ubyte.gz', testImages);
  files.set('t10k-labels-idx1-ubyte.gz', testLabels);

  // /<mode>/<file>: good | raw (served decompressed) | cut-body (connection drops mid-body) |
  // cut-gzip (half the gzip, honest length) | wrong-count | fail-third (404 for t10k-images) | missing (404)
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, mode, name] = (req.url ?? '').split('/');
    const body = files.get(name ?? '');
    if (body === undefined || mode === 'missing' || (mode === 'fail-third' && name === 't10k-images-idx3-ubyte.gz')) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    if (mode === 'cut-body') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    let out = body;
    if (mode === 'raw') out = gunzipSync(body);
    if (mode === 'cut-gzip') out = body.subarray(0, body.length >> 1);
    if (mode === 'wrong-count' && name === 'train-labels-idx1-ubyte.gz') out = gzip(idxLabels([1, 2, 3, 4, 5]));
    res.writeHead(200, { 'content-length': out.length, 'content-type': 'application/octet-stream' });
    res.end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  cleanupTempDirs();
});

async function expectDownloadError(promise: Promise<unknown>, url: string, problem: RegExp): Promise<DownloadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DownloadError);
  const e = error as DownloadError;
  expect(e.code).toBe('DOWNLOAD');
  expect(e.url).toBe(url);
  expect(e.message).toContain(`download of ${url} failed: `);
  expect(e.problem).toMatch(problem);
  expect(e.message).toContain('apt-get install dataset-fashion-mnist');
  expect(e.message).toContain('--data DIR');
  expect(e.message).toContain('FASHION_MNIST_DIR');
  return e;
}

describe('downloadFashionMnist', () => {
  it('downloads, verifies and writes the four files atomically, reporting progress', async () => {
    const cacheDir = join(tempDir(), 'cache', 'fmnist-wasm');
    const events: DownloadProgress[] = [];
    const location = await downloadFashionMnist({ cacheDir, mirror: `${base}/good`, env: {}, onProgress: (p) => events.push({ ...p }) });
    expect(location.origin).toBe('cache');
    expect(location.dir).toBe(cacheDir);
    expect(readdirSync(cacheDir).sort()).toEqual(NAMES.map((n) => `${n}.gz`).sort());
    for (const [name, body] of files) expect(readFileSync(join(cacheDir, name)).equals(body), name).toBe(true);

    const done = events.filter((e) => e.done);
    expect(done.map((e) => e.file)).toEqual(NAMES.map((n) => `${n}.gz`));
    for (const [i, e] of done.entries()) {
      expect(e.fileIndex).toBe(i);
      expect(e.fileCount).toBe(4);
      expect(e.receivedBytes).toBe(files.get(e.file)!.length);
      expect(e.url).toBe(`${base}/good/${e.file}`);
    }
    const trainImages = events.filter((e) => e.file === 'train-images-idx3-ubyte.gz' && !e.done);
    expect(trainImages.length).toBeGreaterThan(1);
    expect(trainImages.every((e) => e.totalBytes === files.get('train-images-idx3-ubyte.gz')!.length)).toBe(true);
    for (let i = 1; i < trainImages.length; i++) expect(trainImages[i]!.receivedBytes).toBeGreaterThan(trainImages[i - 1]!.receivedBytes);

    // A second call finds everything in place and fetches nothing.
    const before = requests.length;
    await downloadFashionMnist({ cacheDir, mirror: `${base}/good`, env: {} });
    expect(requests.length).toBe(before);
  });

  it('takes the mirror from FASHION_MNIST_MIRROR and stores uncompressed files under their raw names', async () => {
    const cacheDir = tempDir();
    await downloadFashionMnist({ cacheDir, env: { FASHION_MNIST_MIRROR: `${base}/raw/` } });
    expect(readdirSync(cacheDir).sort()).toEqual([...NAMES].sort());
    expect(readFileSync(join(cacheDir, 't10k-labels-idx1-ubyte')).length).toBe(10008);
  });

  it('leaves nothing behind when the connection drops mid-file', async () => {
    const cacheDir = tempDir();
    const url = `${base}/cut-body/train-images-idx3-ubyte.gz`;
    await expectDownloadError(
      downloadFashionMnist({ cacheDir, mirror: `${base}/cut-body/`, env: {} }),
      url,
      /connection broke after \d+ bytes|truncated: received/,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('leaves nothing behind when the gzip is truncated', async () => {
    const cacheDir = tempDir();
    const url = `${base}/cut-gzip/train-images-idx3-ubyte.gz`;
    await expectDownloadError(
      downloadFashionMnist({ cacheDir, mirror: `${base}/cut-gzip/`, env: {} }),
      url,
      /^content does not verify: corrupt gzip data: unexpected end of file$/,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('rejects content that is valid IDX but not the official size', async () => {
    const cacheDir = tempDir();
    const url = `${base}/wrong-count/train-labels-idx1-ubyte.gz`;
    await expectDownloadError(
      downloadFashionMnist({ cacheDir, mirror: `${base}/wrong-count/`, env: {} }),
      url,
      /^content does not verify: 5 labels in 13 bytes, expected 60000 in 60008 bytes$/,
    );
    expect(readdirSync(cacheDir)).toEqual(['train-images-idx3-ubyte.gz']);
  });

  it('keeps complete files after a failure and fetches only the missing ones on retry', async () => {
    const cacheDir = tempDir();
    await expectDownloadError(
      downloadFashionMnist({ cacheDir, mirror: `${base}/fail-third/`, env: {} }),
      `${base}/fail-third/t10k-images-idx3-ubyte.gz`,
      /^HTTP 404 Not Found$/,
    );
    expect(readdirSync(cacheDir).sort()).toEqual(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    const before = requests.length;
    await downloadFashionMnist({ cacheDir, mirror: `${base}/good/`, env: {} });
    expect(requests.slice(before)).toEqual(['/good/t10k-images-idx3-ubyte.gz', '/good/t10k-labels-idx1-ubyte.gz']);
  });

  it('says how to get the data when the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const cacheDir = tempDir();
    const url = `http://127.0.0.1:${port}/x/train-images-idx3-ubyte.gz`;
    await expectDownloadError(downloadFashionMnist({ cacheDir, mirror: `http://127.0.0.1:${port}/x`, env: {} }), url, /ECONNREFUSED/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});

describe('loadFashionMnist with a download', () => {
  it('downloads into the cache when no directory holds the data, then loads it', async () => {
    const root = tempDir();
    const options = {
      cwd: join(root, 'cwd'),
      systemDir: join(root, 'system'),
      cacheDir: join(root, 'cache'),
      env: {},
      mirror: `${base}/good/`,
    };
    const data = await loadFashionMnist({ ...options, limit: 100 });
    expect(data.source).toMatchObject({ dir: options.cacheDir, origin: 'cache', downloaded: true, files: { format: 'idx' } });
    expect(data.train.count).toBe(100);
    expect(data.test.count).toBe(10000);
    expect([...data.train.labels.subarray(0, 4)]).toEqual([0, 7, 4, 1]);
    const again = await loadFashionMnist({ ...options, download: false });
    expect(again.source).toMatchObject({ origin: 'cache', downloaded: false });
    expect(again.train.count).toBe(60000);
  });
});
