// assembly/softmax-xent.ts against the f64 reference (test/reference/softmax-xent.ts) on seeded data,
// on the debug build, NaN-prefilled outputs, guard words; the fused gradient also against central
// differences of the f64 loss along a random direction, for both reductions.
import { beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
import { PAPER_SIZES, TAIL_SIZES, randomF32, rng } from '../helpers/random.js';
import { MIN_NORMAL, U, absDot, axpy, dot, firstNonFinite, mismatch } from '../helpers/compare.js';
import * as ref from '../reference/softmax-xent.js';

const BATCHES = [15, 64, 128] as const;
const MATRICES: [number, number][] = [
  ...[1, 2, 3, 5, 17].flatMap((r) => TAIL_SIZES.map((c): [number, number] => [r, c])),
  ...TAIL_SIZES.map((r): [number, number] => [r, 10]),
  ...BATCHES.flatMap((b) => PAPER_SIZES.map((c): [number, number] => [b, c])),
];
const REDUCTIONS = [
  [0, 'Mean'],
  [1, 'Sum'],
] as const;

/** Error bound of the vector exp in ulps, exhaustively measured (test/assembly/simd.spec.ts). */
const EXP_ULP = 2.3;

let w: TestWasm;
beforeAll(async () => {
  w = await TestWasm.create('debug');
});

/** One-hot rows (label r·7 mod cols, varied by a seeded RNG). */
function oneHot(rows: number, cols: number, seed: number): Float32Array {
  const next = rng(seed);
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) t[r * cols + Math.floor(next() * cols)] = 1;
  return t;
}

/** Rows of a random distribution (positive, summing to 1 in f64, then rounded to f32). */
function distribution(rows: number, cols: number, seed: number): Float32Array {
  const u = randomF32(rows * cols, seed, 0, 1);
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += u[r * cols + c];
    for (let c = 0; c < cols; c++) t[r * cols + c] = u[r * cols + c] / s;
  }
  return t;
}

/**
 * Per-row quantities of the error bounds: d = x − max, p, S = Σ exp(d), and Σ_j p_j·|d_j|.
 * The kernel's f32 path: d̂ = fl(x − max) (relative error U, so exp(d̂) is off by U·|d| relative);
 * exp adds 2·EXP_ULP·U (an ulp is at most 2U·|value|); the f32 sum of cols terms adds (cols − 1)·U
 * and inherits Σ_j p_j·(U·|d_j| + 2·EXP_ULP·U); the division adds U. So, to first order,
 *   |p̂_i − p_i| ≤ U·p_i·(|d_i| + Σ_j p_j|d_j| + 4·EXP_ULP + cols) + MIN_NORMAL,
 * the last term for exp(d) < 2^−126, flushed to 0 (S ≥ 1, so p moves by less than that).
 */
function softmaxBounds(x: ArrayLike<number>, rows: number, cols: number) {
  const p = ref.softmax_f32_forward(x, rows, cols);
  const tolP = new Float64Array(rows * cols);
  const sumRelErr = new Float64Array(rows);
  const logS = new Float64Array(rows);
  const absD = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
    let pd = 0;
    let s = 0;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      absD[i] = Math.abs(x[i] - max);
      pd += p[i] * absD[i];
      s += Math.exp(x[i] - max);
    }
    logS[r] = Math.log(s);
    sumRelErr[r] = U * (pd + 2 * EXP_ULP + cols - 1);
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      tolP[i] = U * p[i] * (absD[i] + pd + 4 * EXP_ULP + cols) + MIN_NORMAL;
    }
  }
  return { p, tolP, sumRelErr, logS, absD };
}

/**
 * Bounds for the fused kernel, reduction flag `red`.
 * dlogits = fl(fl(p̂ − t) / div): |error| ≤ (tolP + 2U·|p − t|) / div.
 * Row loss ℓ = (Σt)·log Ŝ − Σ t·d̂ (f32 sums, f64 combination): log Ŝ is off by relerr(S); Σt by
 * (cols − 1)·U·Σ|t| (times log S); Σ t·d̂ by (cols + 1)·U·Σ|t·d| (d̂, the product, cols − 1 adds).
 */
