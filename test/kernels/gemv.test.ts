// The matrix-vector route of gemm_f32_nn and dense_f32_forward (assembly/gemv.ts: blocks of at
// most MR − 2 rows, batch 1 at inference) must give, bit for bit (compared as Uint32), what the
// packed path gives the same rows inside a larger batch: the project promises that an image
// predicted alone equals the same image predicted in a batch. Each big batch (24 rows: B read in
// place; 64 rows: B packed) is computed once per shape and operation, then every m = 1..9 rows of
// it alone (m ≤ MR − 2 take the new route, the larger m the packed path's edge tiles), at
// aligned and misaligned addresses; k crosses every KC slice count (257 is two slices of 129, 784
// four of 196, 1025 five of 205) and the 4-step k unroll, n every vector, 16-column and 8-column
// panel tail. Operations: gemm_f32_nn storing and accumulating into a random C, dense_f32_forward
// with each activation, with and without bias. The rows alone are also checked against the f64
// reference (test/kernels/gemm.test.ts derives the tolerance), and the `_part` forms at 1..7 parts
// against the unsplit call. One row with about half its inputs ±0 (the route skips those rows of B)
// must match the batch too. Runs on the debug and release builds, and on the relaxed builds in the
// vitest project "relaxed-simd" (relaxed_madd in both routes, so the bits match there too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomF32 } from '../helpers/random.js';
import { kernelTestBuilds, RELAXED_PROJECT, TestWasm } from '../helpers/wasm.js';
import { gemm_f32 } from '../reference/gemm.js';

/** The relaxed builds' micro-kernel has 6 rows, the strict ones' 5; the route takes up to MR − 2. */
const MR = RELAXED_PROJECT ? 6 : 5;
const ROWS = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const U = 2 ** -24;

const SMALL_K = [1, 3, 4, 5, 8, 17, 255, 256, 257];
const ALL_N = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 75, 300];
const SHAPES: readonly (readonly [number, number])[] = [
  ...SMALL_K.flatMap((k) => ALL_N.map((n) => [k, n] as const)),
  ...[513, 784, 1025].flatMap((k) => [1, 7, 17, 300].map((n) => [k, n] as const)),
];

/** What is computed: a plain product (storing or accumulating) or a dense layer's forward. */
type Op = { kind: 'gemm'; accumulate: boolean } | { kind: 'dense'; activation: 0 | 1 | 2; bias: boolean };
const OPS: readonly Op[] = [
  { kind: 'gemm', accumulate: false },
  { kind: 'gemm', accumulate: true },
  ...([0, 1, 2] as const).flatMap((activation) => [true, false].map((bias) => ({ kind: 'dense', activation, bias }) as const)),
];

function opName(op: Op): string {
  return op.kind === 'gemm' ? `gemm_f32_nn accumulate=${op.accumulate}` : `dense_f32_forward act=${op.activation} bias=${op.bias}`;
}

let w: TestWasm;

/** A copy of `data` in wasm memory, 4 bytes past a 16-byte boundary when `misaligned`. */
function place(data: Float32Array, misaligned: boolean): number {
  if (!misaligned) return w.from(data).ptr;
  const shifted = new Float32Array(data.length + 1);
  shifted.set(data, 1);
  return w.from(shifted).ptr + 4;
}

/** The operands of one shape, in wasm memory: x [rows, k], weights [k, n], bias [n], initial C [rows, n]. */
interface Operands {
  k: number;
  n: number;
  x: Float32Array;
  weights: Float32Array;
  bias: Float32Array;
  c0: Float32Array;
}

function operands(rows: number, k: number, n: number): Operands {
  const seed = k * 131 + n;
  // x up to ±2 and a bias make the sigmoid saturate somewhere and half the ReLU inputs negative.
  return {
    k,
    n,
    x: randomF32(rows * k, seed, -2, 2),
    weights: randomF32(k * n, seed + 1),
    bias: randomF32(n, seed + 2),
    c0: randomF32(rows * n, seed + 3),
  };
}

/**
 * `operands` with about half of x ±0, as a single image's inputs are (blank pixels, ReLU zeros): the
 * one-row route skips those rows of B. Zeros scattered, in runs of 4-40, a row's whole first KC
 * slice zero (row 1) and a row entirely zero (row 2); −0 among them; C's initial values include ±0.
 */
function sparseOperands(rows: number, k: number, n: number): Operands {
  const o = operands(rows, k, n);
  const { x, c0 } = o;
  for (let i = 0; i < x.length; i++) {
    const h = (Math.imul(i + 1, 2654435761) >>> 0) % 100;
    if (h < 30) x[i] = h < 10 ? -0 : 0;
    if (h >= 96) x.fill(0, i, Math.min(x.length, i + 4 + (h - 96) * 12));
  }
  if (rows > 2) {
    x.fill(0, k, k + Math.min(k, 256));
    x.fill(-0, 2 * k, 3 * k);
  }
  for (let i = 0; i < c0.length; i += 5) c0[i] = i % 10 === 0 ? -0 : 0;
  return o;
}

