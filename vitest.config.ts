import { defineConfig } from 'vitest/config';

// The smallest module using f32x4.relaxed_madd: () -> v128 = relaxed_madd(0, 0, 0).
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const RELAXED_BODY = [0x00, ...V128_ZERO, ...V128_ZERO, ...V128_ZERO, 0xfd, 0x85, 0x02, 0x0b];
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  0x60,
  0,
  1,
  0x7b,
  3,
  2,
  1,
  0,
  10,
  RELAXED_BODY.length + 2,
  1,
  RELAXED_BODY.length,
  ...RELAXED_BODY,
]);
// Node 20 runs relaxed SIMD only behind this V8 flag; Node >= 22 has it on by default.
const relaxedSimdArgv = WebAssembly.validate(RELAXED_SIMD_PROBE) ? [] : ['--experimental-wasm-relaxed-simd'];

export default defineConfig({
  test: {
    // Training tests on the real data take tens of seconds on these 2-core machines.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // The JSON report is what .ci/run sums with the other runners.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      {
        // The kernel tests again, on the relaxed-SIMD (FMA) builds (test/helpers/wasm.ts: kernelTestBuilds).
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: ['test/kernels/{gemm,gemv,dense,conv2d,parts,parts-threads,builds}.test.ts'],
          env: { FMNIST_TEST_RELAXED: '1' },
          execArgv: relaxedSimdArgv,
        },
      },
    ],
  },
});
