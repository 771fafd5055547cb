// assembly/dropout.ts against the f64 reference (test/reference/regularization.ts) on the debug
// build: the mask bit for bit (it is a pure function of seed and index), y and dx as one f32
// rounding of the exact product, and the backward against central differences.
import { beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
import { PAPER_SIZES, TAIL_SIZES, randomF32 } from '../helpers/random.js';
import { U, axpy, dot, mismatch } from '../helpers/compare.js';
import * as ref from '../reference/regularization.js';

const COUNTS = [...TAIL_SIZES, ...PAPER_SIZES.map((c) => 64 * c)];
const RATES = [0, 0.25, 0.5, 0.9] as const;

let w: TestWasm;
beforeAll(async () => {
  w = await TestWasm.create('debug');
});

describe('dropout_f32_forward', () => {
  it.each(RATES.flatMap((rate) => COUNTS.map((n) => [rate, n] as const)))('rate %d, count %i (and in place)', (rate, n) => {
    w.reset();
    const seed = 0x9e37 + n;
    const xs = randomF32(n, n + 3);
    const x = w.from(xs),
      y = w.nan(n),
      mask = w.nan(n);
    w.exports.dropout_f32_forward(y.ptr, mask.ptr, x.ptr, n, rate, seed);
    const want = ref.dropout_f32_forward(xs, rate, seed);
    // The mask is exact (two values, chosen by integer arithmetic); y is one f32 product.
    expect(mismatch('dropout mask', `rate ${rate} n ${n}`, mask.f32(), want.mask, 0)).toBe('');
    expect(
      mismatch(
        'dropout y',
        `rate ${rate} n ${n}`,
        y.f32(),
        want.y,
        want.y.map((v) => U * Math.abs(v)),
      ),
    ).toBe('');
    w.exports.dropout_f32_forward(x.ptr, mask.ptr, x.ptr, n, rate, seed);
    expect(Array.from(x.f32())).toEqual(Array.from(y.f32()));
    w.checkGuards();
  });

  it('keeps about 1 − rate of the elements, and another seed draws another mask', () => {
    w.reset();
    const n = 1 << 16;
    const x = w.from(new Float32Array(n).fill(1)),
      y = w.nan(n),
      mask = w.nan(n),
      other = w.nan(n);
    for (const rate of [0.1, 0.5, 0.8]) {
      w.exports.dropout_f32_forward(y.ptr, mask.ptr, x.ptr, n, rate, 1);
      const kept = mask.f32().filter((m) => m !== 0).length / n;
      // Binomial(n, 1 − rate): 6 standard deviations is below 0.012 at n = 65536.
      expect(Math.abs(kept - (1 - rate))).toBeLessThan(6 * Math.sqrt((rate * (1 - rate)) / n));
      w.exports.dropout_f32_forward(y.ptr, other.ptr, x.ptr, n, rate, 2);
      const differ = mask.f32().filter((m, i) => m !== other.f32()[i]).length;
      expect(differ).toBeGreaterThan(n * rate * (1 - rate));
    }
  });
});

describe('dropout_f32_backward', () => {
  it.each(COUNTS)('count %i: dx = dy · mask (and in place)', (n) => {
    w.reset();
    const seed = 77 + n;
    const xs = randomF32(n, n + 5);
    const dys = randomF32(n, n + 6);
    const x = w.from(xs),
      y = w.nan(n),
      mask = w.nan(n),
      dy = w.from(dys),
      dx = w.nan(n);
    w.exports.dropout_f32_forward(y.ptr, mask.ptr, x.ptr, n, 0.3, seed);
    w.exports.dropout_f32_backward(dx.ptr, dy.ptr, mask.ptr, n);
    const want = Float64Array.from(dys, (v, i) => v * mask.f32()[i]!);
    expect(
      mismatch(
        'dropout dx',
        `n ${n}`,
        dx.f32(),
        want,
        want.map((v) => U * Math.abs(v)),
      ),
    ).toBe('');
    w.exports.dropout_f32_backward(dy.ptr, dy.ptr, mask.ptr, n);
    expect(Array.from(dy.f32())).toEqual(Array.from(dx.f32()));
    w.checkGuards();
  });

  it.each([7, 129, 64 * 75])('matches central differences of the f64 forward, count %i', (n) => {
    // L(x) = Σ wgt·dropout(x) is linear in x for a fixed mask: the central difference has no
    // truncation error, only f64 rounding ≈ 2^−52·Σ|wgt·y|/h (×4); the kernel's Σ dx·dir carries one
    // rounding per dx (U·Σ|dx·dir|).
    w.reset();
    const seed = 1234;
    const xs = randomF32(n, n + 8);
    const wgt = randomF32(n, n + 9);
    const dir = randomF32(n, n + 10);
    const L = (v: ArrayLike<number>) => dot(wgt, ref.dropout_f32_forward(v, 0.4, seed).y);
    const h = 1e-3;
    const fd = (L(axpy(xs, h, dir)) - L(axpy(xs, -h, dir))) / (2 * h);
    const x = w.from(xs),
      y = w.nan(n),
      mask = w.nan(n),
      dy = w.from(wgt),
      dx = w.nan(n);
    w.exports.dropout_f32_forward(y.ptr, mask.ptr, x.ptr, n, 0.4, seed);
    w.exports.dropout_f32_backward(dx.ptr, dy.ptr, mask.ptr, n);
    const got = dot(dx.f32(), dir);
    const absTerms = Array.from(dx.f32(), (v, i) => Math.abs(v * dir[i]!)).reduce((a, b) => a + b, 0);
    const absY = Array.from(ref.dropout_f32_forward(xs, 0.4, seed).y, (v, i) => Math.abs(v * wgt[i]!)).reduce((a, b) => a + b, 0);
    expect(Math.abs(got - fd)).toBeLessThanOrEqual(U * absTerms + (4 * 2 ** -52 * absY) / h);
    w.checkGuards();
  });
});