/**
 * Runs `op` on rows r0..r0+m of the operands, all placed (aligned or not) in fresh buffers (freeing
 * every earlier one), into an output holding c0's rows (accumulate) or NaN; returns the output's
 * bits. `call` runs the kernel (unsplit or in parts).
 */
function runRows(
  o: Operands,
  op: Op,
  r0: number,
  m: number,
  misaligned: boolean,
  call: (y: number, x: number, weights: number, bias: number, m: number) => void,
): Uint32Array {
  w.reset();
  const { k, n } = o;
  const x = place(o.x.subarray(r0 * k, (r0 + m) * k), misaligned);
  const weights = place(o.weights, misaligned);
  const bias = op.kind === 'dense' && op.bias ? place(o.bias, misaligned) : 0;
  const initial = op.kind === 'gemm' && op.accumulate ? o.c0.slice(r0 * n, (r0 + m) * n) : new Float32Array(m * n).fill(Number.NaN);
  const y = place(initial, misaligned);
  call(y, x, weights, bias, m);
  w.checkGuards();
  return new Uint32Array(w.exports.memory.buffer, y, m * n).slice();
}

/** The unsplit kernel of `op` as a call on placed buffers (a fresh NaN-filled workspace). */
function unsplit(op: Op, k: number, n: number) {
  const e = w.exports;
  return (y: number, x: number, weights: number, bias: number, m: number) => {
    const workspace = w.nan(e.gemm_f32_workspace_bytes() / 4).ptr;
    if (op.kind === 'gemm') e.gemm_f32_nn(y, x, weights, workspace, m, k, n, op.accumulate ? 1 : 0);
    else e.dense_f32_forward(y, x, weights, bias, workspace, m, k, n, op.activation);
  };
}

/** Part p of parts of `op`'s kernel. */
function partCall(op: Op, k: number, n: number, p: number, parts: number) {
  const e = w.exports;
  return (y: number, x: number, weights: number, bias: number, m: number) => {
    const workspace = w.nan(e.gemm_f32_workspace_bytes() / 4).ptr;
    if (op.kind === 'gemm') e.gemm_f32_nn_part(y, x, weights, workspace, m, k, n, op.accumulate ? 1 : 0, p, parts);
    else e.dense_f32_forward_part(y, x, weights, bias, workspace, m, k, n, op.activation, p, parts);
  };
}

/** A scrambled but deterministic order of 0..parts−1 (as test/kernels/parts.test.ts). */
function order(parts: number): number[] {
  const all = Array.from({ length: parts }, (_, i) => i);
  return parts % 2 === 1 ? all.reverse() : [...all.filter((p) => p % 2 === 1), ...all.filter((p) => p % 2 === 0)];
}

const value = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];

/** The first differing element as a message, or null. */
function compare(what: string, got: Uint32Array, want: Uint32Array, n: number): string | null {
  const i = got.findIndex((bits, j) => bits !== want[j]);
  if (i < 0) return null;
  return `${what}: [${Math.floor(i / n)},${i % n}] = ${value(got[i]!)}, the batch gives ${value(want[i]!)}`;
}

/** Higham's bound γ(k+1)·(|c0| + Σ|a||b|) per element (see test/kernels/gemm.test.ts). */
function referenceFailure(what: string, got: Uint32Array, o: Operands, r0: number, m: number, accumulate: boolean): string | null {
  const { k, n } = o;
  const a = o.x.subarray(r0 * k, (r0 + m) * k);
  const c0 = accumulate ? o.c0.subarray(r0 * n, (r0 + m) * n) : undefined;
  const want = gemm_f32('nn', a, o.weights, m, k, n, c0);
  const scale = gemm_f32('nn', a.map(Math.abs), o.weights.map(Math.abs), m, k, n, c0?.map(Math.abs));
  const gamma = ((k + 1) * U) / (1 - (k + 1) * U);
  const values = new Float32Array(got.buffer, got.byteOffset, got.length);
  const i = values.findIndex((v, j) => !(Math.abs(v - want[j]!) <= gamma * scale[j]!));
  return i < 0 ? null : `${what}: [${Math.floor(i / n)},${i % n}] = ${values[i]}, reference ${want[i]} ± ${gamma * scale[i]!}`;
}