function fusedBounds(x: ArrayLike<number>, t: ArrayLike<number>, rows: number, cols: number, red: 0 | 1) {
  const { p, tolP, sumRelErr, logS, absD } = softmaxBounds(x, rows, cols);
  const div = red === 0 ? rows : 1;
  const tolD = Float64Array.from(tolP, (tp, i) => (tp + 2 * U * Math.abs(p[i] - t[i])) / div);
  let tolLoss = 0;
  for (let r = 0; r < rows; r++) {
    let st = 0;
    let std = 0;
    for (let c = 0; c < cols; c++) {
      st += Math.abs(t[r * cols + c]);
      std += Math.abs(t[r * cols + c]) * absD[r * cols + c];
    }
    tolLoss += st * sumRelErr[r] + (cols - 1) * U * st * logS[r] + (cols + 1) * U * std;
  }
  return { tolD, tolLoss: tolLoss / div };
}

describe('softmax_f32_forward', () => {
  it.each(MATRICES)('%i x %i (and in place)', (rows, cols) => {
    w.reset();
    const xs = randomF32(rows * cols, rows * 100 + cols, -8, 8);
    const x = w.from(xs),
      y = w.nan(rows * cols);
    w.exports.softmax_f32_forward(y.ptr, x.ptr, rows, cols);
    const { p, tolP } = softmaxBounds(xs, rows, cols);
    expect(mismatch('softmax_f32_forward', `${rows}x${cols}`, y.f32(), p, tolP)).toBe('');
    w.exports.softmax_f32_forward(x.ptr, x.ptr, rows, cols);
    expect(Array.from(x.f32())).toEqual(Array.from(y.f32()));
    w.checkGuards();
  });

  it.each([
    [1, 1],
    [4, 10],
    [3, 33],
    [128, 10],
    [15, 129],
  ] as const)('stays finite with logits of ±100, %i x %i', (rows, cols) => {
    w.reset();
    const xs = randomF32(rows * cols, rows + cols).map((v) => (v < 0 ? -100 : 100) + v);
    const x = w.from(xs),
      y = w.nan(rows * cols);
    w.exports.softmax_f32_forward(y.ptr, x.ptr, rows, cols);
    expect(firstNonFinite(y.f32())).toBe(-1);
    const { p, tolP } = softmaxBounds(xs, rows, cols);
    expect(mismatch('softmax_f32_forward', `${rows}x${cols} ±100`, y.f32(), p, tolP)).toBe('');
    w.checkGuards();
  });
});

