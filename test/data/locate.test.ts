import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ArgumentError, DataNotFoundError } from '../../src/errors.js';
import { defaultCacheDir, locateFashionMnist, searchDirs } from '../../src/data/locate.js';
import { loadFashionMnist, loadFashionMnistTest } from '../../src/data/index.js';
import { cleanupTempDirs, patternPixels, tempDir, writeCsvDir, writeFile, writeIdxDir } from './fixtures.js';

afterAll(cleanupTempDirs);

/** A sandbox: a cwd, a system dir and a cache dir in temp, none holding data yet; an empty environment. */
function sandbox(): { cwd: string; systemDir: string; cacheDir: string; env: Record<string, string> } {
  const root = tempDir();
  return { cwd: join(root, 'cwd'), systemDir: join(root, 'system'), cacheDir: join(root, 'cache'), env: {} };
}

function expectHowToGet(error: DataNotFoundError): void {
  expect(error.message).toContain('apt-get install dataset-fashion-mnist');
  expect(error.message).toContain('--data DIR');
  expect(error.message).toContain('FASHION_MNIST_DIR');
}

describe('search order', () => {
  it('is ./data/fashion-mnist, the system dir, then the cache, without dir or env', () => {
    expect(searchDirs({ cwd: '/w', env: {}, cacheDir: '/c' })).toEqual([
      { dir: '/w/data/fashion-mnist', origin: 'cwd' },
      { dir: '/usr/share/datasets/fashion-mnist', origin: 'system' },
      { dir: '/c', origin: 'cache' },
    ]);
  });
  it('is the dir option alone when given (relative to cwd), over FASHION_MNIST_DIR', () => {
    expect(searchDirs({ dir: 'mine', cwd: '/w', env: { FASHION_MNIST_DIR: '/e' } })).toEqual([{ dir: '/w/mine', origin: 'option' }]);
  });
  it('is FASHION_MNIST_DIR alone when set and non-empty', () => {
    expect(searchDirs({ cwd: '/w', env: { FASHION_MNIST_DIR: '/e' } })).toEqual([{ dir: '/e', origin: 'env' }]);
    expect(searchDirs({ cwd: '/w', env: { FASHION_MNIST_DIR: '' }, cacheDir: '/c' })).toHaveLength(3);
  });
  it('puts the cache under an absolute XDG_CACHE_HOME, else under ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/fmnist-wasm');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(join(homedir(), '.cache', 'fmnist-wasm'));
    expect(defaultCacheDir({})).toBe(join(homedir(), '.cache', 'fmnist-wasm'));
  });

  it('finds the first complete directory in order', () => {
    const box = sandbox();
    const none = locateFashionMnist(box);
    expect(none.location).toBeUndefined();
    expect(none.searched).toHaveLength(3);
    expect(none.searched[0]).toBe(`${join(box.cwd, 'data', 'fashion-mnist')} (cwd): does not exist`);

    writeIdxDir(box.cacheDir, 2, 2);
    expect(locateFashionMnist(box).location?.origin).toBe('cache');
    writeIdxDir(box.systemDir, 2, 2);
    expect(locateFashionMnist(box).location?.origin).toBe('system');
    writeCsvDir(join(box.cwd, 'data', 'fashion-mnist'), 2, 2);
    const found = locateFashionMnist(box).location!;
    expect(found.origin).toBe('cwd');
    expect(found.files).toEqual({
      format: 'csv',
      train: join(box.cwd, 'data', 'fashion-mnist', 'fashion-mnist_train.csv'),
      test: join(box.cwd, 'data', 'fashion-mnist', 'fashion-mnist_test.csv'),
    });
    const envDir = join(box.cwd, 'elsewhere');
    writeIdxDir(envDir, 2, 2, false);
    const fromEnv = locateFashionMnist({ ...box, env: { FASHION_MNIST_DIR: envDir } }).location!;
    expect(fromEnv.origin).toBe('env');
    expect(fromEnv.files).toMatchObject({ format: 'idx', trainImages: join(envDir, 'train-images-idx3-ubyte') });
    expect(locateFashionMnist({ ...box, dir: box.systemDir, env: { FASHION_MNIST_DIR: envDir } }).location?.origin).toBe('option');
  });

  it('skips an incomplete directory and says what it lacks', () => {
    const box = sandbox();
    const cwdData = join(box.cwd, 'data', 'fashion-mnist');
    writeIdxDir(cwdData, 2, 2);
    writeFile(cwdData, 'fashion-mnist_train.csv', '1');
    rmSync(join(cwdData, 't10k-labels-idx1-ubyte.gz'));
    writeIdxDir(box.cacheDir, 2, 2);
    const result = locateFashionMnist(box);
    expect(result.location?.origin).toBe('cache');
    expect(result.searched[0]).toBe(
      `${cwdData} (cwd): lacks t10k-labels-idx1-ubyte[.gz] (has fashion-mnist_train.csv but lacks fashion-mnist_test.csv)`,
    );
  });

  it('prefers IDX over CSV and raw over .gz in one directory', () => {
    const dir = tempDir();
    writeCsvDir(dir, 2, 2);
    writeIdxDir(dir, 2, 2, true);
    writeFile(dir, 'train-images-idx3-ubyte', new Uint8Array(1));
    const files = locateFashionMnist({ dir }).location!.files;
    expect(files.format).toBe('idx');
    expect(files).toMatchObject({
      trainImages: join(dir, 'train-images-idx3-ubyte'),
      trainLabels: join(dir, 'train-labels-idx1-ubyte.gz'),
    });
  });
});

