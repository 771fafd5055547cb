// assembly/elementwise.ts against the f64 reference (test/reference/elementwise.ts) on seeded data,
// on the debug build (assertions on), NaN-prefilled outputs and guard words after every buffer.
// Every backward is also checked against central differences of the f64 reference forward along a
// random projection.
import { beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
import { PAPER_SIZES, TAIL_SIZES, randomF32 } from '../helpers/random.js';
import { MIN_NORMAL, U, absDot, axpy, dot, firstNonFinite, mismatch } from '../helpers/compare.js';
import * as ref from '../reference/elementwise.js';

const BATCHES = [15, 64, 128] as const;
/** Flat element counts: every tail class, and the paper's activations [batch, features]. */
const COUNTS = [...TAIL_SIZES, ...BATCHES.flatMap((b) => PAPER_SIZES.map((c) => b * c))];
/** [rows, cols] for bias_add: tails in both directions, and the paper's layer shapes. */
const MATRICES: [number, number][] = [
  ...[1, 2, 3, 5, 17].flatMap((r) => TAIL_SIZES.map((c): [number, number] => [r, c])),
  ...TAIL_SIZES.map((r): [number, number] => [r, 7]),
  ...BATCHES.flatMap((b) => PAPER_SIZES.map((c): [number, number] => [b, c])),
];

// Error bound of the vector sigmoid in ulps of the result (test/assembly/simd.spec.ts): exp's 2.3 ulp
// (exhaustively measured) + 0.5 for 1 + e + 0.5 for the division + 0.5 for the reflection 1 − f.
// (An exhaustive f64/fround replica over every f32 in [−87.33654, −2^−20] measured 3.53 ulp; on the
// reflected side f ≤ 0.5 has ulps half as large as 1 − f, so that side stays below 2.3.)
const SIGMOID_ULP = 3.8;
/** Below this, exp(−|x|) is flushed to 0 (no subnormals), so sigmoid(x) is 0 or 1 exactly. */
const EXP_CUTOFF = -87.33654;

/** One ulp of the f32 binade holding |v| (normal range). */
function ulp(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
}

let w: TestWasm;
beforeAll(async () => {
  w = await TestWasm.create('debug');
});

function sigmoidTolerance(x: ArrayLike<number>, want: ArrayLike<number>): Float64Array {
  // SIGMOID_ULP ulps of the result; where |x| is past the cutoff the result is exactly 0 (or 1), off
  // by less than the smallest normal from the true value.
  return Float64Array.from(want, (v, i) => (Math.abs(x[i]) > -EXP_CUTOFF ? MIN_NORMAL : SIGMOID_ULP * ulp(v)));
}

describe('bias_add_f32_forward', () => {
  // One f32 addition, correctly rounded: |got − exact| ≤ U·|exact|.
  it.each(MATRICES)('%i x %i (and in place)', (rows, cols) => {
    w.reset();
    const xs = randomF32(rows * cols, rows * 1000 + cols);
    const bs = randomF32(cols, cols + 7, -2, 2);
    const x = w.from(xs),
      bias = w.from(bs),
      y = w.nan(rows * cols);
    w.exports.bias_add_f32_forward(y.ptr, x.ptr, bias.ptr, rows, cols);
    const want = ref.bias_add_f32_forward(xs, bs, rows, cols);
    expect(
      mismatch(
        'bias_add_f32_forward',
        `${rows}x${cols}`,
        y.f32(),
        want,
        want.map((v) => U * Math.abs(v)),
      ),
    ).toBe('');
    // y aliasing x gives the same bits.
    w.exports.bias_add_f32_forward(x.ptr, x.ptr, bias.ptr, rows, cols);
    expect(Array.from(x.f32())).toEqual(Array.from(y.f32()));
    w.checkGuards();
  });
});

describe('bias_add_f32_backward', () => {
  // A recursive f32 sum of n terms has |error| ≤ (n − 1)·U·Σ|terms| (Higham, Accuracy and Stability,
  // eq. 4.4, to first order); n = rows, plus the old dbias when accumulating. n·U·Σ|terms| is used.
  it.each(MATRICES)('%i x %i, overwrite and accumulate', (rows, cols) => {
    w.reset();
    const dys = randomF32(rows * cols, rows * 31 + cols);
    const olds = randomF32(cols, cols * 3 + 1);
    const dy = w.from(dys),
      dbias = w.nan(cols);
    w.exports.bias_add_f32_backward(dbias.ptr, dy.ptr, rows, cols, 0);
    const absSum = ref.bias_add_f32_backward(dys.map(Math.abs), rows, cols);
    const want = ref.bias_add_f32_backward(dys, rows, cols);
    expect(
      mismatch(
        'bias_add_f32_backward',
        `${rows}x${cols}`,
        dbias.f32(),
        want,
        absSum.map((s) => rows * U * s),
      ),
    ).toBe('');

    const acc = w.from(olds);
    w.exports.bias_add_f32_backward(acc.ptr, dy.ptr, rows, cols, 1);
    const wantAcc = ref.bias_add_f32_backward(dys, rows, cols, olds);
    const tolAcc = absSum.map((s, c) => (rows + 1) * U * (s + Math.abs(olds[c])));
    expect(mismatch('bias_add_f32_backward(accumulate)', `${rows}x${cols}`, acc.f32(), wantAcc, tolAcc)).toBe('');
    w.checkGuards();
  });

  it.each([
    [1, 1],
    [3, 5],
    [17, 33],
    [15, 300],
    [128, 10],
    [64, 75],
  ] as const)('matches central differences, %i x %i', (rows, cols) => {
    // L(x, b) = Σ wgt·(x + b) is linear in b, so the central difference has no truncation error, only
    // f64 rounding ≈ 2^−52·Σ|wgt·y|/h. The kernel's dbias = Σ_r wgt carries rows·U·Σ|wgt| per column.
    w.reset();
    const xs = randomF32(rows * cols, 5 + rows + cols);
    const bs = randomF32(cols, 6 + cols);
    const wgt = randomF32(rows * cols, 7 + rows);
    const dir = randomF32(cols, 8 + cols);
    const L = (b: ArrayLike<number>) => dot(wgt, ref.bias_add_f32_forward(xs, b, rows, cols));
    const h = 1e-3;
    const fd = (L(axpy(bs, h, dir)) - L(axpy(bs, -h, dir))) / (2 * h);
    const dy = w.from(wgt),
      dbias = w.nan(cols);
    w.exports.bias_add_f32_backward(dbias.ptr, dy.ptr, rows, cols, 0);
    const absW = ref.bias_add_f32_backward(wgt.map(Math.abs), rows, cols);
    const tol = rows * U * absDot(absW, dir) + (2 ** -52 * absDot(wgt, ref.bias_add_f32_forward(xs, bs, rows, cols)) * 4) / h;
    expect(Math.abs(dot(dbias.f32(), dir) - fd)).toBeLessThanOrEqual(tol);
    w.checkGuards();
  });
});

describe('sigmoid_f32_forward', () => {
  it.each(COUNTS)('count %i (and in place)', (n) => {
    w.reset();
    const xs = randomF32(n, n + 11, -12, 12);
    const x = w.from(xs),
      y = w.nan(n);
    w.exports.sigmoid_f32_forward(y.ptr, x.ptr, n);
    const want = ref.sigmoid_f32_forward(xs);
    expect(mismatch('sigmoid_f32_forward', `${n}`, y.f32(), want, sigmoidTolerance(xs, want))).toBe('');
    w.exports.sigmoid_f32_forward(x.ptr, x.ptr, n);
    expect(Array.from(x.f32())).toEqual(Array.from(y.f32()));
    w.checkGuards();
  });

  it('stays finite and in [0, 1] at ±100 and around the exp cutoff', () => {
    w.reset();
    const special = [100, -100, 88, -88, 87.3, -87.3, 87.34, -87.34, 1e30, -1e30, 0, -0, 1e-30, -1e-30, 16, -16, 17];
    const xs = new Float32Array(special.length * 3);
    for (let i = 0; i < xs.length; i++) xs[i] = special[i % special.length];
    const x = w.from(xs),
      y = w.nan(xs.length);
    w.exports.sigmoid_f32_forward(y.ptr, x.ptr, xs.length);
    const got = y.f32();
    expect(firstNonFinite(got)).toBe(-1);
    for (const v of got) expect(v >= 0 && v <= 1).toBe(true);
    const want = ref.sigmoid_f32_forward(xs);
    expect(mismatch('sigmoid_f32_forward', 'extremes', got, want, sigmoidTolerance(xs, want))).toBe('');
    expect(got[0]).toBe(1);
    expect(got[1]).toBe(0);
    w.checkGuards();
  });
});

describe('sigmoid_f32_backward', () => {
  // dx = dy·(y·(1 − y)) from f32 y: three f32 roundings on a product, so |error| ≤ 3U·|exact|
  // (to first order), measured against the f64 formula on the same f32 y.
  it.each(COUNTS)('count %i (and dx aliasing dy or y)', (n) => {
    w.reset();
    const ys = randomF32(n, n + 12, 0, 1);
    const dys = randomF32(n, n + 13);
    const y = w.from(ys),
      dy = w.from(dys),
      dx = w.nan(n);
    w.exports.sigmoid_f32_backward(dx.ptr, dy.ptr, y.ptr, n);
    const want = ref.sigmoid_f32_backward(dys, ys);
    expect(
      mismatch(
        'sigmoid_f32_backward',
        `${n}`,
        dx.f32(),
        want,
        want.map((v) => 3 * U * Math.abs(v)),
      ),
    ).toBe('');
    const dy2 = w.from(dys),
      y2 = w.from(ys);
    w.exports.sigmoid_f32_backward(dy2.ptr, dy2.ptr, y.ptr, n);
    w.exports.sigmoid_f32_backward(y2.ptr, dy.ptr, y2.ptr, n);
    expect(Array.from(dy2.f32())).toEqual(Array.from(dx.f32()));
    expect(Array.from(y2.f32())).toEqual(Array.from(dx.f32()));
    w.checkGuards();
  });

  it.each([1, 3, 7, 33, 129, 300, 15 * 75])('matches central differences of the f64 forward, count %i', (n) => {
    // L(x) = Σ wgt·σ(x); the kernel's gradient along dir, Σ dx·dir, from the kernel's own forward y.
    // Its error per element: y is off by ≤ SIGMOID_ULP·ulp(y) ≤ 2·SIGMOID_ULP·U·y, which moves
    // y(1 − y) by |1 − 2y| times that, plus 3U·|dx| of roundings. The central difference with h = 1e-3
    // has truncation ≤ h²/6·Σ|wgt·dir³|·max|σ'''| (max|σ'''| = 1/8) and f64 rounding
    // ≈ 2^−52·Σ|wgt·σ|/h (×4 for the sums).
    w.reset();
    const xs = randomF32(n, 20 + n, -6, 6);
    const wgt = randomF32(n, 21 + n);
    const dir = randomF32(n, 22 + n);
    const L = (x: ArrayLike<number>) => dot(wgt, ref.sigmoid_f32_forward(x));
    const h = 1e-3;
    const fd = (L(axpy(xs, h, dir)) - L(axpy(xs, -h, dir))) / (2 * h);
    const x = w.from(xs),
      y = w.nan(n),
      dy = w.from(wgt),
      dx = w.nan(n);
    w.exports.sigmoid_f32_forward(y.ptr, x.ptr, n);
    w.exports.sigmoid_f32_backward(dx.ptr, dy.ptr, y.ptr, n);
    const ys = y.f32(),
      dxs = dx.f32();
    let tol =
      ((h * h) / 6) *
        (1 / 8) *
        absDot(
          wgt,
          dir.map((d) => d * d * d),
        ) +
      (4 * 2 ** -52 * absDot(wgt, ys)) / h;
    for (let i = 0; i < n; i++) {
      const dyerr = Math.abs(1 - 2 * ys[i]) * 2 * SIGMOID_ULP * U * ys[i] * Math.abs(wgt[i]);
      tol += Math.abs(dir[i]) * (dyerr + 3 * U * Math.abs(dxs[i]));
    }
    expect(Math.abs(dot(dxs, dir) - fd)).toBeLessThanOrEqual(tol);
    w.checkGuards();
  });
});

describe('relu_f32_forward / relu_f32_backward', () => {
  // Both are exact (a max with 0 and a bit mask): tolerance 0.
  it.each(COUNTS)('count %i (and in place / aliased)', (n) => {
    w.reset();
    const xs = randomF32(n, n + 14);
    const dys = randomF32(n, n + 15);
    const x = w.from(xs),
      y = w.nan(n),
      dy = w.from(dys),
      dx = w.nan(n);
    w.exports.relu_f32_forward(y.ptr, x.ptr, n);
    expect(mismatch('relu_f32_forward', `${n}`, y.f32(), ref.relu_f32_forward(xs), 0)).toBe('');
    w.exports.relu_f32_backward(dx.ptr, dy.ptr, y.ptr, n);
    expect(mismatch('relu_f32_backward', `${n}`, dx.f32(), ref.relu_f32_backward(dys, y.f32()), 0)).toBe('');
    w.exports.relu_f32_forward(x.ptr, x.ptr, n);
    expect(Array.from(x.f32())).toEqual(Array.from(y.f32()));
    const ysCopy = y.f32().slice();
    const dy2 = w.from(dys),
      y2 = w.from(ysCopy);
    w.exports.relu_f32_backward(dy2.ptr, dy2.ptr, y.ptr, n);
    w.exports.relu_f32_backward(y2.ptr, dy.ptr, y2.ptr, n);
    expect(Array.from(dy2.f32())).toEqual(Array.from(dx.f32()));
    expect(Array.from(y2.f32())).toEqual(Array.from(dx.f32()));
    w.checkGuards();
  });

  it('keeps NaN and passes −0 through (pmax semantics), in the vector body and the scalar tail', () => {
    w.reset();
    const pattern = [-0, 0, NaN, -1, 1, -100, 100];
    const xs = new Float32Array([...pattern, ...pattern, ...pattern]); // 21 = 16 + 4 + 1: every loop
    const x = w.from(xs),
      y = w.nan(xs.length);
    w.exports.relu_f32_forward(y.ptr, x.ptr, xs.length);
    const got = Array.from(y.f32());
    for (let i = 0; i < xs.length; i++) {
      const want = [-0, 0, NaN, 0, 1, 0, 100][i % pattern.length];
      expect(Object.is(got[i], want), `relu(${xs[i]}) at ${i}: got ${got[i]}`).toBe(true);
    }
    w.checkGuards();
  });

  it.each([1, 5, 31, 129, 64 * 200])('relu_f32_backward matches central differences, count %i', (n) => {
    // Inputs kept ≥ 0.01 away from the kink, so with h·|dir| ≤ 1e-3 the f64 forward is linear on the
    // stencil: no truncation error, f64 rounding ≈ 2^−52·Σ|wgt·y|/h (×4), and the kernel is exact.
    w.reset();
    const xs = randomF32(n, 30 + n).map((v) => Math.sign(v || 1) * (0.01 + Math.abs(v)));
    const wgt = randomF32(n, 31 + n);
    const dir = randomF32(n, 32 + n);
    const L = (x: ArrayLike<number>) => dot(wgt, ref.relu_f32_forward(x));
    const h = 1e-3;
    const fd = (L(axpy(xs, h, dir)) - L(axpy(xs, -h, dir))) / (2 * h);
    const x = w.from(xs),
      y = w.nan(n),
      dy = w.from(wgt),
      dx = w.nan(n);
    w.exports.relu_f32_forward(y.ptr, x.ptr, n);
    w.exports.relu_f32_backward(dx.ptr, dy.ptr, y.ptr, n);
    const tol = (4 * 2 ** -52 * absDot(wgt, ref.relu_f32_forward(xs))) / h + 4 * 2 ** -52 * absDot(dx.f32(), dir);
    expect(Math.abs(dot(dx.f32(), dir) - fd)).toBeLessThanOrEqual(tol);
    w.checkGuards();
  });
});
