// The cases of issue 10 that the CLI got wrong: each command line here once exited 0, crashed late
// (after loading data or training) or named an internal buffer. Now each fails at once with exit 2
// and one stderr line naming the option or file (one line also proves that no data was loaded: the
// commands print a `data:` line when they load it).
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, idxImages, idxLabels, patternPixels, tempDir, writeIdxDir } from '../data/fixtures.js';
import { loadModel } from '../../src/models/save.js';
import { expectUsageError, fmnist } from '../helpers/cli.js';

let dir: string;
/** A small data directory: training on it takes well under a second. */
let data: string;
let model: string;
beforeAll(async () => {
  dir = tempDir('fmnist-harden-');
  data = join(dir, 'data');
  writeIdxDir(data, 64, 20);
  model = join(dir, 'small.fmnist');
  const train = await fmnist('train', '--model', 'scratch-mlp', '--hidden', '16', '--data', data, '--save', model, '--json');
  expect(train.code).toBe(0);
});
afterAll(cleanupTempDirs);

describe('fmnist bench', () => {
  it('exits non-zero when the benchmark run fails (an unknown family)', async () => {
    const run = await fmnist('bench', '--quick', 'nosuchfamily');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown benchmark family "nosuchfamily"/);
  });

  it('names --rounds when it is not a positive integer', async () => {
    expectUsageError(await fmnist('bench', '--rounds', '0', 'train'), /--rounds/);
    const run = await fmnist('bench', '--quick', '--rounds', '2', 'nosuchfamily');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown benchmark family "nosuchfamily"/);
  });
});

describe('fmnist train checks its destination and options before loading data', () => {
  it('names --save when it is a directory or under a file; creates missing directories', async () => {
    const nested = join(dir, 'made', 'by', 'save', 'x.fmnist');
    const run = await fmnist('train', '--model', 'scratch-mlp', '--hidden', '8', '--data', data, '--save', nested, '--json');
    expect(run.code, run.stderr).toBe(0);
    expect((await loadModel(nested)).countParams()).toBe(784 * 8 + 8 * 10);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--data', data, '--save', dir), /^fmnist: --save: .* is a directory/);
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expectUsageError(
      await fmnist('train', '--model', 'mlp', '--data', data, '--save', join(file, 'x.fmnist')),
      /--save: cannot write .*plain-file.*not a directory/,
    );
  });

  it('refuses options that do not apply to the model, naming both', async () => {
    expectUsageError(
      await fmnist('train', '--model', 'mlp', '--data', data, '--filters', '32'),
      /^fmnist: --filters: does not apply to --model mlp/,
    );
    expectUsageError(
      await fmnist('train', '--model', 'mlp', '--data', data, '--kernel-size', '5'),
      /--kernel-size: does not apply to --model mlp/,
    );
    expectUsageError(
      await fmnist('train', '--model', 'mlp', '--data', data, '--padding', 'same'),
      /--padding: does not apply to --model mlp/,
    );
    expectUsageError(
      await fmnist('train', '--model', 'scratch-mlp', '--data', data, '--activation', 'relu'),
      /--activation: does not apply to --model scratch-mlp/,
    );
    expectUsageError(
      await fmnist('reproduce', '--rows', '1,2', '--filters', '16', '--data', data, '--out', join(dir, 'never')),
      /^fmnist: --filters: does not apply to rows 1 \(scratch-mlp\), 2 \(scratch-mlp\)/,
    );
    expectUsageError(
      await fmnist('reproduce', '--rows', '1', '--activation', 'relu', '--data', data, '--out', join(dir, 'never')),
      /--activation: does not apply to rows 1/,
    );
    // The options that do apply still run.
    const cnn = await fmnist(
      'train',
      '--model',
      'cnn',
      '--data',
      data,
      '--filters',
      '4',
      '--kernel-size',
      '5',
      '--padding',
      'same',
      '--hidden',
      '8',
      '--json',
    );
    expect(cnn.code).toBe(0);
    expect(JSON.parse(cnn.stdout).architecture.options).toMatchObject({ filters: [4], kernelSize: 5, padding: 'same', hidden: [8] });
  });

  it('refuses option-like values for file and directory options', async () => {
    const saved = await readdir(dir);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--data', data, '--save', '--json'), /--save <file>.*'--json'.*option-like/);
    expectUsageError(await fmnist('train', '--model', 'mlp', '--data', '--limit', '2000'), /--data <dir>.*'--limit'.*option-like/);
    expectUsageError(await fmnist('evaluate', '--load', '--json'), /--load <file>.*'--json'/);
    expectUsageError(await fmnist('predict', '--load', '--json', 'x.png'), /--load <file>.*'--json'/);
    expectUsageError(await fmnist('reproduce', '--out', '--json'), /--out <dir>.*'--json'/);
    expect(await readdir(dir)).toEqual(saved);
  });

  it('names --batch-size and --hidden, not an internal buffer, when the model cannot fit', async () => {
    const batch = await fmnist('train', '--model', 'mlp', '--data', data, '--batch-size', '100000000');
    expectUsageError(batch, /^fmnist: --batch-size: a batch of 100000000 images needs at least .* GiB/);
    expect(batch.stderr).not.toMatch(/plan needs|input:/);
    // 20000 images of the default cnn, as a training run lays them out (models/plan.ts): 2.2 GiB of
    // activations, 4.5 GiB with their gradients, 4.6 GiB with the batch's staged pixels and targets.
    const cnnBatch = await fmnist('train', '--model', 'cnn', '--data', data, '--batch-size', '20000');
    expectUsageError(cnnBatch, /^fmnist: --batch-size: a batch of 20000 images needs at least 4\.6 GiB of activations and their gradients/);
    const hidden = await fmnist('train', '--model', 'mlp', '--data', data, '--hidden', '100000000');
    expectUsageError(hidden, /^fmnist: --hidden: \d+ parameters need .* GiB/);
    expect(hidden.stderr).not.toMatch(/dense_1/);
    expectUsageError(
      await fmnist('train', '--model', 'scratch-mlp', '--data', data, '--hidden', '30,20'),
      /^fmnist: --hidden: scratch-mlp has exactly one hidden layer/,
    );
  });
});