describe('entries that are not files', () => {
  it('are named for what they are (directory, link loop, dangling link), not as missing', () => {
    const dir = tempDir();
    writeIdxDir(dir, 2, 2);
    rmSync(join(dir, 'train-images-idx3-ubyte.gz'));
    mkdirSync(join(dir, 'train-images-idx3-ubyte'));
    rmSync(join(dir, 'train-labels-idx1-ubyte.gz'));
    symlinkSync('train-labels-idx1-ubyte.gz', join(dir, 'train-labels-idx1-ubyte.gz'));
    rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
    symlinkSync('nowhere', join(dir, 't10k-labels-idx1-ubyte'));
    expect(() => locateFashionMnist({ dir })).toThrow(
      `--data ${dir} lacks train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] ` +
        '(nor fashion-mnist_train.csv + fashion-mnist_test.csv); train-images-idx3-ubyte is a directory, ' +
        'train-labels-idx1-ubyte.gz is a symbolic link loop, t10k-labels-idx1-ubyte is a symbolic link to nothing',
    );
  });
});

describe('the test split alone', () => {
  it('is found in a directory holding only the test files, and read with loadFashionMnistTest', async () => {
    const dir = tempDir();
    writeIdxDir(dir, 3, 5);
    rmSync(join(dir, 'train-images-idx3-ubyte.gz'));
    rmSync(join(dir, 'train-labels-idx1-ubyte.gz'));
    expect(() => locateFashionMnist({ dir })).toThrow(/lacks train-images-idx3-ubyte\[\.gz\], train-labels-idx1-ubyte\[\.gz\]/);
    expect(locateFashionMnist({ dir }, 'test').location?.files).toEqual({
      format: 'idx',
      testImages: join(dir, 't10k-images-idx3-ubyte.gz'),
      testLabels: join(dir, 't10k-labels-idx1-ubyte.gz'),
    });
    const { test, source } = await loadFashionMnistTest({ dir, testLimit: 4 });
    expect(test.count).toBe(4);
    expect(Array.from(test.labels)).toEqual([3, 4, 5, 6]);
    expect(Array.from(test.images.subarray(0, 784))).toEqual(Array.from(patternPixels(1)));
    expect(source).toMatchObject({ dir, origin: 'option', downloaded: false });

    const csvDir = tempDir();
    writeCsvDir(csvDir, 2, 3);
    rmSync(join(csvDir, 'fashion-mnist_train.csv'));
    expect((await loadFashionMnistTest({ dir: csvDir })).test.count).toBe(3);
    rmSync(join(csvDir, 'fashion-mnist_test.csv'));
    expect(() => locateFashionMnist({ dir: csvDir }, 'test')).toThrow(
      `--data ${csvDir} lacks t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] (nor fashion-mnist_test.csv)`,
    );
  });
});

