// assembly/optimizers.ts against the f64 reference (test/reference/optimizers.ts) over several steps on
// seeded data, on the debug build, with guard words. Each step is compared from the same f32 state:
// the reference takes the kernel's state before the step, so errors do not compound and the bound of
// one step applies (Adam's bias correction is checked at steps 1..5 that way).
//
// Bounds are first order in U, counted operation by operation as the kernel evaluates them (a rounded
// op adds U·|its result|; a rounded input propagates through the partial derivatives); the factor
// (1 + 8U) absorbs the second-order terms.
import { beforeAll, describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';
import { PAPER_SIZES, TAIL_SIZES, randomF32 } from '../helpers/random.js';
import { U, mismatch } from '../helpers/compare.js';
import * as ref from '../reference/optimizers.js';

const SECOND_ORDER = 1 + 8 * U;
/** Tails, the paper's layer sizes, a Dense layer, and the scratch MLP's parameters (784·300 + 300 + 300·10 + 10). */
const SMALL_COUNTS = [...TAIL_SIZES, ...PAPER_SIZES, 300 * 200 + 200];
const COUNTS = [...SMALL_COUNTS, 238_510];
const STEPS = 5;

let w: TestWasm;
beforeAll(async () => {
  w = await TestWasm.create('debug');
});

describe('sgd_f32_step', () => {
  // p' = fl(p − fl(g·lr)): U·|g·lr| + U·|p'|.
  it.each(COUNTS)(`count %i, ${STEPS} steps`, (n) => {
    w.reset();
    const lr = Math.fround(0.01);
    const p = w.from(randomF32(n, n + 1)),
      g = w.alloc(n);
    for (let step = 1; step <= STEPS; step++) {
      const gs = randomF32(n, n * 10 + step, -3, 3);
      g.f32().set(gs);
      const before = p.f32().slice();
      w.exports.sgd_f32_step(p.ptr, g.ptr, n, lr);
      const want = ref.sgd_f32_step(before, gs, lr);
      const tol = want.map((v, i) => U * (Math.abs(gs[i] * lr) + Math.abs(v)) * SECOND_ORDER);
      expect(mismatch('sgd_f32_step', `${n} step ${step}`, p.f32(), want, tol)).toBe('');
    }
    w.checkGuards();
  });
});

describe('momentum_f32_step', () => {
  // vel' = fl(fl(vel·μ) − fl(g·lr)): U·(|vel·μ| + |g·lr| + |vel'|); p' = fl(p + vel̂'): that + U·|p'|.
  it.each(COUNTS)(`count %i, ${STEPS} steps`, (n) => {
    w.reset();
    const lr = Math.fround(0.01);
    const mu = Math.fround(0.9);
    const p = w.from(randomF32(n, n + 2)),
      vel = w.from(new Float32Array(n)),
      g = w.alloc(n);
    for (let step = 1; step <= STEPS; step++) {
      const gs = randomF32(n, n * 10 + step + 100, -3, 3);
      g.f32().set(gs);
      const pBefore = p.f32().slice(),
        vBefore = vel.f32().slice();
      w.exports.momentum_f32_step(p.ptr, vel.ptr, g.ptr, n, lr, mu);
      const want = ref.momentum_f32_step(pBefore, vBefore, gs, lr, mu);
      const tolV = want.velocity.map((v, i) => U * (Math.abs(vBefore[i] * mu) + Math.abs(gs[i] * lr) + Math.abs(v)) * SECOND_ORDER);
      const tolP = want.params.map((v, i) => tolV[i] + U * Math.abs(v) * SECOND_ORDER);
      expect(mismatch('momentum_f32_step velocity', `${n} step ${step}`, vel.f32(), want.velocity, tolV)).toBe('');
      expect(mismatch('momentum_f32_step params', `${n} step ${step}`, p.f32(), want.params, tolP)).toBe('');
    }
    w.checkGuards();
  });
});

describe('adam_f32_step', () => {
  // The kernel evaluates Keras 3's form: m' = m + (g − m)·c1, v' = v + (g·g − v)·c2 (c = 1 − β, exact
  // in f32), q = (m'·α̂) / (√v' + ε), p' = p − q, with α̂ = fl(α).
  //   Δm ≤ U·(2·|g − m|·c1 + |m'|)                      (g − m, ·c1, +m)
  //   Δv ≤ U·(g²·c2 + 2·|g² − v|·c2 + |v'|)              (g·g, −v, ·c2, +v)
  //   D = √v' + ε: ΔD ≤ Δv / (2√v') + U·√v' + U·D       (v̂ propagated, sqrt, +ε)
  //   Δq ≤ α·Δm / D + |q|·ΔD / D + 3U·|q|               (α̂, ·α̂, the division)
  //   Δp ≤ Δq + U·|p'|
  function adamBounds(
    g: ArrayLike<number>,
    m: ArrayLike<number>,
    v: ArrayLike<number>,
    want: ReturnType<typeof ref.adam_f32_step>,
    c1: number,
    c2: number,
    eps: number,
  ) {
    const n = g.length;
    const tolM = new Float64Array(n),
      tolV = new Float64Array(n),
      tolP = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const m2 = want.m[i],
        v2 = want.v[i],
        g2 = g[i] * g[i];
      const dm = U * (2 * Math.abs(g[i] - m[i]) * c1 + Math.abs(m2));
      const dv = U * (g2 * c2 + 2 * Math.abs(g2 - v[i]) * c2 + Math.abs(v2));
      const root = Math.sqrt(v2);
      const d = root + eps;
      const q = (want.alpha * m2) / d;
      const dd = (root > 0 ? dv / (2 * root) : Math.sqrt(dv)) + U * root + U * d;
      const dq = (want.alpha * dm) / d + (Math.abs(q) * dd) / d + 3 * U * Math.abs(q);
      tolM[i] = dm * SECOND_ORDER;
      tolV[i] = dv * SECOND_ORDER;
      tolP[i] = (dq + U * Math.abs(want.params[i])) * SECOND_ORDER;
    }
    return { tolM, tolV, tolP };
  }

  const SETTINGS = [
    { name: 'Keras defaults', lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 },
    { name: 'lr 0.1, β 0.5/0.9, ε 1e-3', lr: 0.1, beta1: 0.5, beta2: 0.9, eps: 1e-3 },
  ];
  for (const s of SETTINGS) {
    it.each(s === SETTINGS[0] ? COUNTS : SMALL_COUNTS)(`${s.name}: count %i, steps 1..${STEPS}`, (n) => {
      w.reset();
      const [lr, beta1, beta2, eps] = [s.lr, s.beta1, s.beta2, s.eps].map(Math.fround);
      const c1 = Math.fround(1 - beta1),
        c2 = Math.fround(1 - beta2);
      expect([c1, c2]).toEqual([1 - beta1, 1 - beta2]); // exact, as the kernel assumes
      const p = w.from(randomF32(n, n + 3)),
        m = w.from(new Float32Array(n)),
        v = w.from(new Float32Array(n));
      const g = w.alloc(n);
      for (let step = 1; step <= STEPS; step++) {
        const gs = randomF32(n, n * 10 + step + 200, -2, 2);
        if (step === 2) gs[0] = 0; // a zero gradient after a nonzero one; with n = 1, also g = m = 0 paths
        g.f32().set(gs);
        const pB = p.f32().slice(),
          mB = m.f32().slice(),
          vB = v.f32().slice();
        w.exports.adam_f32_step(p.ptr, m.ptr, v.ptr, g.ptr, n, lr, beta1, beta2, eps, step);
        const want = ref.adam_f32_step(pB, mB, vB, gs, lr, beta1, beta2, eps, step);
        const { tolM, tolV, tolP } = adamBounds(gs, mB, vB, want, c1, c2, eps);
        const shape = `${n} step ${step}`;
        expect(mismatch('adam_f32_step m', shape, m.f32(), want.m, tolM)).toBe('');
        expect(mismatch('adam_f32_step v', shape, v.f32(), want.v, tolV)).toBe('');
        expect(mismatch('adam_f32_step params', shape, p.f32(), want.params, tolP)).toBe('');
      }
      w.checkGuards();
    });
  }

  it('step 1 moves every parameter by about lr·sign(g) (bias correction on)', () => {
    // With m = v = 0, step 1 gives m' = (1−β1)g, v' = (1−β2)g², α = lr·√(1−β2)/(1−β1), so the update is
    // lr·g/(|g| + ε/√(1−β2)): lr·sign(g) up to ε. Without the correction it would be ~0.3·lr.
    w.reset();
    const n = 37;
    const gs = randomF32(n, 9, -1, 1).map((x) => (x < 0 ? x - 0.5 : x + 0.5));
    const p = w.from(new Float32Array(n)),
      m = w.from(new Float32Array(n)),
      v = w.from(new Float32Array(n));
    const g = w.from(gs);
    w.exports.adam_f32_step(p.ptr, m.ptr, v.ptr, g.ptr, n, Math.fround(1e-3), Math.fround(0.9), Math.fround(0.999), Math.fround(1e-7), 1);
    const got = p.f32();
    for (let i = 0; i < n; i++) expect(Math.abs(got[i] + 1e-3 * Math.sign(gs[i]))).toBeLessThan(1e-8);
    w.checkGuards();
  });
});
