// Shared @inline SIMD helpers for the kernels. Nothing here is exported from index.ts: these are
// building blocks (they are `export`ed only so the kernel files and the as-pect specs can import them).
//
// vexp_f32x4 / vsigmoid_f32x4 are the wasm SIMD "rr2-p5" schemes of XNNPACK (google/XNNPACK,
// src/f32-raddstoreexpminusmax/wasmsimd-rr2-p5.c.in and src/f32-vsigmoid/wasmsimd-rr2-p5-div.c.in,
// Marat Dukhan 2020), written here without their out-of-bounds tail reads:
//   exp(x) = 2^n · exp(t),  n = round(x·log2(e)),  t = x − n·ln2  (|t| ≤ ln2/2)
//   - n is rounded with the "magic bias" 0x1.8000FEp23 = 1.5·2^23 + 127: adding it leaves n + 127 in the
//     low mantissa bits, so shifting the sum's bits left by 23 gives the f32 2^n directly;
//   - "rr2": t is reduced with ln2 split in two (Cody–Waite): ln2_hi has 9 trailing zero bits, so n·ln2_hi
//     is exact for |n| ≤ 2^9 and t keeps its precision without FMA;
//   - "p5": exp(t) ≈ 1 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))), a degree-5 minimax polynomial on
//     [−ln2/2, ln2/2] (XNNPACK's coefficients), evaluated as 2^n + (t·2^n)·p to keep the last bits.
//   Below −87.33654 (= ln of the smallest normal f32) exp is flushed to 0 instead of producing a
//   subnormal, like XNNPACK's denorm cutoff. The measured error is a few ulp (test/assembly/simd.spec.ts).
// Constants are given as f32 bit patterns (exact), with their hex-float value beside them.

/** Sum of the four lanes, as ((v0 + v2) + (v1 + v3)). */
// @ts-ignore: decorator
@inline export function hsum_f32x4(v: v128): f32 {
  const vs = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(vs, 0) + f32x4.extract_lane(vs, 1);
}

/** Maximum of the four lanes (NaN-propagating, like f32x4.max). */
// @ts-ignore: decorator
@inline export function hmax_f32x4(v: v128): f32 {
  const vs = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return Mathf.max(f32x4.extract_lane(vs, 0), f32x4.extract_lane(vs, 1));
}

/**
 * exp(x) per lane for x ≤ 0 (the only range the kernels need: max-subtracted softmax and sigmoid on
 * −|x|). x < −87.33654 gives +0 (no subnormals), −Inf gives 0, NaN gives NaN. Positive x is outside
 * the contract (2^n is only formed correctly for n ≤ 127, so x up to about 88 still works).
 */
// @ts-ignore: decorator
@inline export function vexp_f32x4(vx: v128): v128 {
  const vmagic_bias = i32x4.splat(0x4B40007F);  // 0x1.8000FEp23
  const vlog2e = i32x4.splat(0x3FB8AA3B);       // 0x1.715476p+0
  const vminus_ln2_hi = i32x4.splat(0xBF317200); // −0x1.62E400p-1
  const vminus_ln2_lo = i32x4.splat(0xB5BFBE8E); // −0x1.7F7D1Cp-20
  const vc5 = i32x4.splat(0x3C07CFCE);          // 0x1.0F9F9Cp-7
  const vc4 = i32x4.splat(0x3D2B9D0D);          // 0x1.573A1Ap-5
  const vc3 = i32x4.splat(0x3E2AAD40);          // 0x1.555A80p-3
  const vc2 = i32x4.splat(0x3EFFFEE3);          // 0x1.FFFDC6p-2
  const vc1 = i32x4.splat(0x3F7FFFFB);          // 0x1.FFFFF6p-1
  const vdenorm_cutoff = i32x4.splat(0xC2AEAC4F); // −0x1.5D589Ep+6

  let vn = f32x4.add(f32x4.mul(vx, vlog2e), vmagic_bias);
  const vs = i32x4.shl(vn, 23);
  vn = f32x4.sub(vn, vmagic_bias);

  let vt = f32x4.add(f32x4.mul(vn, vminus_ln2_hi), vx);
  vt = f32x4.add(f32x4.mul(vn, vminus_ln2_lo), vt);

  let vp = f32x4.add(f32x4.mul(vt, vc5), vc4);
  vp = f32x4.add(f32x4.mul(vt, vp), vc3);
  vp = f32x4.add(f32x4.mul(vt, vp), vc2);
  vp = f32x4.add(f32x4.mul(vt, vp), vc1);

  vt = f32x4.mul(vt, vs);
  const vf = f32x4.add(f32x4.mul(vt, vp), vs);
  // Lanes below the cutoff hold garbage exponents (n + 127 ≤ 0 wrapped); zero them.
  return v128.andnot(vf, f32x4.lt(vx, vdenorm_cutoff));
}