describe('fmnist evaluate', () => {
  it('needs only the test files', async () => {
    const testOnly = join(dir, 'test-only');
    mkdirSync(testOnly);
    for (const name of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) symlinkSync(join(data, name), join(testOnly, name));
    const run = await fmnist('evaluate', '--load', model, '--data', testOnly, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ command: 'evaluate', images: 20 });
    expectUsageError(await fmnist('evaluate', '--load', model, '--data', join(dir, 'no-such-dir')), /--data .*no-such-dir does not exist/);
  });
});

describe('data files that are not files', () => {
  it('says a data file is a directory or a symbolic link loop, not that it is missing', async () => {
    const odd = join(dir, 'odd-data');
    writeIdxDir(odd, 4, 4);
    const { rmSync } = await import('node:fs');
    rmSync(join(odd, 'train-images-idx3-ubyte.gz'));
    mkdirSync(join(odd, 'train-images-idx3-ubyte.gz'));
    rmSync(join(odd, 't10k-labels-idx1-ubyte.gz'));
    symlinkSync('t10k-labels-idx1-ubyte.gz', join(odd, 't10k-labels-idx1-ubyte.gz'));
    const run = await fmnist('train', '--model', 'mlp', '--data', odd);
    expectUsageError(run, /train-images-idx3-ubyte\.gz is a directory/);
    expect(run.stderr).toMatch(/t10k-labels-idx1-ubyte\.gz is a symbolic link loop/);
  });
});

describe('fmnist predict on large pictures', () => {
  /** A PNG signature and IHDR chunk declaring `width` x `height` 8-bit gray, then nothing: decoding it would fail. */
  function pngHeader(width: number, height: number): Uint8Array {
    const bytes = new Uint8Array(33);
    const view = new DataView(bytes.buffer);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
    view.setUint32(8, 13);
    bytes.set([0x49, 0x48, 0x44, 0x52], 12);
    view.setUint32(16, width);
    view.setUint32(20, height);
    bytes.set([8, 0, 0, 0, 0], 24);
    return bytes;
  }

  it('refuses a picture over 4096x4096 pixels before decoding it', async () => {
    const big = join(dir, 'big.png');
    writeFileSync(big, pngHeader(20000, 20000));
    expectUsageError(
      await fmnist('predict', '--load', model, big),
      /big\.png: the picture is 20000x20000 pixels, over the limit of 4096x4096/,
    );
    writeFileSync(big, pngHeader(4097, 4096));
    expectUsageError(await fmnist('predict', '--load', model, big), /4097x4096 pixels, over the limit/);
  });

  it('still reads a picture within the limit', async () => {
    const png = new PNG({ width: 60, height: 90 });
    png.data.fill(255);
    const file = join(dir, 'small.png');
    writeFileSync(file, PNG.sync.write(png));
    const run = await fmnist('predict', '--load', model, file, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).predictions).toHaveLength(1);
  });

  it('reads IDX images as before', async () => {
    const file = join(dir, 'few.idx');
    writeFileSync(file, idxImages(patternPixels(3)));
    const run = await fmnist('predict', '--load', model, file, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).count).toBe(3);
    writeFileSync(file, idxLabels([1, 2]));
    expectUsageError(await fmnist('predict', '--load', model, file), /few\.idx: neither a PNG nor an IDX image file/);
  });
});
