// gemm_f32_{nn,tn,nt} against the f64 reference (test/reference/gemm.ts), on the debug build (asserts
// on) and again on the release build (Binaryen -O3, the code V8 optimizes and the benchmarks time).
// Sizes: every tail of the 5×8 micro-kernel and every cache-block boundary of assembly/gemm.ts
// (MR = 5, NR = 8, KC = 256, MC = 130, NC = 1024; k is split into equal slices, so 257 is two
// slices of 129), both B paths of nn/tn (read in place for m ≤ 40, packed above), the shared size
// table, and the paper's dense-layer products at batch 128 and 15.
// Each call: NaN-prefilled C (or random C when accumulating), NaN-filled workspace (packing must
// write every lane it uses, padding included), operands at 16-byte-aligned and at misaligned
// addresses, guard words after every buffer.
//
// Tolerance, per element (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5): a
// length-k dot product in f32, in any summation order, plus the accumulated C value, is within
//   γ(k+1) · (|c0| + Σ_p |a_ip|·|b_pj|),   γ(n) = n·u / (1 − n·u),  u = 2⁻²⁴
// of the exact value, and the f64 reference is exact to far below that. The bound is evaluated with
// the same reference on |a|, |b|, |c0|. This is the K·ε·max|a|·max|b| rule made per element.
// The relaxed builds (vitest project "relaxed-simd") run these tests unchanged: f32x4.relaxed_madd
// rounds a·b + acc once where the strict kernel rounds the product and then the sum, so every term
// passes through at most as many roundings as in the strict count above (k + 1), and the bound holds
// as it stands whether the runtime fuses (FMA) or not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelTestBuilds, RELAXED_PROJECT, TestWasm, type TestBuffer } from '../helpers/wasm.js';
import { randomF32, TAIL_SIZES } from '../helpers/random.js';
import { gemm_f32, type GemmVariant } from '../reference/gemm.js';

/** The relaxed builds' micro-kernel is 6×8 (assembly/gemm.ts), the strict ones' 5×8. */
const MR = RELAXED_PROJECT ? 6 : 5;
const NR = 8;
const KC = 256;
const MC = RELAXED_PROJECT ? 132 : 130;
const NC = 1024;
/** nn and tn read B in place (unpacked) up to this m, and pack it above. */
const DIRECT_B_MAX_M = 8 * MR;
const U = 2 ** -24;

const VARIANTS: readonly GemmVariant[] = ['nn', 'tn', 'nt'];

/** Below, at, above and across multiples of every tile and block size, plus the shared tails. */
const SWEEP = [
  ...new Set([
    ...TAIL_SIZES,
    MR - 1,
    MR,
    MR + 1,
    2 * MR,
    2 * MR + 1,
    NR - 1,
    NR,
    NR + 1,
    2 * NR,
    2 * NR + 1,
    3 * NR + 3,
    KC - 1,
    KC,
    KC + 1,
    2 * KC + 1,
    MC - 1,
    MC,
    MC + 1,
    2 * MC + 1,
    DIRECT_B_MAX_M,
    DIRECT_B_MAX_M + 1,
  ]),
].sort((x, y) => x - y);
/** NC boundaries are swept on n only (m and k small), where they apply. */
const N_SWEEP = [...SWEEP, NC - 1, NC, NC + 1, 2 * NC + 1];

let w: TestWasm;

interface Case {
  variant: GemmVariant;
  m: number;
  k: number;
  n: number;
  accumulate: boolean;
  /** Place A, B and C 4 bytes past a 16-byte boundary. */
  misaligned?: boolean;
  /**
   * Place this operand flush with the end of wasm memory, so reading even one byte past it traps
   * (guard words only catch writes; an over-read into them can land in lanes that are dropped).
   */
  atMemoryEnd?: 'a' | 'b';
  seed?: number;
}

function abs(x: Float32Array): Float32Array {
  return x.map(Math.abs);
}