/**
 * sigmoid(x) per lane, XNNPACK f32-vsigmoid rr2-p5-div: e = exp(−|x|) (never overflows),
 * f = e / (1 + e) = sigmoid(−|x|), then reflected: x ≥ 0 → 1 − f. |x| > 87.33654 gives exactly 0 or 1.
 */
// @ts-ignore: decorator
@inline export function vsigmoid_f32x4(vx: v128): v128 {
  const vone = f32x4.splat(1.0);
  const vsign = i32x4.splat(0x80000000);
  const ve = vexp_f32x4(v128.or(vx, vsign)); // −|x|
  const vf = f32x4.div(ve, f32x4.add(ve, vone));
  // Sign bit of x set → keep f, else 1 − f (−0 takes the negative branch: sigmoid(−0) = 0.5 either way).
  return v128.bitselect(vf, f32x4.sub(vone, vf), i32x4.shr_s(vx, 31));
}

/** Loads n ∈ {1, 2, 3} floats into lanes 0..n−1 (the rest 0), reading nothing past ptr + 4n. */
// @ts-ignore: decorator
@inline export function load_f32x4_partial(ptr: usize, n: i32): v128 {
  let v = v128.load32_zero(ptr);
  if (n >= 2) v = v128.load32_lane(ptr, v, 1, 4);
  if (n >= 3) v = v128.load32_lane(ptr, v, 2, 8);
  return v;
}

/** Stores lanes 0..n−1 (n ∈ {1, 2, 3}) of v, writing nothing past ptr + 4n. */
// @ts-ignore: decorator
@inline export function store_f32x4_partial(ptr: usize, v: v128, n: i32): void {
  v128.store32_lane(ptr, v, 0);
  if (n >= 2) v128.store32_lane(ptr, v, 1, 4);
  if (n >= 3) v128.store32_lane(ptr, v, 2, 8);
}

/**
 * acc + a·b per lane. The strict builds multiply and add (two roundings, the summation order the
 * bit-identity guarantees rest on); the relaxed builds (asc --enable relaxed-simd) use
 * f32x4.relaxed_madd, one fused multiply-add (one rounding) where the CPU has FMA. The choice is
 * made at compile time, so the strict builds' code is exactly what it was without this helper.
 */
// @ts-ignore: decorator
@inline export function fmadd_f32x4(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** dst[i] = src[i]: 16 floats per step, then 4, then one at a time. */
// @ts-ignore: decorator
@inline export function copy_f32(dst: usize, src: usize, n: i32): void {
  while (n >= 16) {
    v128.store(dst, v128.load(src), 0);
    v128.store(dst, v128.load(src, 16), 16);
    v128.store(dst, v128.load(src, 32), 32);
    v128.store(dst, v128.load(src, 48), 48);
    dst += 64; src += 64; n -= 16;
  }
  while (n >= 4) {
    v128.store(dst, v128.load(src));
    dst += 16; src += 16; n -= 4;
  }
  while (n > 0) {
    store<f32>(dst, load<f32>(src));
    dst += 4; src += 4; n--;
  }
}

/** dst[i] = 0. */
// @ts-ignore: decorator
@inline export function zero_f32(dst: usize, n: i32): void {
  const vzero = f32x4.splat(0);
  while (n >= 4) {
    v128.store(dst, vzero);
    dst += 16; n -= 4;
  }
  while (n > 0) {
    store<f32>(dst, 0);
    dst += 4; n--;
  }
}

/** dst[i] += src[i]. */
// @ts-ignore: decorator
@inline export function add_f32(dst: usize, src: usize, n: i32): void {
  while (n >= 16) {
    v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)), 0);
    v128.store(dst, f32x4.add(v128.load(dst, 16), v128.load(src, 16)), 16);
    v128.store(dst, f32x4.add(v128.load(dst, 32), v128.load(src, 32)), 32);
    v128.store(dst, f32x4.add(v128.load(dst, 48), v128.load(src, 48)), 48);
    dst += 64; src += 64; n -= 16;
  }
  while (n >= 4) {
    v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)));
    dst += 16; src += 16; n -= 4;
  }
  while (n > 0) {
    store<f32>(dst, load<f32>(dst) + load<f32>(src));
    dst += 4; src += 4; n--;
  }
}
