// Internals of assembly/conv2d.ts that vitest cannot reach: im2col / col2im on tiny hand-checked
// cases (valid, same with odd and even kernels: TF puts the extra padding row/column of an even
// kernel at the bottom/right), a row range starting inside the second image, the adjoint
// identity <im2col(x), c> = <x, col2im(c)>, and the chunk-size clamp.
import { col2im_f32_nhwc, conv2d_chunk_rows, im2col_f32_nhwc } from '../../assembly/conv2d';

/** Expects `count` floats at p to equal `want`, reporting the first index that differs. */
function expectFloats(p: usize, want: f32[], what: string): void {
  for (let i = 0; i < want.length; i++) {
    const got = load<f32>(p + (<usize>i << 2));
    if (got != want[i]) {
      expect<string>(what + ' [' + i.toString() + '] = ' + got.toString()).toBe(what + ' [' + i.toString() + '] = ' + want[i].toString());
      return;
    }
  }
}

/** An f32 buffer of n floats filled with `value`. */
function filled(p: usize, n: i32, value: f32): usize {
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), value);
  return p;
}

// 1x3x3x1 input:  1 2 3 / 4 5 6 / 7 8 9
const IMAGE = memory.data<f32>([1, 2, 3, 4, 5, 6, 7, 8, 9]);
const COL = memory.data(64 * 4, 16);
const DX = memory.data(64 * 4, 16);

describe('im2col_f32_nhwc', () => {
  it('2x2 valid on 3x3: four overlapping windows', () => {
    filled(COL, 64, NaN);
    im2col_f32_nhwc(COL, IMAGE, 0, 4, 3, 3, 1, 2, 2, 0);
    expectFloats(COL, [1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9], '2x2 valid');
    expect<bool>(isNaN(load<f32>(COL, 16 * 4))).toBe(true); // nothing past the 4 rows
  });

  it('2x2 same on 3x3: padding only at the bottom/right (pad_top = pad_left = 0)', () => {
    im2col_f32_nhwc(COL, IMAGE, 0, 9, 3, 3, 1, 2, 2, 1);
    expectFloats(COL, [
      1, 2, 4, 5,  2, 3, 5, 6,  3, 0, 6, 0,
      4, 5, 7, 8,  5, 6, 8, 9,  6, 0, 9, 0,
      7, 8, 0, 0,  8, 9, 0, 0,  9, 0, 0, 0,
    ], '2x2 same');
  });

  it('3x3 same on 2x2: one row/column of padding on every side', () => {
    const img = memory.data<f32>([1, 2, 3, 4]);
    im2col_f32_nhwc(COL, img, 0, 4, 2, 2, 1, 3, 3, 1);
    expectFloats(COL, [
      0, 0, 0, 0, 1, 2, 0, 3, 4,
      0, 0, 0, 1, 2, 0, 3, 4, 0,
      0, 1, 2, 0, 3, 4, 0, 0, 0,
      1, 2, 0, 3, 4, 0, 0, 0, 0,
    ], '3x3 same');
  });

  it('2x1 valid on 2x2x2x2 from row 2: the rows of the second image, channels kept together', () => {
    const img = memory.data<f32>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    im2col_f32_nhwc(COL, img, 2, 2, 2, 2, 2, 2, 1, 0);
    expectFloats(COL, [9, 10, 13, 14, 11, 12, 15, 16], 'row range');
  });
});

describe('col2im_f32_nhwc', () => {
  it('2x2 same on 3x3, all-ones col: each pixel gets the number of windows covering it', () => {
    filled(COL, 36, 1);
    filled(DX, 9, 0);
    col2im_f32_nhwc(DX, COL, 0, 9, 3, 3, 1, 2, 2, 1);
    expectFloats(DX, [1, 2, 2, 2, 4, 4, 2, 4, 4], 'coverage');
    col2im_f32_nhwc(DX, COL, 0, 9, 3, 3, 1, 2, 2, 1);
    expectFloats(DX, [2, 4, 4, 4, 8, 8, 4, 8, 8], 'accumulates');
  });

  it('is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)> (3x2 same, 2x4x5x3, rows 3..37)', () => {
    const n = 2 * 4 * 5 * 3;
    const rows = 35;
    const k = 3 * 2 * 3;
    const x = memory.data(120 * 4, 16);
    const c = memory.data(35 * 18 * 4, 16);
    const col = memory.data(35 * 18 * 4, 16);
    const dx = memory.data(120 * 4, 16);
    let s: u32 = 12345;
    for (let i = 0; i < n; i++) { s = s * 1664525 + 1013904223; store<f32>(x + (<usize>i << 2), <f32>(s >> 8) / 16777216 - 0.5); }
    for (let i = 0; i < rows * k; i++) { s = s * 1664525 + 1013904223; store<f32>(c + (<usize>i << 2), <f32>(s >> 8) / 16777216 - 0.5); }
    filled(dx, n, 0);
    im2col_f32_nhwc(col, x, 3, rows, 4, 5, 3, 3, 2, 1);
    col2im_f32_nhwc(dx, c, 3, rows, 4, 5, 3, 3, 2, 1);
    let lhs: f64 = 0;
    let rhs: f64 = 0;
    let scale: f64 = 0;
    for (let i = 0; i < rows * k; i++) {
      const t = <f64>load<f32>(col + (<usize>i << 2)) * <f64>load<f32>(c + (<usize>i << 2));
      lhs += t;
      scale += Math.abs(t);
    }
    for (let i = 0; i < n; i++) rhs += <f64>load<f32>(x + (<usize>i << 2)) * <f64>load<f32>(dx + (<usize>i << 2));
    // col2im sums at most 3·2 = 6 f32 terms per pixel: |error| ≤ 6·2^−24·Σ|x·c|.
    expect<bool>(Math.abs(lhs - rhs) <= 6 * Math.pow(2, -24) * scale).toBe(true);
  });
});

describe('conv2d_chunk_rows', () => {
  it('fills the chunk budget, at least 16 rows, at most all rows', () => {
    expect<i32>(conv2d_chunk_rows(1000000, 288)).toBe(512 * 1024 / (288 * 4));
    expect<i32>(conv2d_chunk_rows(100, 288)).toBe(100);
    expect<i32>(conv2d_chunk_rows(1000000, 1 << 20)).toBe(16);
    expect<i32>(conv2d_chunk_rows(3, 1 << 20)).toBe(3);
  });
});