describe('softmax_xent_f32_fused', () => {
  for (const [red, name] of REDUCTIONS) {
    it.each(MATRICES)(`${name}: %i x %i, one-hot and distribution targets, dlogits aliasing logits`, (rows, cols) => {
      for (const kind of ['one-hot', 'distribution'] as const) {
        w.reset();
        const xs = randomF32(rows * cols, rows * 7 + cols + red, -8, 8);
        const ts = kind === 'one-hot' ? oneHot(rows, cols, rows + cols) : distribution(rows, cols, rows + cols);
        const x = w.from(xs),
          t = w.from(ts),
          d = w.nan(rows * cols);
        const loss = w.exports.softmax_xent_f32_fused(d.ptr, x.ptr, t.ptr, rows, cols, red);
        const want = ref.softmax_xent_f32_fused(xs, ts, rows, cols, red);
        const { tolD, tolLoss } = fusedBounds(xs, ts, rows, cols, red);
        const shape = `${rows}x${cols} ${name} ${kind}`;
        expect(mismatch('softmax_xent_f32_fused dlogits', shape, d.f32(), want.dlogits, tolD)).toBe('');
        expect(Math.abs(loss - want.loss), `loss ${shape}: got ${loss}, expected ${want.loss}`).toBeLessThanOrEqual(tolLoss);
        // In place: same bits, same loss.
        const loss2 = w.exports.softmax_xent_f32_fused(x.ptr, x.ptr, t.ptr, rows, cols, red);
        expect(loss2).toBe(loss);
        expect(Array.from(x.f32())).toEqual(Array.from(d.f32()));
        w.checkGuards();
      }
    });

    it.each([
      [1, 10],
      [15, 10],
      [128, 10],
      [7, 33],
      [2, 129],
    ] as const)(`${name}: stays finite with logits of ±100, %i x %i`, (rows, cols) => {
      w.reset();
      const xs = randomF32(rows * cols, rows * 3 + cols).map((v) => (v < 0 ? -100 : 100) + v);
      // Put some labels on the −100 logits: p underflows to 0 there, the loss must still be finite.
      const ts = oneHot(rows, cols, 99 + rows);
      const x = w.from(xs),
        t = w.from(ts),
        d = w.nan(rows * cols);
      const loss = w.exports.softmax_xent_f32_fused(d.ptr, x.ptr, t.ptr, rows, cols, red);
      expect(Number.isFinite(loss)).toBe(true);
      expect(firstNonFinite(d.f32())).toBe(-1);
      const want = ref.softmax_xent_f32_fused(xs, ts, rows, cols, red);
      const { tolD, tolLoss } = fusedBounds(xs, ts, rows, cols, red);
      expect(mismatch('softmax_xent_f32_fused dlogits', `${rows}x${cols} ±100`, d.f32(), want.dlogits, tolD)).toBe('');
      expect(Math.abs(loss - want.loss)).toBeLessThanOrEqual(tolLoss);
      w.checkGuards();
    });

    it.each([
      [1, 1],
      [1, 10],
      [3, 7],
      [15, 10],
      [64, 10],
      [5, 33],
    ] as const)(`${name}: dlogits match central differences of the f64 loss, %i x %i`, (rows, cols) => {
      // Σ dlogits·dir against (L(x + h·dir) − L(x − h·dir)) / 2h. Kernel side: Σ|dir|·tolD. Central
      // difference: truncation h²/6·|L'''|, where L''' along dir is the third cumulant of dir under p
      // times Σt per row, at most (max dir − min dir)³ ≤ 8 per row (÷ rows for Mean); f64 rounding
      // ≈ 4·2^−52·|L|/h. h = 1e-4.
      w.reset();
      const n = rows * cols;
      const xs = randomF32(n, 40 + n + red, -4, 4);
      const ts = oneHot(rows, cols, 41 + n);
      const dir = randomF32(n, 42 + n);
      const L = (x: ArrayLike<number>) => ref.softmax_xent_loss(x, ts, rows, cols, red);
      const h = 1e-4;
      const fd = (L(axpy(xs, h, dir)) - L(axpy(xs, -h, dir))) / (2 * h);
      const x = w.from(xs),
        t = w.from(ts),
        d = w.nan(n);
      w.exports.softmax_xent_f32_fused(d.ptr, x.ptr, t.ptr, rows, cols, red);
      const { tolD } = fusedBounds(xs, ts, rows, cols, red);
      const div = red === 0 ? rows : 1;
      const tol = absDot(tolD, dir) + ((h * h) / 6) * 8 * (rows / div) + (4 * 2 ** -52 * Math.abs(L(xs))) / h;
      expect(Math.abs(dot(d.f32(), dir) - fd)).toBeLessThanOrEqual(tol);
      w.checkGuards();
    });
  }

  it('Mean is Sum / rows, for the loss and for dlogits', () => {
    w.reset();
    const rows = 15,
      cols = 10;
    const xs = randomF32(rows * cols, 77, -3, 3);
    const ts = oneHot(rows, cols, 78);
    const x = w.from(xs),
      t = w.from(ts),
      dm = w.nan(rows * cols),
      ds = w.nan(rows * cols);
    const mean = w.exports.softmax_xent_f32_fused(dm.ptr, x.ptr, t.ptr, rows, cols, 0);
    const sum = w.exports.softmax_xent_f32_fused(ds.ptr, x.ptr, t.ptr, rows, cols, 1);
    expect(mean).toBeCloseTo(sum / rows, 12);
    // Both are one correctly rounded division of the same p̂ − t (by rows and by 1).
    const m = dm.f32(),
      s = ds.f32();
    for (let i = 0; i < m.length; i++) expect(m[i]).toBe(Math.fround(s[i] / rows));
    w.checkGuards();
  });
});
