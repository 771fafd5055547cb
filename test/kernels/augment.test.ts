// gather_batch_augment_u8_f32 (assembly/data.ts) against the f64 reference on the debug build:
// every pixel equal to the reference (one correctly rounded division, or exact 0), the one-hot
// targets, independence from how the batch is split, and no augmentation = the plain gather.
import { beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
import { rng } from '../helpers/random.js';
import { mismatch } from '../helpers/compare.js';
import * as ref from '../reference/regularization.js';

let w: TestWasm;
beforeAll(async () => {
  w = await TestWasm.create('debug');
});

function dataset(count: number, height: number, width: number, seed: number) {
  const next = rng(seed);
  const images = Uint8Array.from({ length: count * height * width }, () => Math.floor(next() * 256));
  const labels = Uint8Array.from({ length: count }, () => Math.floor(next() * 10));
  return { images, labels };
}

const CASES = [
  // [batch, height, width, maxShift, flip]
  [1, 1, 1, 0, 0],
  [3, 5, 7, 1, 1],
  [7, 28, 28, 2, 1],
  [15, 28, 28, 3, 0],
  [64, 28, 28, 2, 1],
  [5, 9, 4, 4, 1],
] as const;

describe('gather_batch_augment_u8_f32', () => {
  it.each(CASES)('batch %i of %ix%i, shift %i, flip %i', (batch, height, width, maxShift, flip) => {
    w.reset();
    const count = batch + 11;
    const { images, labels } = dataset(count, height, width, batch * 7 + width);
    const next = rng(batch);
    const indices = Int32Array.from({ length: batch }, () => Math.floor(next() * count));
    const seed = 0xabcdef + batch;
    const pixels = height * width;
    const img = w.from(images),
      lab = w.from(labels),
      idx = w.from(indices);
    const inputs = w.nan(batch * pixels),
      targets = w.nan(batch * 10);
    w.exports.gather_batch_augment_u8_f32(
      inputs.ptr,
      targets.ptr,
      img.ptr,
      lab.ptr,
      idx.ptr,
      batch,
      height,
      width,
      10,
      maxShift,
      flip,
      seed,
    );
    for (let b = 0; b < batch; b++) {
      const want = ref.augment_image(images, indices[b]!, height, width, maxShift, flip !== 0, seed);
      // x/255 with x an integer: the f32 division is correctly rounded, the f64 reference rounds to it.
      const got = inputs.f32().subarray(b * pixels, (b + 1) * pixels);
      expect(mismatch('augment', `image ${b}`, got, want.map(Math.fround), 0)).toBe('');
      const onehot = Array.from(targets.f32().subarray(b * 10, b * 10 + 10));
      expect(onehot).toEqual(Array.from({ length: 10 }, (_, c) => (c === labels[indices[b]!] ? 1 : 0)));
    }
    w.checkGuards();
  });

  it('shifts and flips: every offset in range is drawn, and about half the images are mirrored', () => {
    w.reset();
    const draws = Array.from({ length: 4000 }, (_, i) => ref.draw(99, i));
    const dys = new Set(draws.map((h) => ((h & 0xff) % 5) - 2));
    const dxs = new Set(draws.map((h) => (((h >>> 8) & 0xff) % 5) - 2));
    expect([...dys].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    expect([...dxs].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    const mirrored = draws.filter((h) => h >>> 31 === 1).length / draws.length;
    expect(Math.abs(mirrored - 0.5)).toBeLessThan(0.05);
  });

  it('gives the same batch however it is split, and maxShift 0 without flip is the plain gather', () => {
    w.reset();
    const batch = 32;
    const { images, labels } = dataset(100, 28, 28, 5);
    const indices = Int32Array.from({ length: batch }, (_, i) => (i * 37) % 100);
    const img = w.from(images),
      lab = w.from(labels),
      idx = w.from(indices);
    const whole = w.nan(batch * 784),
      parts = w.nan(batch * 784),
      plain = w.nan(batch * 784),
      t = w.nan(batch * 10);
    w.exports.gather_batch_augment_u8_f32(whole.ptr, t.ptr, img.ptr, lab.ptr, idx.ptr, batch, 28, 28, 10, 2, 1, 7);
    for (const [start, rows] of [
      [0, 5],
      [5, 20],
      [25, 7],
    ] as const) {
      w.exports.gather_batch_augment_u8_f32(
        parts.ptr + start * 784 * 4,
        0,
        img.ptr,
        lab.ptr,
        idx.ptr + start * 4,
        rows,
        28,
        28,
        10,
        2,
        1,
        7,
      );
    }
    expect(Array.from(parts.f32())).toEqual(Array.from(whole.f32()));
    w.exports.gather_batch_augment_u8_f32(whole.ptr, t.ptr, img.ptr, lab.ptr, idx.ptr, batch, 28, 28, 10, 0, 0, 7);
    w.exports.gather_batch_u8_f32(plain.ptr, t.ptr, img.ptr, lab.ptr, idx.ptr, batch, 784, 10);
    expect(Array.from(whole.f32())).toEqual(Array.from(plain.f32()));
    w.checkGuards();
  });
});
