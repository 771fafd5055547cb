// assembly/data.ts against the reference (test/reference/data.ts) on seeded data, on the debug build
// (and the release build for the out-of-range label, where the debug build traps by design), with
// NaN-prefilled outputs and guard words.
import { beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
import { PAPER_SIZES, TAIL_SIZES, randomF32, rng } from '../helpers/random.js';
import { mismatch } from '../helpers/compare.js';
import * as ref from '../reference/data.js';

const BATCHES = [15, 64, 128] as const;

let w: TestWasm;
let release: TestWasm;
beforeAll(async () => {
  w = await TestWasm.create('debug');
  release = await TestWasm.create('release');
});

function randomBytes(n: number, seed: number, max = 256): Uint8Array {
  const next = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * max));
}
function randomIndices(n: number, seed: number, max: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * max));
}

describe('gather_batch_u8_f32', () => {
  // inputs: one correctly rounded f32 division of an integer by 255; the 'every byte' case below
  // shows that equals Math.fround(b / 255) for all 256 values, so the comparison is exact
  // (tolerance 0 against the f64 reference rounded to f32). targets are exact 0/1.
  it('divides every byte value exactly as fround(b / 255)', () => {
    w.reset();
    const images = w.from(Uint8Array.from({ length: 256 }, (_, i) => i));
    const labels = w.from(new Uint8Array(1));
    const indices = w.from(new Int32Array([0]));
    const inputs = w.nan(256),
      targets = w.nan(1);
    w.exports.gather_batch_u8_f32(inputs.ptr, targets.ptr, images.ptr, labels.ptr, indices.ptr, 1, 256, 1);
    const got = inputs.f32();
    for (let b = 0; b < 256; b++) expect(got[b]).toBe(Math.fround(b / 255));
    expect(targets.f32()[0]).toBe(1);
    w.checkGuards();
  });

  const CASES: [number, number, number][] = [
    ...TAIL_SIZES.map((b): [number, number, number] => [b, 784, 10]),
    ...TAIL_SIZES.map((p): [number, number, number] => [3, p, 10]),
    ...TAIL_SIZES.map((c): [number, number, number] => [5, 17, c]),
    ...BATCHES.map((b): [number, number, number] => [b, 784, 10]),
    ...PAPER_SIZES.map((p): [number, number, number] => [15, p, 10]),
  ];
  it.each(CASES)('batch %i, pixels %i, classes %i (and targets 0 = skip)', (batch, pixels, classes) => {
    w.reset();
    const N = 40;
    const imgs = randomBytes(N * pixels, batch * 1000 + pixels);
    const labs = randomBytes(N, classes + 5, classes);
    const idx = randomIndices(batch, batch + pixels + classes, N);
    const images = w.from(imgs),
      labels = w.from(labs),
      indices = w.from(idx);
    const inputs = w.nan(batch * pixels),
      targets = w.nan(batch * classes);
    w.exports.gather_batch_u8_f32(inputs.ptr, targets.ptr, images.ptr, labels.ptr, indices.ptr, batch, pixels, classes);
    const want = ref.gather_batch_u8_f32(imgs, labs, idx, batch, pixels, classes);
    const shape = `${batch}x${pixels} classes ${classes}`;
    expect(mismatch('gather_batch_u8_f32 inputs', shape, inputs.f32(), want.inputs.map(Math.fround), 0)).toBe('');
    expect(mismatch('gather_batch_u8_f32 targets', shape, targets.f32(), want.targets, 0)).toBe('');

    // targets = 0: inputs rewritten the same, and nothing written at address 0.
    const low = new Uint8Array(w.exports.memory.buffer, 0, 64).slice();
    const inputs2 = w.nan(batch * pixels);
    w.exports.gather_batch_u8_f32(inputs2.ptr, 0, images.ptr, labels.ptr, indices.ptr, batch, pixels, classes);
    expect(Array.from(inputs2.f32())).toEqual(Array.from(inputs.f32()));
    expect(Array.from(new Uint8Array(w.exports.memory.buffer, 0, 64))).toEqual(Array.from(low));
    w.checkGuards();
  });

  it('traps on a label ≥ classes in the debug build', () => {
    w.reset();
    const images = w.from(new Uint8Array(8)),
      labels = w.from(new Uint8Array([3, 10])),
      indices = w.from(new Int32Array([0, 1]));
    const inputs = w.nan(16),
      targets = w.nan(20);
    expect(() => w.exports.gather_batch_u8_f32(inputs.ptr, targets.ptr, images.ptr, labels.ptr, indices.ptr, 2, 4, 10)).toThrow();
  });

  it('leaves the row all zeros and writes nothing outside targets in the release build', () => {
    release.reset();
    const labs = new Uint8Array([3, 10, 255, 9]);
    const images = release.from(randomBytes(4 * 5, 3)),
      labels = release.from(labs);
    const indices = release.from(new Int32Array([0, 1, 2, 3]));
    const inputs = release.nan(20),
      targets = release.nan(40);
    release.exports.gather_batch_u8_f32(inputs.ptr, targets.ptr, images.ptr, labels.ptr, indices.ptr, 4, 5, 10);
    const t = Array.from(targets.f32());
    const oneHot = (l: number) => Array.from({ length: 10 }, (_, c) => (c === l ? 1 : 0));
    expect(t).toEqual([...oneHot(3), ...oneHot(-1), ...oneHot(-1), ...oneHot(9)]);
    release.checkGuards();
  });
});

describe('argmax_f32_rows', () => {
  const CASES: [number, number][] = [
    ...[1, 2, 3, 5].flatMap((r) => TAIL_SIZES.map((c): [number, number] => [r, c])),
    ...BATCHES.flatMap((b) => PAPER_SIZES.map((c): [number, number] => [b, c])),
  ];
  it.each(CASES)('%i x %i, random and tied rows', (rows, cols) => {
    w.reset();
    // Random rows, then rows of few distinct values (ties everywhere, incl. −0 and +0).
    const xs = randomF32(rows * cols, rows * 50 + cols);
    const next = rng(rows + cols);
    const ties = Float32Array.from({ length: rows * cols }, () => [-1, -0, 0, 2, 2, -Infinity][Math.floor(next() * 6)]);
    for (const data of [xs, ties]) {
      w.reset();
      const x = w.from(data),
        out = w.alloc(rows);
      out.i32().fill(-7);
      w.exports.argmax_f32_rows(out.ptr, x.ptr, rows, cols);
      expect(mismatch('argmax_f32_rows', `${rows}x${cols}`, out.i32(), ref.argmax_f32_rows(data, rows, cols), 0)).toBe('');
      w.checkGuards();
    }
  });

  it('returns the first NaN of a row holding NaN, the first maximum otherwise, for NaN at each position', () => {
    for (const cols of [1, 3, 4, 5, 10, 17, 33]) {
      for (let at = 0; at < cols; at++) {
        w.reset();
        const data = randomF32(2 * cols, cols * 100 + at);
        data[at] = NaN;
        data[cols + at] = 5; // row 1: a clear maximum at `at`
        if (at + 1 < cols) data[cols + at + 1] = 5; // and a tie after it
        const x = w.from(data),
          out = w.alloc(2);
        w.exports.argmax_f32_rows(out.ptr, x.ptr, 2, cols);
        expect(Array.from(out.i32())).toEqual([at, at]);
        expect(Array.from(ref.argmax_f32_rows(data, 2, cols))).toEqual([at, at]);
        w.checkGuards();
      }
    }
  });
});
