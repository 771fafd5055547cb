// peak_f32x4_probe(iterations): f32, and peak_f32x4_madd_probe(iterations): f32
// A module of its own, for the benchmarks only (asconfig.json targets `probe` and `probe-relaxed`,
// `npm run asbuild:probe`; bench/probe.ts loads it): not part of the core's ABI.
// The f32x4 mul+add ceiling benchmarks compare against: `iterations` rounds of 12 independent
// chains v = v·m + a (one f32x4.mul and one f32x4.add each, so 12 · 2 · 4 = 96 FLOP per round).
// 12 accumulators + 2 constants stay within the 15 XMM registers V8 gives wasm SIMD on x86-64, so
// nothing spills and the loop is 24 FP instructions plus the loop overhead.
// m < 1 makes every chain converge to a/(1 − m): no overflow, no denormals, whatever the count.
// The return value folds all twelve chains, so no chain is dead code.
// Caveat, measured here: each chain is a mul → add dependency (3 + 3 cycles on current x86), so 12
// chains supply exactly the 4 FP instructions per cycle two mul and two add pipes can take, with no
// slack; the probe reads about 10% below what a GEMM micro-kernel (whose multiplies are off the
// loop-carried chain) reaches on this AMD EPYC, so well-tuned GEMM shapes show more than 100%.
// peak_f32x4_madd_probe: the same chains through fmadd_f32x4, the multiply-add the GEMM and conv
// micro-kernels use: f32x4.relaxed_madd (one fused instruction, FMA) in the relaxed builds, the
// same mul + add as peak_f32x4_probe in the strict ones. Its FLOP count is the same (96 per round).
import { fmadd_f32x4 } from './simd';

export function peak_f32x4_probe(iterations: i32): f32 {
  return chains(iterations, false);
}

export function peak_f32x4_madd_probe(iterations: i32): f32 {
  return chains(iterations, true);
}

/** The twelve chains, each step v·m + a as mul then add, or through fmadd_f32x4 when `fused`. */
// @ts-ignore: decorator
@inline function chains(iterations: i32, fused: bool): f32 {
  const vm = f32x4.splat(0.999);
  const va = f32x4.splat(0.001);
  let v0 = f32x4.splat(1.0);
  let v1 = f32x4.splat(1.5);
  let v2 = f32x4.splat(2.0);
  let v3 = f32x4.splat(2.5);
  let v4 = f32x4.splat(3.0);
  let v5 = f32x4.splat(3.5);
  let v6 = f32x4.splat(4.0);
  let v7 = f32x4.splat(4.5);
  let v8 = f32x4.splat(5.0);
  let v9 = f32x4.splat(5.5);
  let v10 = f32x4.splat(6.0);
  let v11 = f32x4.splat(6.5);
  if (fused) {
    for (let i = 0; i < iterations; i++) {
      v0 = fmadd_f32x4(va, v0, vm);
      v1 = fmadd_f32x4(va, v1, vm);
      v2 = fmadd_f32x4(va, v2, vm);
      v3 = fmadd_f32x4(va, v3, vm);
      v4 = fmadd_f32x4(va, v4, vm);
      v5 = fmadd_f32x4(va, v5, vm);
      v6 = fmadd_f32x4(va, v6, vm);
      v7 = fmadd_f32x4(va, v7, vm);
      v8 = fmadd_f32x4(va, v8, vm);
      v9 = fmadd_f32x4(va, v9, vm);
      v10 = fmadd_f32x4(va, v10, vm);
      v11 = fmadd_f32x4(va, v11, vm);
    }
  } else {
    for (let i = 0; i < iterations; i++) {
      v0 = f32x4.add(f32x4.mul(v0, vm), va);
      v1 = f32x4.add(f32x4.mul(v1, vm), va);
      v2 = f32x4.add(f32x4.mul(v2, vm), va);
      v3 = f32x4.add(f32x4.mul(v3, vm), va);
      v4 = f32x4.add(f32x4.mul(v4, vm), va);
      v5 = f32x4.add(f32x4.mul(v5, vm), va);
      v6 = f32x4.add(f32x4.mul(v6, vm), va);
      v7 = f32x4.add(f32x4.mul(v7, vm), va);
      v8 = f32x4.add(f32x4.mul(v8, vm), va);
      v9 = f32x4.add(f32x4.mul(v9, vm), va);
      v10 = f32x4.add(f32x4.mul(v10, vm), va);
      v11 = f32x4.add(f32x4.mul(v11, vm), va);
    }
  }
  const vsum = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(v0, v1), f32x4.add(v2, v3)), f32x4.add(f32x4.add(v4, v5), f32x4.add(v6, v7))),
    f32x4.add(f32x4.add(v8, v9), f32x4.add(v10, v11)),
  );
  return f32x4.extract_lane(vsum, 0) + f32x4.extract_lane(vsum, 1) + f32x4.extract_lane(vsum, 2) + f32x4.extract_lane(vsum, 3);
}
