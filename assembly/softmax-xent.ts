// Row-wise softmax and the fused softmax + categorical cross-entropy.
//
// Contract (byte addresses of row-major f32 data; rows, cols ≥ 1):
//   softmax_f32_forward(y [rows, cols], x [rows, cols], rows, cols)
//       y[r, :] = exp(x[r, :] − max_r) / Σ exp(x[r, :] − max_r). Overwrites y. y may alias x.
//   softmax_xent_f32_fused(dlogits [rows, cols], logits [rows, cols], targets [rows, cols],
//                          rows, cols, reduction) → f64 loss
//       p = softmax(logits); per row ℓ_r = Σ_c t[r, c] · (lse_r − logits[r, c]) with
//       lse_r = max_r + log Σ_c exp(logits[r, c] − max_r) (log-sum-exp: finite for any finite logits,
//       also where p underflows to 0). Returns Σ_r ℓ_r / rows (reduction 0 = Mean, Keras) or
//       Σ_r ℓ_r (1 = Sum, the paper's from-scratch net). Writes dlogits = (p − t) / rows for Mean,
//       p − t for Sum: the gradient of the returned loss when each target row sums to 1 (in general
//       that gradient is Σt·p − t; p − t is what Keras and the paper use). Overwrites dlogits.
//       targets: any distribution per row (one-hot in practice); dlogits may alias logits (same
//       address), targets may alias neither.
// No alignment is required.
//
// Numerics: the row max is subtracted before exp (no overflow; the largest term is exactly 1, so the
// sum is in [1, cols]). exp is XNNPACK's rr2-p5 polynomial (simd.ts); terms below e^−87.3 are
// flushed to 0, which changes p by less than 2^−126. p is e / Σe by division (one rounding, not a
// reciprocal and a product). The row loss comes from the same pass: with d = x − max,
// ℓ = (Σt)·log(Σe) − Σ t·d, combined in f64 (log in f64 via Math.log).
// Per row: pass 1 takes the max; pass 2 writes e = exp(d) into the output row and sums it (for the
// loss also Σt and Σt·d); pass 3 scales the row in place. Loops: 16 (8 in the fused kernel, whose
// body is wider), then 4, then a 1–3 lane tail that uses the same vector formulas through lane loads
// and stores (the lanes past the row are masked out of the sums).

import { hmax_f32x4, hsum_f32x4, load_f32x4_partial, store_f32x4_partial, vexp_f32x4 } from './simd';

/** Maximum of x[0..cols) (NaN-propagating). */
// @ts-ignore: decorator
@inline function row_max(x: usize, cols: i32): f32 {
  let n = cols;
  let vmax = f32x4.splat(-Infinity);
  if (n >= 4) {
    vmax = v128.load(x);
    x += 16; n -= 4;
    for (; n >= 16; n -= 16) {
      vmax = f32x4.max(vmax, f32x4.max(f32x4.max(v128.load(x), v128.load(x, 16)), f32x4.max(v128.load(x, 32), v128.load(x, 48))));
      x += 64;
    }
    for (; n >= 4; n -= 4) {
      vmax = f32x4.max(vmax, v128.load(x));
      x += 16;
    }
  }
  let max = hmax_f32x4(vmax);
  for (; n > 0; n--) {
    max = Mathf.max(max, load<f32>(x));
    x += 4;
  }
  return max;
}

/** e[j] = exp(x[j] − max) for j < cols; returns Σ e. e may alias x. */
// @ts-ignore: decorator
@inline function row_exp_sum(e: usize, x: usize, cols: i32, max: f32): f32 {
  const vmax = f32x4.splat(max);
  let vacc0 = f32x4.splat(0), vacc1 = f32x4.splat(0), vacc2 = f32x4.splat(0), vacc3 = f32x4.splat(0);
  let n = cols;
  for (; n >= 16; n -= 16) {
    const ve0 = vexp_f32x4(f32x4.sub(v128.load(x), vmax));
    const ve1 = vexp_f32x4(f32x4.sub(v128.load(x, 16), vmax));
    const ve2 = vexp_f32x4(f32x4.sub(v128.load(x, 32), vmax));
    const ve3 = vexp_f32x4(f32x4.sub(v128.load(x, 48), vmax));
    v128.store(e, ve0);
    v128.store(e, ve1, 16);
    v128.store(e, ve2, 32);
    v128.store(e, ve3, 48);
    vacc0 = f32x4.add(vacc0, ve0);
    vacc1 = f32x4.add(vacc1, ve1);
    vacc2 = f32x4.add(vacc2, ve2);
    vacc3 = f32x4.add(vacc3, ve3);
    x += 64; e += 64;
  }
  for (; n >= 4; n -= 4) {
    const ve = vexp_f32x4(f32x4.sub(v128.load(x), vmax));
    v128.store(e, ve);
    vacc0 = f32x4.add(vacc0, ve);
    x += 16; e += 16;
  }
  if (n > 0) {
    // Zero lanes of the partial load would give exp(0 − max); mask them out of the sum.
    const ve = vexp_f32x4(f32x4.sub(load_f32x4_partial(x, n), vmax));
    store_f32x4_partial(e, ve, n);
    vacc1 = f32x4.add(vacc1, v128.and(ve, tail_mask(n)));
  }
  return hsum_f32x4(f32x4.add(f32x4.add(vacc0, vacc1), f32x4.add(vacc2, vacc3)));
}

