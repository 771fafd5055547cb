// Internals of assembly/gemv.ts that vitest cannot reach: gemv_f32_nn_rows on row and column
// ranges that start and end anywhere (the exports only pass whole panels), against a scalar loop
// that spells out the order the packed path sums in: per KC slice, from +0, f32 product then f32
// sum in k order, then stored (first slice) or added to C. Values are not small integers, so any
// other order or fusing would change bits. The k tails of the four-row unroll (k mod 4 = 1..3),
// the column tails (vectors of 16, of 4, 1-3 lanes) and the slice count all vary; cells outside
// the range must stay NaN. One row also with ±0 inputs (their rows of B are skipped).
import { gemv_f32_nn_rows } from '../../assembly/gemv';

const K = 11; // slices of 4, 4, 3 with kcb = 4 (any kcb ≥ 1 is valid for the routine)
const N = 37;
const M = 5;

function fillNaN(ptr: usize, count: i32): void {
  for (let i = 0; i < count; i++) store<f32>(ptr + (<usize>i << 2), NaN);
}

@inline function at(ptr: usize, i: i32): f32 {
  return load<f32>(ptr + (<usize>i << 2));
}

/** x/7 − 0.4 for a pseudo-random small integer x: inexact in binary, so rounding matters. */
function fill(ptr: usize, count: i32, seed: i32): void {
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    store<f32>(ptr + (<usize>i << 2), <f32>((s >> 16) % 23) / 7 - 0.4);
  }
}

/** C[i, j] as the packed path computes it: slices of kcb from +0, mul then add, then = or +=. */
function expected(a: usize, b: usize, c0: f32, i: i32, j: i32, kcb: i32, accumulate: bool): f32 {
  let c = c0;
  for (let pc = 0; pc < K; pc += kcb) {
    let sum: f32 = 0;
    for (let p = pc; p < min(pc + kcb, K); p++) sum = sum + at(a, i * K + p) * at(b, p * N + j);
    c = pc == 0 && !accumulate ? sum : c + sum;
  }
  return c;
}

function check(i0: i32, i1: i32, j0: i32, j1: i32, kcb: i32, accumulate: bool, zeros: bool = false): void {
  const a = memory.data(4 * M * K, 16);
  const b = memory.data(4 * K * N, 16);
  const c = memory.data(4 * M * N + 16, 16);
  const t = memory.data(4 * M * N, 16);
  fill(a, M * K, 1);
  // Zero inputs (one row skips their rows of B): every third value +0, every seventh −0.
  if (zeros) for (let i = 0; i < M * K; i++) if (i % 3 == 0 || i % 7 == 0) store<f32>(a + (<usize>i << 2), i % 7 == 0 ? -0.0 : 0);
  fill(b, K * N, 2);
  fillNaN(t, M * N);
  if (accumulate) fill(c, M * N, 3);
  else fillNaN(c, M * N);
  const before = memory.data(4 * M * N, 16);
  memory.copy(before, c, 4 * M * N);
  fillNaN(c + 4 * M * N, 4);
  gemv_f32_nn_rows(c, a, b, t, K, N, i0, i1, j0, j1, kcb, accumulate);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      const got = at(c, i * N + j);
      if (i >= i0 && i < i1 && j >= j0 && j < j1) {
        const want = expected(a, b, at(before, i * N + j), i, j, kcb, accumulate);
        expect(reinterpret<u32>(got)).toBe(reinterpret<u32>(want), `C[${i}, ${j}] kcb ${kcb}`);
      } else {
        expect(reinterpret<u32>(got)).toBe(reinterpret<u32>(at(before, i * N + j)), `wrote C[${i}, ${j}] outside the range`);
      }
    }
  }
  for (let i = 0; i < 4; i++) expect(isNaN(at(c + 4 * M * N, i))).toBe(true, 'wrote past C');
}

describe('gemv_f32_nn_rows', () => {
  it('one row, all columns (16-, 4- and 1-lane tails), one slice and several', () => {
    check(0, 1, 0, N, K, false);
    check(0, 1, 0, N, 4, false);
    check(0, 1, 0, N, 3, false);
    check(0, 1, 0, N, 1, false);
  });

  it('one row with zero inputs, whose rows of B it skips: the same bits', () => {
    for (let i = 0; i < M; i++) {
      check(i, i + 1, 0, N, K, false, true);
      check(i, i + 1, 3, 22, 4, false, true);
      check(i, i + 1, 0, N, 3, true, true);
    }
  });

  it('row and column ranges that start and end off the panels', () => {
    check(1, 4, 3, 22, 4, false);
    check(2, 3, 5, 6, 5, false);
    check(4, 5, 16, 37, 2, false);
  });

  it('accumulates into C: every slice, the first included, is added', () => {
    check(0, 5, 0, N, 4, true);
    check(1, 3, 7, 30, K, true);
  });
});