describe('an explicitly named directory without the files', () => {
  it('is a DataNotFoundError for --data, listing the expected names', () => {
    const box = sandbox();
    writeIdxDir(box.systemDir, 2, 2); // would be found, but an explicit dir never falls back
    const empty = tempDir();
    let error: unknown;
    try {
      locateFashionMnist({ ...box, dir: empty });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataNotFoundError);
    const message = (error as DataNotFoundError).message;
    expect((error as DataNotFoundError).code).toBe('DATA_NOT_FOUND');
    expect(message).toContain(`--data ${empty} lacks`);
    for (const name of [
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'fashion-mnist_train.csv',
      'fashion-mnist_test.csv',
    ]) {
      expect(message).toContain(name);
    }
    expectHowToGet(error as DataNotFoundError);
  });

  it('is a DataNotFoundError for FASHION_MNIST_DIR, also when it does not exist', () => {
    const missing = join(tempDir(), 'nope');
    expect(() => locateFashionMnist({ env: { FASHION_MNIST_DIR: missing } })).toThrow(DataNotFoundError);
    expect(() => locateFashionMnist({ env: { FASHION_MNIST_DIR: missing } })).toThrow(`FASHION_MNIST_DIR ${missing} does not exist`);
    const file = writeFile(tempDir(), 'a-file', 'x');
    expect(() => locateFashionMnist({ dir: file })).toThrow(`--data ${file} is not a directory`);
  });

  it('never triggers a download', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const box = sandbox();
      await expect(loadFashionMnist({ ...box, dir: tempDir(), mirror })).rejects.toThrow(DataNotFoundError);
      await expect(loadFashionMnist({ ...box, env: { FASHION_MNIST_DIR: tempDir() }, mirror })).rejects.toThrow(DataNotFoundError);
      expect(requests).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('loadFashionMnist on small directories', () => {
  it('loads IDX (gzip) and CSV directories to the same arrays', async () => {
    const idxDir = tempDir();
    const csvDir = tempDir();
    writeIdxDir(idxDir, 12, 5);
    writeCsvDir(csvDir, 12, 5);
    const fromIdx = await loadFashionMnist({ dir: idxDir, download: false });
    const fromCsv = await loadFashionMnist({ dir: csvDir, download: false });
    expect(fromIdx.source).toMatchObject({ dir: idxDir, origin: 'option', downloaded: false, files: { format: 'idx' } });
    expect(fromCsv.source).toMatchObject({ dir: csvDir, origin: 'option', downloaded: false, files: { format: 'csv' } });
    for (const data of [fromIdx, fromCsv]) {
      expect(data.train.count).toBe(12);
      expect(data.test.count).toBe(5);
      expect(data.train.images).toEqual(patternPixels(12));
      expect([...data.train.labels]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      expect([...data.test.labels]).toEqual([3, 4, 5, 6, 7]);
    }
  });

  it('applies limit to train only, and testLimit to test', async () => {
    const dir = tempDir();
    writeIdxDir(dir, 12, 5);
    const limited = await loadFashionMnist({ dir, limit: 4 });
    expect(limited.train.count).toBe(4);
    expect(limited.train.images).toEqual(patternPixels(4));
    expect(limited.train.labels.length).toBe(4);
    expect(limited.test.count).toBe(5);
    const both = await loadFashionMnist({ dir, limit: 100, testLimit: 2 });
    expect(both.train.count).toBe(12);
    expect(both.test.count).toBe(2);
    expect(both.test.images.length).toBe(2 * 784);
  });

  it('rejects a bad limit with an ArgumentError', async () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      await expect(loadFashionMnist({ dir: tempDir(), limit })).rejects.toThrow(ArgumentError);
    }
    await expect(loadFashionMnist({ dir: tempDir(), testLimit: 0 })).rejects.toThrow('testLimit: expected a positive integer, got 0');
  });

  it('reports what it searched when nothing is found and downloading is off', async () => {
    const box = sandbox();
    const error = await loadFashionMnist({ ...box, download: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataNotFoundError);
    expect((error as DataNotFoundError).searched).toHaveLength(3);
    expect((error as DataNotFoundError).message).toContain(`${box.systemDir} (system): does not exist`);
    expect((error as DataNotFoundError).message).toContain('downloading is off');
    expectHowToGet(error as DataNotFoundError);
  });
});
