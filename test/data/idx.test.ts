import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DataFormatError, FmnistError } from '../../src/errors.js';
import {
  gunzip,
  gunzipWithStream,
  isGzip,
  parseIdxImages,
  parseIdxLabels,
  readIdxImagesFile,
  readIdxLabelsFile,
  readIdxSplit,
} from '../../src/data/idx.js';
import { cleanupTempDirs, gzip, idxImages, idxLabels, patternPixels, tempDir, writeFile } from './fixtures.js';

afterAll(cleanupTempDirs);

/** Runs `action`, expects a DataFormatError naming `file` whose message matches `problem`, returns it. */
async function expectFormatError(action: () => unknown, file: string, problem: RegExp): Promise<DataFormatError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a DataFormatError').toBeInstanceOf(DataFormatError);
  const error = caught as DataFormatError;
  expect(error).toBeInstanceOf(FmnistError);
  expect(error.code).toBe('DATA_FORMAT');
  expect(error.file).toBe(file);
  expect(error.message.startsWith(`${file}: `), error.message).toBe(true);
  expect(error.message).toMatch(problem);
  expect(error.message).not.toContain('\n');
  return error;
}

describe('parseIdxImages / parseIdxLabels (pure)', () => {
  it('round-trips images and labels', () => {
    const pixels = patternPixels(3);
    const images = parseIdxImages(idxImages(pixels), 'a');
    expect(images.count).toBe(3);
    expect(images.rows).toBe(28);
    expect(images.cols).toBe(28);
    expect(images.images).toEqual(pixels);
    const labels = parseIdxLabels(idxLabels([9, 0, 5]), 'b');
    expect(labels.count).toBe(3);
    expect([...labels.labels]).toEqual([9, 0, 5]);
  });

  it('rejects an empty file', async () => {
    await expectFormatError(() => parseIdxImages(new Uint8Array(0), 'x-images'), 'x-images', /empty file \(0 bytes\)/);
    await expectFormatError(() => parseIdxLabels(new Uint8Array(0), 'x-labels'), 'x-labels', /empty file \(0 bytes\)/);
  });

  it('rejects a file shorter than the header', async () => {
    await expectFormatError(
      () => parseIdxImages(new Uint8Array([0, 0]), 'f'),
      'f',
      /truncated: 2 bytes, shorter than the 16-byte IDX image header/,
    );
    await expectFormatError(
      () => parseIdxImages(idxImages(new Uint8Array(0)).subarray(0, 10), 'f'),
      'f',
      /truncated: 10 bytes, shorter than the 16-byte/,
    );
    await expectFormatError(
      () => parseIdxLabels(new Uint8Array([0, 0, 8, 1, 0]), 'g'),
      'g',
      /truncated: 5 bytes, shorter than the 8-byte IDX label header/,
    );
  });

  it('rejects a wrong magic, and says when the file is of the other kind', async () => {
    await expectFormatError(
      () => parseIdxImages(idxImages(patternPixels(1), { magic: 0x12345678 }), 'f'),
      'f',
      /not an IDX image file: magic 0x12345678, expected 0x00000803$/,
    );
    await expectFormatError(
      () => parseIdxImages(idxLabels([1, 2]), 'f'),
      'f',
      /magic 0x00000801, expected 0x00000803 \(this is an IDX label file\)/,
    );
    await expectFormatError(
      () => parseIdxLabels(idxImages(patternPixels(1)), 'g'),
      'g',
      /not an IDX label file: magic 0x00000803, expected 0x00000801 \(this is an IDX image file\)/,
    );
  });

  it('requires 28x28 images', async () => {
    const bytes = idxImages(new Uint8Array(2 * 32 * 32), { rows: 32, cols: 32 });
    await expectFormatError(() => parseIdxImages(bytes, 'f'), 'f', /images are 32x32, but Fashion-MNIST images must be 28x28/);
    const wide = idxImages(new Uint8Array(28 * 30), { rows: 28, cols: 30 });
    await expectFormatError(() => parseIdxImages(wide, 'f'), 'f', /images are 28x30/);
  });

  it('rejects zero items', async () => {
    await expectFormatError(() => parseIdxImages(idxImages(new Uint8Array(0)), 'f'), 'f', /header says 0 images/);
    await expectFormatError(() => parseIdxLabels(idxLabels([]), 'g'), 'g', /header says 0 labels/);
  });

  it('rejects a truncated file, with the sizes', async () => {
    const full = idxImages(patternPixels(60000).subarray(0, 1000 - 16), { count: 60000 });
    await expectFormatError(
      () => parseIdxImages(full, 'train-images-idx3-ubyte.gz'),
      'train-images-idx3-ubyte.gz',
      /^train-images-idx3-ubyte\.gz: truncated: header says 60000 images of 28x28 \(47040016 bytes\) but the file has 1000 bytes$/,
    );
    await expectFormatError(
      () => parseIdxLabels(idxLabels([1, 2, 3], { count: 5 }), 'g'),
      'g',
      /truncated: header says 5 labels \(13 bytes\) but the file has 11 bytes/,
    );
  });

  it('rejects trailing bytes', async () => {
    const bytes = idxImages(patternPixels(2), { count: 1 });
    await expectFormatError(
      () => parseIdxImages(bytes, 'f'),
      'f',
      /784 trailing bytes: header says 1 image of 28x28 \(800 bytes\) but the file has 1584 bytes/,
    );
    await expectFormatError(
      () => parseIdxLabels(idxLabels([1, 2, 3], { count: 2 }), 'g'),
      'g',
      /1 trailing byte: header says 2 labels \(10 bytes\)/,
    );
  });

  it('rejects labels outside 0..9, naming the index', async () => {
    await expectFormatError(() => parseIdxLabels(idxLabels([0, 9, 10, 1]), 'g'), 'g', /label 10 at index 2 is outside 0\.\.9/);
    await expectFormatError(() => parseIdxLabels(idxLabels([255]), 'g'), 'g', /label 255 at index 0/);
  });

  it('tells to decompress gzip bytes given to the parser', async () => {
    await expectFormatError(
      () => parseIdxImages(gzip(idxImages(patternPixels(1))), 'f'),
      'f',
      /gzip-compressed data given to the IDX parser/,
    );
  });
});

