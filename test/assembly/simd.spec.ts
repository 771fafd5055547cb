// Internals of assembly/simd.ts that vitest cannot reach: the vector exp and sigmoid over their whole
// range against f64 Math (AssemblyScript's musl port, < 1 ulp in f64), the horizontal reductions,
// and the partial tail loads/stores.
import {
  hmax_f32x4, hsum_f32x4, load_f32x4_partial, store_f32x4_partial, vexp_f32x4, vsigmoid_f32x4,
} from '../../assembly/simd';

// Smallest normal f32: exp below ln(2^−126) = −87.33654 is flushed to 0 by design.
const MIN_NORMAL: f64 = 1.1754943508222875e-38;
const EXP_CUTOFF: f32 = -87.33654;

/** Size of one ulp of the f32 binade holding |ref| (ref a normal f32 value). */
function ulp(ref: f64): f64 {
  return Math.pow(2, Math.floor(Math.log2(Math.abs(ref))) - 23);
}

/** Lane 0 of f(splat(x)) and checks all four lanes agree. */
function exp1(x: f32): f32 {
  const v = vexp_f32x4(f32x4.splat(x));
  return f32x4.extract_lane(v, 0);
}
function sigmoid1(x: f32): f32 {
  return f32x4.extract_lane(vsigmoid_f32x4(f32x4.splat(x)), 0);
}

// Error bound of the rr2-p5 exp without FMA, relative to the f64 exp (so it includes the 0.5 ulp of
// rounding to f32): 2.264 ulp, the maximum over EVERY f32 in [−87.33654, −2^−30] (above −2^−30 the
// result is 1 or its predecessor), measured with an exact f64/Math.fround replica of vexp_f32x4
// (test/assembly/exp-ulp-exhaustive.mjs, run by hand: 310M points, about 30 s).
// The sweeps below re-check it in wasm; the kernels' tolerances are built on EXP_ULP.
const EXP_ULP: f64 = 2.3;

describe('vexp_f32x4', () => {
  it('is within EXP_ULP ulp of Math.exp on [−87.33654, 0]', () => {
    let worst: f64 = 0;
    let worstX: f32 = 0;
    const steps = 400000;
    for (let i = 0; i <= steps; i++) {
      // A sweep, shifted off round numbers so n·ln2 boundaries are crossed at many phases.
      const x = <f32>(<f64>EXP_CUTOFF * (<f64>i / <f64>steps));
      const ref = Math.exp(<f64>x);
      const err = Math.abs(<f64>exp1(x) - ref) / ulp(ref);
      if (err > worst) { worst = err; worstX = x; }
    }
    // Every f32 in [−1, 0]'s upper part: near 0 the reduction is trivial but t is tiny.
    let x: f32 = -1e-7;
    while (x > -1.0) {
      const ref = Math.exp(<f64>x);
      const err = Math.abs(<f64>exp1(x) - ref) / ulp(ref);
      if (err > worst) { worst = err; worstX = x; }
      x *= 1.0009765625; // 1 + 2^−10
    }
    log<string>('vexp_f32x4 max error (ulp): ' + worst.toString() + ' at x = ' + worstX.toString());
    expect<f64>(worst).toBeLessThanOrEqual(EXP_ULP);
  });

  it('gives 1 at 0 and −0, tiny positive values near the cutoff, 0 below it', () => {
    expect<f32>(exp1(0)).toBe(1);
    expect<f32>(exp1(-0.0)).toBe(1);
    const atCutoff = exp1(EXP_CUTOFF);
    expect<f64>(Math.abs(<f64>atCutoff - Math.exp(<f64>EXP_CUTOFF))).toBeLessThanOrEqual(EXP_ULP * MIN_NORMAL * 1.1920928955078125e-7);
    expect<f32>(exp1(-87.34)).toBe(0);
    expect<f32>(exp1(-100)).toBe(0);
    expect<f32>(exp1(-1e30)).toBe(0);
    expect<f32>(exp1(-Infinity)).toBe(0);
  });

  it('propagates NaN', () => {
    expect<f32>(exp1(NaN)).toBeNaN();
  });

  it('computes each lane independently', () => {
    const v = vexp_f32x4(f32x4(0, -1, -10, -100));
    expect<f32>(f32x4.extract_lane(v, 0)).toBe(1);
    expect<f64>(Math.abs(<f64>f32x4.extract_lane(v, 1) - Math.exp(-1))).toBeLessThanOrEqual(EXP_ULP * ulp(Math.exp(-1)));
    expect<f64>(Math.abs(<f64>f32x4.extract_lane(v, 2) - Math.exp(-10))).toBeLessThanOrEqual(EXP_ULP * ulp(Math.exp(-10)));
    expect<f32>(f32x4.extract_lane(v, 3)).toBe(0);
  });
});