/** Runs one product and returns the first mismatch as a message, or null. */
function runCase({ variant, m, k, n, accumulate, misaligned = false, atMemoryEnd, seed = m * 7919 + k * 104729 + n }: Case): string | null {
  w.reset();
  const a = randomF32(m * k, seed);
  const b = randomF32(k * n, seed + 1);
  const c0 = accumulate ? randomF32(m * n, seed + 2) : undefined;
  const place = (data: Float32Array | null, length: number): TestBuffer & { at: number } => {
    const extra = misaligned ? 1 : 0;
    const buf = w.alloc(length + extra);
    const view = buf.f32().subarray(extra);
    if (data) view.set(data);
    else view.fill(Number.NaN);
    return { ...buf, at: buf.ptr + 4 * extra };
  };
  const cBuf = place(c0 ?? null, m * n);
  const workspace = w.nan(w.exports.gemm_f32_workspace_bytes() / 4);
  const aAt = atMemoryEnd === 'a' ? -1 : place(a, a.length).at;
  const bAt = atMemoryEnd === 'b' ? -1 : place(b, b.length).at;
  const atEnd = (data: Float32Array): number => {
    const top = w.alloc(0).ptr; // the allocator's top: everything above it is free
    const memory = w.exports.memory;
    const need = top + data.byteLength + 64 - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    const ptr = memory.buffer.byteLength - data.byteLength;
    new Float32Array(memory.buffer, ptr, data.length).set(data);
    return ptr;
  };
  const aPtr = atMemoryEnd === 'a' ? atEnd(a) : aAt;
  const bPtr = atMemoryEnd === 'b' ? atEnd(b) : bAt;
  const fn = variant === 'nn' ? w.exports.gemm_f32_nn : variant === 'tn' ? w.exports.gemm_f32_tn : w.exports.gemm_f32_nt;
  const where =
    `gemm_f32_${variant} m=${m} k=${k} n=${n} accumulate=${accumulate}` +
    `${misaligned ? ' misaligned' : ''}${atMemoryEnd ? ` ${atMemoryEnd.toUpperCase()} at the end of memory` : ''}`;
  try {
    fn(cBuf.at, aPtr, bPtr, workspace.ptr, m, k, n, accumulate ? 1 : 0);
  } catch (error) {
    return `${where}: ${error instanceof Error ? error.message : String(error)}`;
  }
  w.checkGuards();

  const got = new Float32Array(w.exports.memory.buffer, cBuf.at, m * n);
  const want = gemm_f32(variant, a, b, m, k, n, c0);
  const magnitude = gemm_f32(variant, abs(a), abs(b), m, k, n, c0 && abs(c0));
  const gamma = ((k + 1) * U) / (1 - (k + 1) * U);
  for (let i = 0; i < m * n; i++) {
    const tolerance = gamma * magnitude[i];
    if (!(Math.abs(got[i] - want[i]) <= tolerance)) {
      const row = Math.floor(i / n);
      return `${where}: C[${row},${i - row * n}] = ${got[i]}, expected ${want[i]} ± ${tolerance.toExponential(2)}`;
    }
  }
  return null;
}

function expectAll(cases: Case[]): void {
  const failures: string[] = [];
  for (const c of cases) {
    const failure = runCase(c);
    if (failure) failures.push(failure);
  }
  expect(failures.slice(0, 10), `${failures.length} of ${cases.length} cases failed`).toEqual([]);
}