for (const build of kernelTestBuilds(['debug', 'release'])) {
  describe(`${build} build: the matrix-vector route of gemm_f32_nn and dense_f32_forward`, () => {
    beforeAll(async () => {
      w = await TestWasm.create(build);
    });
    afterAll(() => w.reset());

    it('m = 1..9 rows alone = the same rows inside a batch of 24 (B in place) or 64 (B packed), bit for bit', () => {
      const failures: string[] = [];
      let cases = 0;
      for (const [k, n] of SHAPES) {
        for (const batch of k * n <= 17 * 300 || n === 300 ? [24, 64] : [24]) {
          const o = operands(batch, k, n);
          for (const op of OPS) {
            const big = runRows(o, op, 0, batch, false, unsplit(op, k, n));
            for (const m of ROWS) {
              for (const misaligned of [false, true]) {
                cases++;
                const r0 = (m * 7 + (misaligned ? 3 : 0)) % (batch - m + 1);
                const got = runRows(o, op, r0, m, misaligned, unsplit(op, k, n));
                const what = `${opName(op)} m=${m} of ${batch} (row ${r0}) k=${k} n=${n}${misaligned ? ' misaligned' : ''}`;
                const failure =
                  compare(what, got, big.subarray(r0 * n, (r0 + m) * n), n) ??
                  (op.kind === 'gemm' && !misaligned ? referenceFailure(what, got, o, r0, m, op.accumulate) : null);
                if (failure) failures.push(failure);
              }
            }
          }
        }
      }
      expect(failures.slice(0, 10), `${failures.length} of ${cases} cases failed`).toEqual([]);
    });

    it('one row with zero inputs (the route skips their rows of B) = the same row inside a batch, bit for bit', () => {
      const failures: string[] = [];
      let cases = 0;
      for (const [k, n] of [
        [1, 7],
        [4, 17],
        [5, 3],
        [17, 300],
        [257, 33],
        [300, 200],
        [784, 300],
        [1025, 75],
        [5408, 9],
      ] as const) {
        for (const batch of [24, 64]) {
          const o = sparseOperands(batch, k, n);
          for (const op of OPS) {
            const big = runRows(o, op, 0, batch, false, unsplit(op, k, n));
            for (const r0 of [0, 1, 2, 3, 11]) {
              cases++;
              const got = runRows(o, op, r0, 1, r0 === 3, unsplit(op, k, n));
              const what = `${opName(op)} row ${r0} of ${batch} k=${k} n=${n}`;
              const failure =
                compare(what, got, big.subarray(r0 * n, (r0 + 1) * n), n) ??
                (op.kind === 'gemm' ? referenceFailure(what, got, o, r0, 1, op.accumulate) : null);
              if (failure) failures.push(failure);
              if (op.kind === 'gemm' && !op.accumulate && r0 === 2 && got.some((bits) => bits !== 0)) {
                failures.push(`${what}: an all-zero row gives ${value(got.find((bits) => bits !== 0)!)}, not +0`);
              }
            }
          }
        }
      }
      expect(failures.slice(0, 10), `${failures.length} of ${cases} cases failed`).toEqual([]);
    });

    it('the _part forms at 1..7 parts (m ≤ MR − 1) write every element once, bit-identical to the unsplit call', () => {
      const failures: string[] = [];
      let cases = 0;
      for (const [k, n] of [
        [784, 300],
        [257, 33],
        [5, 17],
        [300, 10],
        [9, 200],
        [1, 1],
      ] as const) {
        const o = operands(MR - 1, k, n);
        for (const op of OPS) {
          for (let m = 1; m <= MR - 1; m++) {
            const want = runRows(o, op, 0, m, false, unsplit(op, k, n));
            for (let parts = 1; parts <= 7; parts++) {
              cases++;
              // Scrambled order, each part on its own NaN-filled workspace, into one output.
              const got = runRows(o, op, 0, m, false, (y, x, weights, bias, rows) => {
                for (const p of order(parts)) partCall(op, k, n, p, parts)(y, x, weights, bias, rows);
              });
              const failure = compare(`${opName(op)}_part m=${m} k=${k} n=${n} parts=${parts}`, got, want, n);
              if (failure) failures.push(failure);
              if (op.kind === 'gemm' && op.accumulate) continue;
              // Alone, part p leaves NaN exactly where the others write.
              const writes = new Int32Array(m * n);
              for (let p = 0; p < parts; p++) {
                const alone = runRows(o, op, 0, m, false, partCall(op, k, n, p, parts));
                alone.forEach((bits, j) => {
                  if (!Number.isNaN(value(bits))) writes[j]!++;
                });
              }
              const twice = writes.findIndex((count) => count !== 1);
              if (twice >= 0)
                failures.push(`${opName(op)}_part m=${m} k=${k} n=${n} parts=${parts}: [${twice}] written ${writes[twice]} times`);
            }
          }
        }
      }
      expect(failures.slice(0, 10), `${failures.length} of ${cases} cases failed`).toEqual([]);
    });
  });
}
