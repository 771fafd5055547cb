// Matrix-vector route of gemm_f32_nn and dense_f32_forward for a few rows of A (batch 1 and small
// batches at inference): C[i0..i1, j0..j1) (= or +=) A[i0..i1, :]·B[:, j0..j1), A [m,k], B [k,n]
// row-major, C [m,n]. gemm.ts calls it from inside its exports (and their parts); it is not exported
// from the module.
//
// Bit-identical to the packed path (assembly/gemm.ts) for every element: that path sums C[i,j] over
// k in KC slices of equal size (kcb, passed in), each slice from +0 in k order through
// fmadd_f32x4 (multiply then add in the strict builds, relaxed_madd in the relaxed ones), then
// stores the slice's sum (first slice, not accumulating) or adds it to C (c + sum). Here each
// slice's sums run in a row of accumulators in memory, zeroed first, with the same fmadd_f32x4 per
// (p, j) in p order; the first slice of a store accumulates in C itself, later slices (and
// accumulate) in the workspace row `t`, then added to C. Any split of rows or columns (the parts)
// keeps each element's operations.
//
// Why accumulators in memory rather than registers: at batch 1 the product is a stream of B
// (784×300: 0.9 MB; the CNN's 5408×200: 4.3 MB, read from L2/L3 per image), so what counts is
// reading B in order with few instructions per byte. Four rows of B are streamed at once (one
// accumulator load and store per four multiply-adds), 64 bytes per row per iteration at constant
// offsets from bumped pointers: V8 keeps a stack check and a compare in every loop iteration and
// computes a 32-bit address (an lea) for every load at a computed address, so fewer, wider
// iterations pay. Register accumulators over a 32-column block, walking B down its rows (n·4
// bytes apart), measured 1.2-1.4x slower; eight rows at once no faster than four (bench/README.md,
// "Kernel design measurements").
// With several rows of A, each four-row strip of B (4·n floats, 4.8 KB for n = 300) is reused from
// L1 by every row before the next strip is read, so B still streams once.
//
// Workspace: t holds (i1 − i0)·(j1 − j0) floats, and for one row kcb i32 indices after them
// (gemm.ts checks it fits). t 16-byte aligned.

import { add_f32, fmadd_f32x4, load_f32x4_partial, store_f32x4_partial, zero_f32 } from './simd';

/** (((acc + x0·b0) + x1·b1) + x2·b2) + x3·b3 for one vector of four rows of B at byte offset `o`. */
// @ts-ignore: decorator
@inline function madd4(vacc: v128, vx0: v128, vx1: v128, vx2: v128, vx3: v128, b0: usize, b1: usize, b2: usize, b3: usize,
  o: usize): v128 {
  vacc = fmadd_f32x4(vacc, vx0, v128.load(b0 + o));
  vacc = fmadd_f32x4(vacc, vx1, v128.load(b1 + o));
  vacc = fmadd_f32x4(vacc, vx2, v128.load(b2 + o));
  return fmadd_f32x4(vacc, vx3, v128.load(b3 + o));
}

/** acc[0..cols) gets four steps of k: rows b0, b1, b2, b3 of B times vx0..vx3 (x's values splatted), in that order. */
// @ts-ignore: decorator
@inline function strip4(acc: usize, b0: usize, b1: usize, b2: usize, b3: usize,
  vx0: v128, vx1: v128, vx2: v128, vx3: v128, cols: i32): void {
  let n = cols;
  for (; n >= 16; n -= 16) {
    v128.store(acc, madd4(v128.load(acc, 0), vx0, vx1, vx2, vx3, b0, b1, b2, b3, 0), 0);
    v128.store(acc, madd4(v128.load(acc, 16), vx0, vx1, vx2, vx3, b0, b1, b2, b3, 16), 16);
    v128.store(acc, madd4(v128.load(acc, 32), vx0, vx1, vx2, vx3, b0, b1, b2, b3, 32), 32);
    v128.store(acc, madd4(v128.load(acc, 48), vx0, vx1, vx2, vx3, b0, b1, b2, b3, 48), 48);
    acc += 64; b0 += 64; b1 += 64; b2 += 64; b3 += 64;
  }
  for (; n >= 4; n -= 4) {
    v128.store(acc, madd4(v128.load(acc), vx0, vx1, vx2, vx3, b0, b1, b2, b3, 0));
    acc += 16; b0 += 16; b1 += 16; b2 += 16; b3 += 16;
  }
  if (n > 0) {
    // The last 1-3 columns through the same lane operations (nothing read or written past them).
    let vacc = load_f32x4_partial(acc, n);
    vacc = fmadd_f32x4(vacc, vx0, load_f32x4_partial(b0, n));
    vacc = fmadd_f32x4(vacc, vx1, load_f32x4_partial(b1, n));
    vacc = fmadd_f32x4(vacc, vx2, load_f32x4_partial(b2, n));
    vacc = fmadd_f32x4(vacc, vx3, load_f32x4_partial(b3, n));
    store_f32x4_partial(acc, vacc, n);
  }
}

/** strip4 on four consecutive rows of B from b0 (ldb bytes apart) times x[0..4). */
// @ts-ignore: decorator
@inline function strip4x(acc: usize, b0: usize, ldb: usize, x: usize, cols: i32): void {
  strip4(acc, b0, b0 + ldb, b0 + 2 * ldb, b0 + 3 * ldb, v128.load32_splat(x, 0), v128.load32_splat(x, 4),
    v128.load32_splat(x, 8), v128.load32_splat(x, 12), cols);
}

