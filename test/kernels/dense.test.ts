// The dense layer's fused kernels (assembly/gemm.ts), each against the kernels it replaces, bit for bit.
// dense_f32_forward: y = act(x·w + bias) in one call must give, bit for bit
// (compared as Uint32), what the three kernels it replaces give one after another: gemm_f32_nn,
// bias_add_f32_forward, then sigmoid_f32_forward or relu_f32_forward (each checked against its
// plain reference in its own test file). Shapes cross every tile and block boundary the epilogue
// meets (MR/NR tails, several KC slices, which it must wait for, MC and NC blocks, B read in place
// and packed); activations linear, sigmoid and ReLU, with and without bias; operands misaligned;
// values large enough to saturate the sigmoid and to make half the ReLU inputs negative.
// gemm_f32_tn_sgd: w −= rate·(aᵀ·b) must leave w as gemm_f32_tn into a gradient buffer and then
// sgd_f32_step(w, g, m·n, rate) do, for every k up to gemm_f32_sgd_max_k() (a dense layer's batch),
// edge tiles, B in place and packed, row and column blocks; past that k it refuses (debug traps,
// release writes nothing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelTestBuilds, TestWasm } from '../helpers/wasm.js';
import { randomF32, TAIL_SIZES } from '../helpers/random.js';

let w: TestWasm;

const ACTIVATIONS = [
  { code: 0, name: 'linear' },
  { code: 1, name: 'sigmoid' },
  { code: 2, name: 'relu' },
] as const;

const SHAPES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [5, 3, 8],
  [7, 11, 13],
  [41, 257, 33],
  [131, 31, 17],
  [6, 513, 9],
  [3, 5, 1025],
  [15, 784, 300],
  [64, 300, 200],
  ...TAIL_SIZES.map((s, i) => [s, TAIL_SIZES[(i + 5) % TAIL_SIZES.length], TAIL_SIZES[(i + 2) % TAIL_SIZES.length]] as const),
];

/** A copy of `data` in wasm memory; misaligned: 4 bytes past a 16-byte boundary. */
function place(data: Float32Array, misaligned: boolean): number {
  if (!misaligned) return w.from(data).ptr;
  const shifted = new Float32Array(data.length + 1);
  shifted.set(data, 1);
  return w.from(shifted).ptr + 4;
}

/** Returns a failure message, or null when the fused call matches the three kernels bit for bit. */
function check(
  m: number,
  k: number,
  n: number,
  activation: (typeof ACTIVATIONS)[number],
  withBias: boolean,
  misaligned: boolean,
): string | null {
  w.reset();
  const e = w.exports;
  const seed = m * 31 + k * 17 + n * 7 + activation.code;
  const scale = (data: Float32Array, by: number) => data.map((v) => v * by);
  const at = (data: Float32Array) => place(data, misaligned);
  const x = at(scale(randomF32(m * k, seed), 2));
  const weights = at(randomF32(k * n, seed + 1));
  const bias = withBias ? at(randomF32(n, seed + 2)) : 0;
  const workspace = w.nan(e.gemm_f32_workspace_bytes() / 4).ptr;
  const fused = w.nan(m * n).ptr;
  const unfused = w.nan(m * n).ptr;
  e.dense_f32_forward(fused, x, weights, bias, workspace, m, k, n, activation.code);
  e.gemm_f32_nn(unfused, x, weights, workspace, m, k, n, 0);
  if (withBias) e.bias_add_f32_forward(unfused, unfused, bias, m, n);
  if (activation.name === 'sigmoid') e.sigmoid_f32_forward(unfused, unfused, m * n);
  if (activation.name === 'relu') e.relu_f32_forward(unfused, unfused, m * n);
  w.checkGuards();
  const got = new Uint32Array(e.memory.buffer, fused, m * n);
  const want = new Uint32Array(e.memory.buffer, unfused, m * n);
  const i = got.findIndex((bits, j) => bits !== want[j]);
  if (i < 0) return null;
  const value = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];
  return (
    `m=${m} k=${k} n=${n} ${activation.name} bias=${withBias}${misaligned ? ' misaligned' : ''}: ` +
    `y[${Math.floor(i / n)},${i % n}] = ${value(got[i]!)}, the three kernels give ${value(want[i]!)}`
  );
}

