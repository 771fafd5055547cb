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
// Workspace: t holds (i1 − i0)·(j1 − j0) floats (gemm.ts checks it fits). No alignment needed.

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

/** acc[0..cols) gets four steps of k: rows b, b + ldb, b + 2·ldb, b + 3·ldb of B times x[0..4). */
// @ts-ignore: decorator
@inline function strip4(acc: usize, b0: usize, ldb: usize, x: usize, cols: i32): void {
  const vx0 = v128.load32_splat(x, 0);
  const vx1 = v128.load32_splat(x, 4);
  const vx2 = v128.load32_splat(x, 8);
  const vx3 = v128.load32_splat(x, 12);
  let b1 = b0 + ldb;
  let b2 = b1 + ldb;
  let b3 = b2 + ldb;
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
      for (let r = 0; r < rows; r++) strip4(acc0 + <usize>r * accStride, bp, ldb, x + <usize>r * lda, cols);
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