describe('gunzip', () => {
  it('detects gzip by magic and passes other bytes through', async () => {
    const raw = idxLabels([1, 2, 3]);
    expect(isGzip(raw)).toBe(false);
    expect(isGzip(gzip(raw))).toBe(true);
    expect(await gunzip(raw, 'x')).toBe(raw);
    expect(await gunzip(gzip(raw), 'x')).toEqual(raw);
  });

  it('turns a truncated stream into a DataFormatError', async () => {
    const packed = gzip(idxImages(patternPixels(20)));
    await expectFormatError(
      () => gunzip(packed.subarray(0, packed.length >> 1), 'half.gz'),
      'half.gz',
      /corrupt gzip data: unexpected end of file/,
    );
  });

  it('turns a damaged stream into a DataFormatError', async () => {
    const packed = gzip(idxImages(patternPixels(20))).slice();
    packed.fill(0xaa, 10, 200); // the deflate data after the 10-byte gzip header
    await expectFormatError(() => gunzip(packed, 'bad.gz'), 'bad.gz', /corrupt gzip data: /);
    const garbage = new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await expectFormatError(() => gunzip(garbage, 'garbage.gz'), 'garbage.gz', /corrupt gzip data: /);
  });
});

describe('gunzipWithStream (the browser path, DecompressionStream)', () => {
  it('decompresses what zlib compressed', async () => {
    const raw = idxImages(patternPixels(50));
    expect(Buffer.compare(await gunzipWithStream(gzip(raw), 'x'), raw)).toBe(0);
    expect(await gunzipWithStream(raw, 'x')).toBe(raw);
  });
  it('turns a truncated or damaged stream into a DataFormatError', async () => {
    const packed = gzip(idxImages(patternPixels(20)));
    await expectFormatError(() => gunzipWithStream(packed.subarray(0, packed.length >> 1), 'half.gz'), 'half.gz', /corrupt gzip data: /);
    const damaged = packed.slice();
    damaged.fill(0xaa, 10, 200);
    await expectFormatError(() => gunzipWithStream(damaged, 'bad.gz'), 'bad.gz', /corrupt gzip data: /);
  });
});

describe('readIdx*File (Node)', () => {
  const dir = tempDir();

  it('reads raw and gzip files, detecting gzip by content and not by name', async () => {
    const pixels = patternPixels(4);
    const raw = writeFile(dir, 'raw-images', idxImages(pixels));
    const gz = writeFile(dir, 'packed-images.bin', gzip(idxImages(pixels)));
    const misnamed = writeFile(dir, 'plain-images.gz', idxImages(pixels));
    for (const path of [raw, gz, misnamed]) {
      const read = await readIdxImagesFile(path);
      expect(read.count).toBe(4);
      expect(read.images).toEqual(pixels);
    }
    const labels = await readIdxLabelsFile(writeFile(dir, 'labels.gz', gzip(idxLabels([3, 1, 4, 1]))));
    expect([...labels.labels]).toEqual([3, 1, 4, 1]);
  });

  it('names the path in every error', async () => {
    const empty = writeFile(dir, 'empty-images', new Uint8Array(0));
    await expectFormatError(() => readIdxImagesFile(empty), empty, /empty file/);
    const emptyGz = writeFile(dir, 'empty-labels.gz', gzip(new Uint8Array(0)));
    await expectFormatError(() => readIdxLabelsFile(emptyGz), emptyGz, /empty file/);
    const packed = gzip(idxImages(patternPixels(30)));
    const truncatedGz = writeFile(dir, 'truncated-images.gz', packed.subarray(0, packed.length - 100));
    await expectFormatError(() => readIdxImagesFile(truncatedGz), truncatedGz, /corrupt gzip data: unexpected end of file/);
    const truncated = writeFile(dir, 'truncated-images.gz2', gzip(idxImages(patternPixels(3)).subarray(0, 1000)));
    await expectFormatError(
      () => readIdxImagesFile(truncated),
      truncated,
      /truncated: header says 3 images of 28x28 \(2368 bytes\) but the file has 1000 bytes/,
    );
    const badLabel = writeFile(dir, 'bad-labels', idxLabels([1, 12]));
    await expectFormatError(() => readIdxLabelsFile(badLabel), badLabel, /label 12 at index 1 is outside 0\.\.9/);
    const missing = join(dir, 'no-such-file');
    await expectFormatError(() => readIdxImagesFile(missing), missing, /cannot read: ENOENT/);
  });

  it('checks that image and label counts match when pairing', async () => {
    const images = writeFile(dir, 'pair-images', idxImages(patternPixels(3)));
    const labels = writeFile(dir, 'pair-labels', idxLabels([1, 2]));
    const error = await expectFormatError(
      () => readIdxSplit(images, labels),
      `${images} + ${labels}`,
      /image count 3 does not match label count 2/,
    );
    expect(error.message).toContain(images);
    expect(error.message).toContain(labels);
    const good = await readIdxSplit(images, writeFile(dir, 'pair-labels-3', idxLabels([1, 2, 3])));
    expect(good.count).toBe(3);
    expect([...good.labels]).toEqual([1, 2, 3]);
  });
});