/** All-ones in lanes 0..n−1 (n ∈ {1, 2, 3}), zero above. */
// @ts-ignore: decorator
@inline function tail_mask(n: i32): v128 {
  return i32x4.gt_s(i32x4.splat(n), i32x4(0, 1, 2, 3));
}

export function softmax_f32_forward(y: usize, x: usize, rows: i32, cols: i32): void {
  assert(rows >= 1 && cols >= 1);
  const rowBytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const max = row_max(x, cols);
    const vsum = f32x4.splat(row_exp_sum(y, x, cols, max));
    let py = y;
    let n = cols;
    for (; n >= 16; n -= 16) {
      v128.store(py, f32x4.div(v128.load(py), vsum));
      v128.store(py, f32x4.div(v128.load(py, 16), vsum), 16);
      v128.store(py, f32x4.div(v128.load(py, 32), vsum), 32);
      v128.store(py, f32x4.div(v128.load(py, 48), vsum), 48);
      py += 64;
    }
    for (; n >= 4; n -= 4) {
      v128.store(py, f32x4.div(v128.load(py), vsum));
      py += 16;
    }
    if (n > 0) store_f32x4_partial(py, f32x4.div(load_f32x4_partial(py, n), vsum), n);
    x += rowBytes;
    y += rowBytes;
  }
}

export function softmax_xent_f32_fused(dlogits: usize, logits: usize, targets: usize, rows: i32, cols: i32, reduction: i32): f64 {
  assert(rows >= 1 && cols >= 1);
  assert(reduction == 0 || reduction == 1);
  const rowBytes = (<usize>cols) << 2;
  // Mean divides the gradient by rows (exact division, one rounding); Sum divides by 1 (exact).
  const vdiv = f32x4.splat(reduction == 0 ? <f32>rows : 1);
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const max = row_max(logits, cols);
    const vmax = f32x4.splat(max);
    // Pass 2: e → dlogits, Σe, Σt, Σt·d.
    let px = logits, pe = dlogits, pt = targets;
    let vsum0 = f32x4.splat(0), vsum1 = f32x4.splat(0);
    let vtsum = f32x4.splat(0), vtd = f32x4.splat(0);
    let n = cols;
    for (; n >= 8; n -= 8) {
      const vd0 = f32x4.sub(v128.load(px), vmax);
      const vd1 = f32x4.sub(v128.load(px, 16), vmax);
      const vt0 = v128.load(pt), vt1 = v128.load(pt, 16);
      const ve0 = vexp_f32x4(vd0);
      const ve1 = vexp_f32x4(vd1);
      v128.store(pe, ve0);
      v128.store(pe, ve1, 16);
      vsum0 = f32x4.add(vsum0, ve0);
      vsum1 = f32x4.add(vsum1, ve1);
      vtsum = f32x4.add(vtsum, f32x4.add(vt0, vt1));
      vtd = f32x4.add(vtd, f32x4.add(f32x4.mul(vt0, vd0), f32x4.mul(vt1, vd1)));
      px += 32; pe += 32; pt += 32;
    }
    for (; n >= 4; n -= 4) {
      const vd = f32x4.sub(v128.load(px), vmax);
      const vt = v128.load(pt);
      const ve = vexp_f32x4(vd);
      v128.store(pe, ve);
      vsum0 = f32x4.add(vsum0, ve);
      vtsum = f32x4.add(vtsum, vt);
      vtd = f32x4.add(vtd, f32x4.mul(vt, vd));
      px += 16; pe += 16; pt += 16;
    }
    if (n > 0) {
      // Unloaded lanes: t = 0 so they add nothing to Σt or Σt·d; e is masked out of the sum.
      const vd = f32x4.sub(load_f32x4_partial(px, n), vmax);
      const vt = load_f32x4_partial(pt, n);
      const ve = vexp_f32x4(vd);
      store_f32x4_partial(pe, ve, n);
      vsum1 = f32x4.add(vsum1, v128.and(ve, tail_mask(n)));
      vtsum = f32x4.add(vtsum, vt);
      vtd = f32x4.add(vtd, f32x4.mul(vt, vd));
    }
    const sum = hsum_f32x4(f32x4.add(vsum0, vsum1));
    loss += <f64>hsum_f32x4(vtsum) * Math.log(<f64>sum) - <f64>hsum_f32x4(vtd);

    // Pass 3: dlogits = (e / Σe − t) / div, in place.
    const vsum = f32x4.splat(sum);
    pe = dlogits; pt = targets;
    n = cols;
    for (; n >= 8; n -= 8) {
      const vp0 = f32x4.div(v128.load(pe), vsum);
      const vp1 = f32x4.div(v128.load(pe, 16), vsum);
      v128.store(pe, f32x4.div(f32x4.sub(vp0, v128.load(pt)), vdiv));
      v128.store(pe, f32x4.div(f32x4.sub(vp1, v128.load(pt, 16)), vdiv), 16);
      pe += 32; pt += 32;
    }
    for (; n >= 4; n -= 4) {
      const vp = f32x4.div(v128.load(pe), vsum);
      v128.store(pe, f32x4.div(f32x4.sub(vp, v128.load(pt)), vdiv));
      pe += 16; pt += 16;
    }
    if (n > 0) {
      const vp = f32x4.div(load_f32x4_partial(pe, n), vsum);
      store_f32x4_partial(pe, f32x4.div(f32x4.sub(vp, load_f32x4_partial(pt, n)), vdiv), n);
    }
    logits += rowBytes;
    dlogits += rowBytes;
    targets += rowBytes;
  }
  return reduction == 0 ? loss / <f64>rows : loss;
}