for (const build of kernelTestBuilds(['debug', 'release'])) {
  describe(`${build} build`, () => {
    beforeAll(async () => {
      w = await TestWasm.create(build);
    });
    afterAll(() => w.reset());

    it('gemm_f32_workspace_bytes is a positive multiple of 16', () => {
      const bytes = w.exports.gemm_f32_workspace_bytes();
      expect(bytes).toBeGreaterThan(0);
      expect(bytes % 16).toBe(0);
    });

    for (const variant of VARIANTS) {
      describe(`gemm_f32_${variant}`, () => {
        it('all small shapes (m, k, n in 1..9, 17), overwrite and accumulate', () => {
          const small = [1, 2, 3, 4, 5, 6, 7, 8, 9, 17];
          const cases: Case[] = [];
          for (const m of small)
            for (const k of small)
              for (const n of small) {
                cases.push({ variant, m, k, n, accumulate: (m + k + n) % 2 === 1, misaligned: (m * n) % 3 === 0 });
              }
          expectAll(cases);
        });

        it('sweeps m over tails and MR/MC boundaries', () => {
          expectAll(
            SWEEP.flatMap((m) => [
              { variant, m, k: 11, n: 13, accumulate: false },
              { variant, m, k: 11, n: 13, accumulate: true, misaligned: true },
            ]),
          );
        });

        it('sweeps k over tails and KC boundaries (B in place and packed)', () => {
          expectAll(
            SWEEP.flatMap((k) => [
              { variant, m: 7, k, n: 13, accumulate: false, misaligned: true },
              { variant, m: DIRECT_B_MAX_M + 1, k, n: 13, accumulate: true },
            ]),
          );
        });

        it('sweeps n over tails and NR/NC boundaries (B in place and packed)', () => {
          expectAll(
            N_SWEEP.flatMap((n) => [
              { variant, m: 7, k: 11, n, accumulate: false },
              { variant, m: DIRECT_B_MAX_M + 1, k: 11, n, accumulate: true, misaligned: true },
            ]),
          );
        });

        it('sweeps the shared sizes on all three dimensions together', () => {
          expectAll(
            TAIL_SIZES.map((s, i) => ({
              variant,
              m: s,
              k: TAIL_SIZES[(i + 3) % TAIL_SIZES.length],
              n: TAIL_SIZES[(i + 7) % TAIL_SIZES.length],
              accumulate: i % 2 === 0,
            })),
          );
        });

        it('never reads past the end of A or B (each placed flush with the end of memory)', () => {
          const shapes = [
            [1, 1, 1],
            [3, 5, 7],
            [7, 13, 9],
            [6, 7, 13],
            [13, 6, 7],
            [DIRECT_B_MAX_M + 1, 7, 13],
            [43, 9, 11],
          ];
          expectAll(
            shapes.flatMap(([m, k, n]) =>
              (['a', 'b'] as const).map((atMemoryEnd) => ({ variant, m, k, n, accumulate: false, atMemoryEnd })),
            ),
          );
        });

        it('crosses MC, KC and NC blocks at once (131 x 257 x 1025)', () => {
          expectAll([{ variant, m: MC + 1, k: KC + 1, n: NC + 1, accumulate: true, misaligned: true }]);
        });
      });
    }

    describe("the paper's dense layers (784 → 300 → 200 → 75 → 10)", () => {
      // Forward Y = X·W (nn), dW = Xᵀ·dY (tn), dX = dY·Wᵀ (nt) for each layer at batch 128 and 15.
      const layers = [
        [784, 300],
        [300, 200],
        [200, 75],
        [75, 10],
      ] as const;
      for (const batch of [128, 15]) {
        it(`batch ${batch}: forward, dW and dX of every layer`, () => {
          expectAll(
            layers.flatMap(([inputs, units]) => [
              { variant: 'nn' as const, m: batch, k: inputs, n: units, accumulate: false },
              { variant: 'tn' as const, m: inputs, k: batch, n: units, accumulate: true },
              { variant: 'nt' as const, m: batch, k: units, n: inputs, accumulate: false },
            ]),
          );
        });
      }
    });

    if (build === 'debug') {
      it('asserts its preconditions (debug build)', () => {
        w.reset();
        const workspace = w.alloc(w.exports.gemm_f32_workspace_bytes() / 4 + 4);
        const c = w.nan(4);
        const a = w.from(new Float32Array(4));
        expect(() => w.exports.gemm_f32_nn(c.ptr, a.ptr, a.ptr, workspace.ptr, 0, 2, 2, 0)).toThrow();
        expect(() => w.exports.gemm_f32_nn(c.ptr, a.ptr, a.ptr, workspace.ptr + 4, 2, 2, 2, 0)).toThrow();
      });
    }
  });
}
