// assembly/batchnorm.ts against the f64 reference (test/reference/regularization.ts) on the debug
// build, NaN-prefilled outputs and guard words; the backward against the f64 formula and that
// formula against central differences of the f64 forward.
import { beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
import { randomF32 } from '../helpers/random.js';
import { U, axpy, dot, mismatch } from '../helpers/compare.js';
import * as ref from '../reference/regularization.js';

/** [rows, cols]: tails both ways, a Dense layer's [batch, units], a conv layer's [b·h·w, channels]. */
const SHAPES: [number, number][] = [
  [1, 1],
  [2, 3],
  [3, 5],
  [5, 7],
  [17, 4],
  [31, 17],
  [64, 33],
  [15, 300],
  [64, 200],
  [128, 10],
  [2 * 26 * 26, 32],
  [4 * 13 * 13, 64],
];
const EPSILON = 1e-3; // Keras' default
const MOMENTUM = 0.99;

let w: TestWasm;
beforeAll(async () => {
  w = await TestWasm.create('debug');
});

interface Setup {
  xs: Float32Array;
  gs: Float32Array;
  bs: Float32Array;
  rows: number;
  cols: number;
}

function setup(rows: number, cols: number): Setup {
  // An offset and a spread per column, so the mean is not ~0 and the variance not ~1.
  const xs = randomF32(rows * cols, rows * 31 + cols);
  const offsets = randomF32(cols, cols + 1, -3, 3);
  const spreads = randomF32(cols, cols + 2, 0.1, 4);
  for (let i = 0; i < xs.length; i++) xs[i] = offsets[i % cols]! + spreads[i % cols]! * xs[i]!;
  return { xs, gs: randomF32(cols, cols + 3, 0.5, 2), bs: randomF32(cols, cols + 4, -1, 1), rows, cols };
}

/**
 * Error bound of y = x·scale + shift with scale = gamma·invstd and shift = beta − mean·scale, all
 * in f32 from the f32 statistics: invstd is off by ≤ 4U relative (the variance's rounding, +ε,
 * √ and 1/·, each ≤ U, the variance summed in f64 from the rounded mean), scale ≤ 5U, each of the
 * products and sums adds U of its own magnitude, and the mean itself is off by U·|mean|.
 */
function normalizeTolerance(s: Setup, mean: ArrayLike<number>, variance: ArrayLike<number>, want: Float64Array): Float64Array {
  return Float64Array.from(want, (v, i) => {
    const c = i % s.cols;
    const scale = Math.abs(s.gs[c]!) / Math.sqrt(variance[c]! + EPSILON);
    return 8 * U * (Math.abs(s.xs[i]!) * scale + Math.abs(mean[c]!) * scale + Math.abs(s.bs[c]!) + Math.abs(v));
  });
}

describe('batchnorm_f32_forward_train', () => {
  it.each(SHAPES)('%i x %i: statistics, output and moving averages (and in place)', (rows, cols) => {
    w.reset();
    const s = setup(rows, cols);
    const movingMean0 = randomF32(cols, cols + 5),
      movingVar0 = randomF32(cols, cols + 6, 0.5, 2);
    const x = w.from(s.xs),
      gamma = w.from(s.gs),
      beta = w.from(s.bs);
    const y = w.nan(rows * cols),
      mean = w.nan(cols),
      invstd = w.nan(cols);
    const movingMean = w.from(movingMean0),
      movingVar = w.from(movingVar0);
    const ws = w.alloc(w.exports.batchnorm_f32_workspace_bytes(cols) / 4);
    w.exports.batchnorm_f32_forward_train(
      y.ptr,
      mean.ptr,
      invstd.ptr,
      movingMean.ptr,
      movingVar.ptr,
      x.ptr,
      gamma.ptr,
      beta.ptr,
      ws.ptr,
      rows,
      cols,
      MOMENTUM,
      EPSILON,
    );
    const want = ref.batchnorm_f32_forward_train(s.xs, s.gs, s.bs, rows, cols, EPSILON);
    const shape = `${rows}x${cols}`;
    // mean: an f64 sum of f32 values divided once and rounded once.
    expect(
      mismatch(
        'mean',
        shape,
        mean.f32(),
        want.mean,
        want.mean.map((v) => U * Math.abs(v) + 2 ** -52 * rows),
      ),
    ).toBe('');
    const wantInv = want.variance.map((v) => 1 / Math.sqrt(v + EPSILON));
    expect(
      mismatch(
        'invstd',
        shape,
        invstd.f32(),
        wantInv,
        wantInv.map((v) => 4 * U * v),
      ),
    ).toBe('');
    expect(mismatch('y', shape, y.f32(), want.y, normalizeTolerance(s, want.mean, want.variance, want.y))).toBe('');
    // Keras' moving averages: momentum·old + (1 − momentum)·batch value, three f32 roundings.
    const wantMM = Float64Array.from(movingMean0, (m, c) => MOMENTUM * m + (1 - MOMENTUM) * want.mean[c]!);
    const wantMV = Float64Array.from(movingVar0, (m, c) => MOMENTUM * m + (1 - MOMENTUM) * want.variance[c]!);
    expect(
      mismatch(
        'moving mean',
        shape,
        movingMean.f32(),
        wantMM,
        wantMM.map((v, c) => 4 * U * (Math.abs(v) + Math.abs(want.mean[c]!))),
      ),
    ).toBe('');
    expect(
      mismatch(
        'moving var',
        shape,
        movingVar.f32(),
        wantMV,
        wantMV.map((v, c) => 4 * U * (Math.abs(v) + want.variance[c]!)),
      ),
    ).toBe('');
    // In place: the same bits.
    w.exports.batchnorm_f32_forward_train(
      x.ptr,
      mean.ptr,
      invstd.ptr,
      movingMean.ptr,
      movingVar.ptr,
      x.ptr,
      gamma.ptr,
      beta.ptr,
      ws.ptr,
      rows,
      cols,
      MOMENTUM,
      EPSILON,
    );
    expect(Array.from(x.f32())).toEqual(Array.from(y.f32()));
    w.checkGuards();
  });
});

describe('batchnorm_f32_forward_inference', () => {
  it.each(SHAPES)('%i x %i equals gamma·(x − moving mean)/√(moving var + ε) + beta', (rows, cols) => {
    w.reset();
    const s = setup(rows, cols);
    const mm = randomF32(cols, cols + 7, -2, 2),
      mv = randomF32(cols, cols + 8, 0.2, 3);
    const x = w.from(s.xs),
      gamma = w.from(s.gs),
      beta = w.from(s.bs),
      movingMean = w.from(mm),
      movingVar = w.from(mv);
    const y = w.nan(rows * cols);
    const ws = w.alloc(w.exports.batchnorm_f32_workspace_bytes(cols) / 4);
    w.exports.batchnorm_f32_forward_inference(
      y.ptr,
      x.ptr,
      movingMean.ptr,
      movingVar.ptr,
      gamma.ptr,
      beta.ptr,
      ws.ptr,
      rows,
      cols,
      EPSILON,
    );
    const want = ref.batchnorm_normalize(s.xs, mm, mv, s.gs, s.bs, rows, cols, EPSILON);
    expect(mismatch('y', `${rows}x${cols}`, y.f32(), want, normalizeTolerance(s, mm, mv, want))).toBe('');
    // The moving statistics are inputs only.
    expect(Array.from(movingMean.f32())).toEqual(Array.from(mm));
    expect(Array.from(movingVar.f32())).toEqual(Array.from(mv));
    w.checkGuards();
  });
});

describe('batchnorm_f32_backward', () => {
  it.each(SHAPES)('%i x %i against the f64 formula on the same statistics (and dx in place)', (rows, cols) => {
    w.reset();
    const s = setup(rows, cols);
    const dys = randomF32(rows * cols, rows + cols + 9);
    const x = w.from(s.xs),
      gamma = w.from(s.gs),
      beta = w.from(s.bs);
    const y = w.nan(rows * cols),
      mean = w.nan(cols),
      invstd = w.nan(cols);
    const movingMean = w.from(new Float32Array(cols)),
      movingVar = w.from(new Float32Array(cols).fill(1));
    const ws = w.alloc(w.exports.batchnorm_f32_workspace_bytes(cols) / 4);
    w.exports.batchnorm_f32_forward_train(
      y.ptr,
      mean.ptr,
      invstd.ptr,
      movingMean.ptr,
      movingVar.ptr,
      x.ptr,
      gamma.ptr,
      beta.ptr,
      ws.ptr,
      rows,
      cols,
      MOMENTUM,
      EPSILON,
    );
    const dy = w.from(dys),
      dx = w.nan(rows * cols),
      dgamma = w.nan(cols),
      dbeta = w.nan(cols);
    w.exports.batchnorm_f32_backward(dx.ptr, dgamma.ptr, dbeta.ptr, dy.ptr, x.ptr, mean.ptr, invstd.ptr, gamma.ptr, rows, cols);
    const m = mean.f32(),
      inv = invstd.f32();
    const want = ref.batchnorm_f32_backward(dys, s.xs, m, inv, s.gs, rows, cols);
    // x̂ is computed in f32 (2U relative plus U·|x|·invstd for x − mean); the f64 sums of dy and dy·x̂
    // carry that per term and one final rounding; dx adds ~5 roundings of its terms' magnitudes.
    const xhat = (i: number) => Math.abs((s.xs[i]! - m[i % cols]!) * inv[i % cols]!);
    const absDg = new Float64Array(cols),
      absDb = new Float64Array(cols);
    for (let i = 0; i < rows * cols; i++) {
      absDb[i % cols]! += Math.abs(dys[i]!);
      absDg[i % cols]! += Math.abs(dys[i]!) * (xhat(i) + Math.abs(s.xs[i]!) * inv[i % cols]!);
    }
    const shape = `${rows}x${cols}`;
    expect(
      mismatch(
        'dbeta',
        shape,
        dbeta.f32(),
        want.dbeta,
        absDb.map((v) => U * v),
      ),
    ).toBe('');
    expect(
      mismatch(
        'dgamma',
        shape,
        dgamma.f32(),
        want.dgamma,
        absDg.map((v) => 3 * U * v),
      ),
    ).toBe('');
    const tolDx = want.dx.map((_, i) => {
      const c = i % cols;
      const k = Math.abs(s.gs[c]!) * inv[c]!;
      const terms =
        Math.abs(dys[i]!) +
        absDb[c]! / rows +
        ((xhat(i) + Math.abs(s.xs[i]!) * inv[c]!) * (Math.abs(want.dgamma[c]!) + 3 * U * absDg[c]!)) / rows;
      return 8 * U * k * terms + k * ((U * absDb[c]!) / rows + (xhat(i) * 3 * U * absDg[c]!) / rows);
    });
    expect(mismatch('dx', shape, dx.f32(), want.dx, tolDx)).toBe('');
    w.exports.batchnorm_f32_backward(dy.ptr, dgamma.ptr, dbeta.ptr, dy.ptr, x.ptr, mean.ptr, invstd.ptr, gamma.ptr, rows, cols);
    expect(Array.from(dy.f32())).toEqual(Array.from(dx.f32()));
    w.checkGuards();
  });

  it.each([
    [3, 2],
    [16, 5],
    [64, 12],
    [2 * 26 * 26, 4],
  ] as const)('the f64 formula matches central differences, %i x %i', (rows, cols) => {
    // L(x, gamma, beta) = Σ dy·BN(x) along a random direction in all three; h = 1e-4 in f64: the
    // truncation is h²/6·|L'''| — bounded here by comparing with h/2 (Richardson: the error of the
    // h estimate is 4/3 of their difference) — plus rounding ≈ 2^−52·Σ|dy·y|/h.
    const s = setup(rows, cols);
    const dys = randomF32(rows * cols, 40 + rows);
    const dX = randomF32(rows * cols, 41 + rows),
      dG = randomF32(cols, 42 + cols),
      dB = randomF32(cols, 43 + cols);
    const L = (t: number) => ref.batchnorm_projection(axpy(s.xs, t, dX), axpy(s.gs, t, dG), axpy(s.bs, t, dB), dys, rows, cols, EPSILON);
    const fdAt = (h: number) => (L(h) - L(-h)) / (2 * h);
    const h = 1e-4;
    const fd = fdAt(h);
    const stats = ref.column_stats(s.xs, rows, cols);
    const inv = stats.variance.map((v) => 1 / Math.sqrt(v + EPSILON));
    const g = ref.batchnorm_f32_backward(dys, s.xs, stats.mean, inv, s.gs, rows, cols);
    const analytic = dot(g.dx, dX) + dot(g.dgamma, dG) + dot(g.dbeta, dB);
    const y = ref.batchnorm_f32_forward_train(s.xs, s.gs, s.bs, rows, cols, EPSILON).y;
    const rounding = (4 * 2 ** -52 * Array.from(y, (v, i) => Math.abs(v * dys[i]!)).reduce((a, b) => a + b, 0)) / h;
    const truncation = (4 / 3) * Math.abs(fd - fdAt(h / 2));
    expect(Math.abs(analytic - fd)).toBeLessThanOrEqual(truncation + 2 * rounding);
  });
});