// sigmoid = e / (1 + e) on −|x| then reflected: exp's EXP_ULP, plus 0.5 ulp for 1 + e (relative, in
// the denominator), 0.5 for the division, 0.5 for 1 − f on the reflected side (f ≤ 0.5 so its error,
// in ulps of f, is at most the same count of ulps of 1 − f ≥ 0.5): EXP_ULP + 1.5 = 3.8.
// (Exhaustively, with the same script, every f32 in [−87.33654, −2^−20] is within 3.53.)
const SIGMOID_ULP: f64 = EXP_ULP + 1.5;

describe('vsigmoid_f32x4', () => {
  it('is within SIGMOID_ULP ulp of 1 / (1 + exp(−x)) on [−87.3, 87.3], exactly 0/1 beyond', () => {
    let worst: f64 = 0;
    let worstX: f32 = 0;
    const steps = 400000;
    for (let i = 0; i <= steps; i++) {
      const x = <f32>(-100.0 + 200.0 * (<f64>i / <f64>steps));
      const ref = 1.0 / (1.0 + Math.exp(-<f64>x));
      const got = <f64>sigmoid1(x);
      if (x < EXP_CUTOFF) {
        // The flushed range: exp(−|x|) < 2^−126 is taken as 0.
        expect<f64>(got).toBe(0);
        continue;
      }
      const err = Math.abs(got - ref) / ulp(ref);
      if (err > worst) { worst = err; worstX = x; }
    }
    log<string>('vsigmoid_f32x4 max error (ulp): ' + worst.toString() + ' at x = ' + worstX.toString());
    expect<f64>(worst).toBeLessThanOrEqual(SIGMOID_ULP);
  });

  it('is finite and in [0, 1] at the extremes, 0.5 at ±0', () => {
    expect<f32>(sigmoid1(100)).toBe(1);
    expect<f32>(sigmoid1(-100)).toBe(0);
    expect<f32>(sigmoid1(Infinity)).toBe(1);
    expect<f32>(sigmoid1(-Infinity)).toBe(0);
    expect<f32>(sigmoid1(0)).toBe(0.5);
    expect<f32>(sigmoid1(-0.0)).toBe(0.5);
  });
});

describe('hsum_f32x4 / hmax_f32x4', () => {
  it('sums the four lanes', () => {
    expect<f32>(hsum_f32x4(f32x4(1, 2, 3, 4))).toBe(10);
    expect<f32>(hsum_f32x4(f32x4(-1.5, 0.25, 1e-3, 8))).toBe(<f32>((-1.5 + <f32>1e-3) + (0.25 + 8)));
    expect<f32>(hsum_f32x4(f32x4.splat(0))).toBe(0);
  });
  it('takes the maximum of the four lanes, whichever lane holds it', () => {
    expect<f32>(hmax_f32x4(f32x4(7, 1, 2, 3))).toBe(7);
    expect<f32>(hmax_f32x4(f32x4(1, 7, 2, 3))).toBe(7);
    expect<f32>(hmax_f32x4(f32x4(1, 2, 7, 3))).toBe(7);
    expect<f32>(hmax_f32x4(f32x4(1, 2, 3, 7))).toBe(7);
    expect<f32>(hmax_f32x4(f32x4(-5, -4, -9, -Infinity))).toBe(-4);
    expect<f32>(hmax_f32x4(f32x4(1, NaN, 2, 3))).toBeNaN();
  });
});

describe('load_f32x4_partial / store_f32x4_partial', () => {
  it('reads and writes exactly n lanes', () => {
    const buf = memory.data(32, 16);
    for (let n = 1; n <= 3; n++) {
      for (let i = 0; i < 8; i++) store<f32>(buf + (<usize>i << 2), <f32>(i + 1));
      const v = load_f32x4_partial(buf, n);
      for (let lane = 0; lane < 4; lane++) {
        const got = lane == 0 ? f32x4.extract_lane(v, 0) : lane == 1 ? f32x4.extract_lane(v, 1)
          : lane == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
        expect<f32>(got).toBe(lane < n ? <f32>(lane + 1) : 0);
      }
      store_f32x4_partial(buf + 16, f32x4(-1, -2, -3, -4), n);
      for (let i = 0; i < 4; i++) {
        expect<f32>(load<f32>(buf + 16 + (<usize>i << 2))).toBe(i < n ? <f32>(-(i + 1)) : <f32>(i + 5));
      }
    }
  });
});