for (const build of kernelTestBuilds(['debug', 'release'])) {
  describe(`${build} build: dense_f32_forward`, () => {
    beforeAll(async () => {
      w = await TestWasm.create(build);
    });
    afterAll(() => w.reset());

    it('= gemm_f32_nn, bias_add_f32_forward, then the activation, bit for bit', () => {
      const failures: string[] = [];
      let cases = 0;
      for (const [m, k, n] of SHAPES) {
        for (const activation of ACTIVATIONS) {
          for (const withBias of [true, false]) {
            for (const misaligned of [false, true]) {
              cases++;
              const failure = check(m, k, n, activation, withBias, misaligned);
              if (failure) failures.push(failure);
            }
          }
        }
      }
      expect(failures.slice(0, 10), `${failures.length} of ${cases} cases failed`).toEqual([]);
    });

    it('writes every element (no NaN of the prefilled output left) at the block boundaries', () => {
      for (const [m, k, n] of [
        [131, 257, 1025],
        [40, 9, 17],
      ] as const) {
        w.reset();
        const e = w.exports;
        const y = w.nan(m * n).ptr;
        const x = w.from(randomF32(m * k, 1)).ptr;
        const weights = w.from(randomF32(k * n, 2)).ptr;
        const bias = w.from(randomF32(n, 3)).ptr;
        e.dense_f32_forward(y, x, weights, bias, w.nan(e.gemm_f32_workspace_bytes() / 4).ptr, m, k, n, 1);
        const values = new Float32Array(e.memory.buffer, y, m * n);
        expect(values.findIndex(Number.isNaN), `${m}x${k}x${n}`).toBe(-1);
        expect(values.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
    });
  });
}

/** Returns a failure message, or null when gemm_f32_tn_sgd matches gemm_f32_tn + sgd_f32_step bit for bit. */
function checkSgd(m: number, k: number, n: number, misaligned: boolean): string | null {
  w.reset();
  const e = w.exports;
  const seed = m * 13 + k * 5 + n;
  const at = (data: Float32Array) => place(data, misaligned);
  const a = at(randomF32(k * m, seed));
  const b = at(randomF32(k * n, seed + 1));
  const start = randomF32(m * n, seed + 2);
  const fused = at(start);
  const unfused = at(start);
  const gradient = w.nan(m * n).ptr;
  const workspace = w.nan(e.gemm_f32_workspace_bytes() / 4).ptr;
  const rate = 0.0375;
  e.gemm_f32_tn_sgd(fused, a, b, workspace, m, k, n, rate);
  e.gemm_f32_tn(gradient, a, b, workspace, m, k, n, 0);
  e.sgd_f32_step(unfused, gradient, m * n, rate);
  w.checkGuards();
  const got = new Uint32Array(e.memory.buffer, fused, m * n);
  const want = new Uint32Array(e.memory.buffer, unfused, m * n);
  const i = got.findIndex((bits, j) => bits !== want[j]);
  if (i < 0) return null;
  return `m=${m} k=${k} n=${n}${misaligned ? ' misaligned' : ''}: w[${Math.floor(i / n)},${i % n}] differs`;
}

for (const build of kernelTestBuilds(['debug', 'release'])) {
  describe(`${build} build: gemm_f32_tn_sgd`, () => {
    beforeAll(async () => {
      w = await TestWasm.create(build);
    });
    afterAll(() => w.reset());

    it('= gemm_f32_tn into a gradient, then sgd_f32_step, bit for bit, for k up to gemm_f32_sgd_max_k()', () => {
      const maxK = w.exports.gemm_f32_sgd_max_k();
      expect(maxK).toBeGreaterThanOrEqual(64);
      const failures: string[] = [];
      let cases = 0;
      for (const k of [1, 2, 15, 64, maxK - 1, maxK]) {
        for (const [m, n] of [
          [1, 1],
          [5, 8],
          [7, 13],
          [41, 17],
          [300, 10],
          [784, 33],
          [131, 1025],
        ] as const) {
          for (const misaligned of [false, true]) {
            cases++;
            const failure = checkSgd(m, k, n, misaligned);
            if (failure) failures.push(failure);
          }
        }
      }
      expect(failures.slice(0, 10), `${failures.length} of ${cases} cases failed`).toEqual([]);
    });

    it(`refuses k > gemm_f32_sgd_max_k() (${build === 'debug' ? 'traps' : 'writes nothing'})`, () => {
      w.reset();
      const e = w.exports;
      const k = e.gemm_f32_sgd_max_k() + 1;
      const [m, n] = [9, 8];
      const a = w.from(randomF32(k * m, 1)).ptr;
      const b = w.from(randomF32(k * n, 2)).ptr;
      const start = randomF32(m * n, 3);
      const weights = w.from(start).ptr;
      const call = () => e.gemm_f32_tn_sgd(weights, a, b, w.nan(e.gemm_f32_workspace_bytes() / 4).ptr, m, k, n, 0.1);
      if (build === 'debug') expect(call).toThrow();
      else {
        call();
        expect(new Float32Array(e.memory.buffer, weights, m * n)).toEqual(start);
      }
    });
  });
}