/** acc[0..cols) gets one step of k: row b of B times x[0]. */
// @ts-ignore: decorator
@inline function strip1(acc: usize, b: usize, x: usize, cols: i32): void {
  const vx = v128.load32_splat(x);
  let n = cols;
  for (; n >= 4; n -= 4) {
    v128.store(acc, fmadd_f32x4(v128.load(acc), vx, v128.load(b)));
    acc += 16; b += 16;
  }
  if (n > 0) store_f32x4_partial(acc, fmadd_f32x4(load_f32x4_partial(acc, n), vx, load_f32x4_partial(b, n)), n);
}

/**
 * C[i0..i1, j0..j1) (= or += when accumulate) A·B by rows (see the header); kcb: the KC slice size
 * of the packed path for this k. t: workspace of (i1 − i0)·(j1 − j0) floats.
 */
export function gemv_f32_nn_rows(c: usize, a: usize, b: usize, t: usize, k: i32, n: i32,
  i0: i32, i1: i32, j0: i32, j1: i32, kcb: i32, accumulate: bool): void {
  const rows = i1 - i0;
  const cols = j1 - j0;
  const ldb = <usize>n << 2; // also C's row stride
  const lda = <usize>k << 2;
  const colBytes = <usize>cols << 2;
  const c0 = c + <usize>i0 * ldb + (<usize>j0 << 2);
  const a0 = a + <usize>i0 * lda;
  if (rows == 1) {
    gemv_f32_nn_row(c0, a0, b + (<usize>j0 << 2), t, k, ldb, cols, kcb, accumulate);
    return;
  }
  for (let pc = 0; pc < k; pc += kcb) {
    const kc = min(kcb, k - pc);
    const inC = pc == 0 && !accumulate;
    const acc0 = inC ? c0 : t;
    const accStride = inC ? ldb : colBytes;
    for (let r = 0; r < rows; r++) zero_f32(acc0 + <usize>r * accStride, cols);
    let bp = b + <usize>pc * ldb + (<usize>j0 << 2);
    let x = a0 + (<usize>pc << 2);
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      for (let r = 0; r < rows; r++) strip4x(acc0 + <usize>r * accStride, bp, ldb, x + <usize>r * lda, cols);
      bp += ldb << 2;
      x += 16;
    }
    for (; p < kc; p++) {
      for (let r = 0; r < rows; r++) strip1(acc0 + <usize>r * accStride, bp, x + <usize>r * lda, cols);
      bp += ldb;
      x += 4;
    }
    if (!inC) {
      for (let r = 0; r < rows; r++) add_f32(c0 + <usize>r * ldb, t + <usize>r * colBytes, cols);
    }
  }
}

/**
 * One row of A (batch 1): c0[0..cols) (= or +=) x·B, as gemv_f32_nn_rows but streaming only the
 * rows of B whose x is not ±0 (blank pixels, ReLU zeros: about half of them in the models here).
 * Per KC slice, the indices of the nonzero x are listed first (branch-free), then those rows go
 * through strip4/strip1 in k order. Bit-identical to summing every row: a skipped product
 * x·b = ±0 (b finite) added to an accumulator that is never −0 (it starts at +0, and a sum of
 * nonzero terms that cancels rounds to +0) leaves it unchanged, and the remaining products are
 * added in the same order. (A weight of ±Infinity or NaN times a zero x gives NaN when summed,
 * nothing when skipped: the one case where a row alone and in a batch can differ.)
 * Workspace: t holds cols floats, then (16-byte aligned) kcb i32 indices.
 */
function gemv_f32_nn_row(c0: usize, x0: usize, b0: usize, t: usize, k: i32, ldb: usize, cols: i32, kcb: i32,
  accumulate: bool): void {
  const idx = t + ((<usize>cols << 2) + 15 & ~15);
  for (let pc = 0; pc < k; pc += kcb) {
    const kc = min(kcb, k - pc);
    const inC = pc == 0 && !accumulate;
    const acc = inC ? c0 : t;
    zero_f32(acc, cols);
    const x = x0 + (<usize>pc << 2);
    let count = 0;
    for (let p = 0; p < kc; p++) {
      store<i32>(idx + (<usize>count << 2), p);
      count += i32(load<f32>(x + (<usize>p << 2)) != 0);
    }
    const bp = b0 + <usize>pc * ldb;
    let q = 0;
    for (; q + 4 <= count; q += 4) {
      const at = idx + (<usize>q << 2);
      const p0 = <usize>load<i32>(at, 0);
      const p1 = <usize>load<i32>(at, 4);
      const p2 = <usize>load<i32>(at, 8);
      const p3 = <usize>load<i32>(at, 12);
      strip4(acc, bp + p0 * ldb, bp + p1 * ldb, bp + p2 * ldb, bp + p3 * ldb, v128.load32_splat(x + (p0 << 2)),
        v128.load32_splat(x + (p1 << 2)), v128.load32_splat(x + (p2 << 2)), v128.load32_splat(x + (p3 << 2)), cols);
    }
    for (; q < count; q++) {
      const p = <usize>load<i32>(idx + (<usize>q << 2));
      strip1(acc, bp + p * ldb, x + (p << 2), cols);
    }
    if (!inC) add_f32(c0, t, cols);
  }
}
