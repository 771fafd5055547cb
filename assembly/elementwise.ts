// Elementwise kernels: bias add, sigmoid, ReLU, each forward beside its backward.
//
// Contract (every pointer is a byte address of f32 data, every size an element count ≥ 1):
//   bias_add_f32_forward(y [rows, cols], x [rows, cols], bias [cols], rows, cols)
//       y[r, c] = x[r, c] + bias[c]. Overwrites y. y may alias x (same address).
//   bias_add_f32_backward(dbias [cols], dy [rows, cols], rows, cols, accumulate)
//       dbias[c] = Σ_r dy[r, c] (accumulate = 0: overwrite; dbias is not read) or
//       dbias[c] += Σ_r dy[r, c] (accumulate ≠ 0). The row sum runs in f32, rows in order.
//   sigmoid_f32_forward(y [count], x [count], count)        y = 1 / (1 + exp(−x)). y may alias x.
//   sigmoid_f32_backward(dx [count], dy [count], y [count], count)
//       dx = dy · (y · (1 − y)) from the forward output y. Overwrites dx. dx may alias dy or y.
//   relu_f32_forward(y [count], x [count], count)           y = x < 0 ? 0 : x (NaN and −0 pass through).
//       y may alias x.
//   relu_f32_backward(dx [count], dy [count], y [count], count)
//       dx = dy where y > 0, else 0 (a bit mask, so exact). dx may alias dy or y.
// Aliasing means the same address: every element is read before its own slot is written, never a
// shifted overlap. No alignment is required (v128.load/store are unaligned-safe in wasm).
//
// Sigmoid is XNNPACK's f32-vsigmoid rr2-p5-div (see simd.ts): exp of −|x|, so it never overflows,
// then reflected by sign. Its 1–3 element tail goes through the same vector formula (lane loads and
// stores, nothing read or written past the buffers), so every size gives the same values.
// Loops: 16 elements (4 vectors) per iteration, then 4, then the tail.

import { load_f32x4_partial, store_f32x4_partial, vsigmoid_f32x4 } from './simd';

export function bias_add_f32_forward(y: usize, x: usize, bias: usize, rows: i32, cols: i32): void {
  assert(rows >= 1 && cols >= 1);
  const rowBytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    let px = x, py = y, pb = bias;
    let c = cols;
    for (; c >= 16; c -= 16) {
      const vx0 = v128.load(px), vx1 = v128.load(px, 16), vx2 = v128.load(px, 32), vx3 = v128.load(px, 48);
      const vb0 = v128.load(pb), vb1 = v128.load(pb, 16), vb2 = v128.load(pb, 32), vb3 = v128.load(pb, 48);
      v128.store(py, f32x4.add(vx0, vb0));
      v128.store(py, f32x4.add(vx1, vb1), 16);
      v128.store(py, f32x4.add(vx2, vb2), 32);
      v128.store(py, f32x4.add(vx3, vb3), 48);
      px += 64; py += 64; pb += 64;
    }
    for (; c >= 4; c -= 4) {
      v128.store(py, f32x4.add(v128.load(px), v128.load(pb)));
      px += 16; py += 16; pb += 16;
    }
    for (; c > 0; c--) {
      store<f32>(py, load<f32>(px) + load<f32>(pb));
      px += 4; py += 4; pb += 4;
    }
    x += rowBytes;
    y += rowBytes;
  }
}

export function bias_add_f32_backward(dbias: usize, dy: usize, rows: i32, cols: i32, accumulate: i32): void {
  assert(rows >= 1 && cols >= 1);
  const rowBytes = (<usize>cols) << 2;
  // Column blocks of 16, then 4, then 1; each block walks down the rows with its sums in registers.
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    const cb = (<usize>c) << 2;
    let p = dy + cb;
    let vacc0 = f32x4.splat(0), vacc1 = f32x4.splat(0), vacc2 = f32x4.splat(0), vacc3 = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      vacc0 = f32x4.add(vacc0, v128.load(p));
      vacc1 = f32x4.add(vacc1, v128.load(p, 16));
      vacc2 = f32x4.add(vacc2, v128.load(p, 32));
      vacc3 = f32x4.add(vacc3, v128.load(p, 48));
      p += rowBytes;
    }
    const pd = dbias + cb;
    if (accumulate) {
      vacc0 = f32x4.add(v128.load(pd), vacc0);
      vacc1 = f32x4.add(v128.load(pd, 16), vacc1);
      vacc2 = f32x4.add(v128.load(pd, 32), vacc2);
      vacc3 = f32x4.add(v128.load(pd, 48), vacc3);
    }
    v128.store(pd, vacc0);
    v128.store(pd, vacc1, 16);
    v128.store(pd, vacc2, 32);
    v128.store(pd, vacc3, 48);
  }
  for (; c + 4 <= cols; c += 4) {
    const cb = (<usize>c) << 2;
    let p = dy + cb;
    let vacc = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      vacc = f32x4.add(vacc, v128.load(p));
      p += rowBytes;
    }
    const pd = dbias + cb;
    if (accumulate) vacc = f32x4.add(v128.load(pd), vacc);
    v128.store(pd, vacc);
  }
  for (; c < cols; c++) {
    const cb = (<usize>c) << 2;
    let p = dy + cb;
    let acc: f32 = 0;
    for (let r = 0; r < rows; r++) {
      acc += load<f32>(p);
      p += rowBytes;
    }
    const pd = dbias + cb;
    store<f32>(pd, accumulate ? load<f32>(pd) + acc : acc);
  }
}

export function sigmoid_f32_forward(y: usize, x: usize, count: i32): void {
  assert(count >= 1);
  let n = count;
  for (; n >= 16; n -= 16) {
    const vx0 = v128.load(x), vx1 = v128.load(x, 16), vx2 = v128.load(x, 32), vx3 = v128.load(x, 48);
    v128.store(y, vsigmoid_f32x4(vx0));
    v128.store(y, vsigmoid_f32x4(vx1), 16);
    v128.store(y, vsigmoid_f32x4(vx2), 32);
    v128.store(y, vsigmoid_f32x4(vx3), 48);
    x += 64; y += 64;
  }
  for (; n >= 4; n -= 4) {
    v128.store(y, vsigmoid_f32x4(v128.load(x)));
    x += 16; y += 16;
  }
  if (n > 0) store_f32x4_partial(y, vsigmoid_f32x4(load_f32x4_partial(x, n)), n);
}

export function sigmoid_f32_backward(dx: usize, dy: usize, y: usize, count: i32): void {
  assert(count >= 1);
  const vone = f32x4.splat(1.0);
  let n = count;
  for (; n >= 16; n -= 16) {
    const vy0 = v128.load(y), vy1 = v128.load(y, 16), vy2 = v128.load(y, 32), vy3 = v128.load(y, 48);
    const vdy0 = v128.load(dy), vdy1 = v128.load(dy, 16), vdy2 = v128.load(dy, 32), vdy3 = v128.load(dy, 48);
    v128.store(dx, f32x4.mul(vdy0, f32x4.mul(vy0, f32x4.sub(vone, vy0))));
    v128.store(dx, f32x4.mul(vdy1, f32x4.mul(vy1, f32x4.sub(vone, vy1))), 16);
    v128.store(dx, f32x4.mul(vdy2, f32x4.mul(vy2, f32x4.sub(vone, vy2))), 32);
    v128.store(dx, f32x4.mul(vdy3, f32x4.mul(vy3, f32x4.sub(vone, vy3))), 48);
    dx += 64; dy += 64; y += 64;
  }
  for (; n >= 4; n -= 4) {
    const vy = v128.load(y);
    v128.store(dx, f32x4.mul(v128.load(dy), f32x4.mul(vy, f32x4.sub(vone, vy))));
    dx += 16; dy += 16; y += 16;
  }
  for (; n > 0; n--) {
    const vy = load<f32>(y);
    store<f32>(dx, load<f32>(dy) * (vy * (1 - vy)));
    dx += 4; dy += 4; y += 4;
  }
}

export function relu_f32_forward(y: usize, x: usize, count: i32): void {
  assert(count >= 1);
  // pmax(x, 0) = x < 0 ? 0 : x: one maxps on x86 (f32x4.max needs a NaN/−0 fix-up sequence), and
  // NaN still propagates (NaN < 0 is false), so the loss turns NaN and training stops with a named error.
  const vzero = f32x4.splat(0);
  let n = count;
  for (; n >= 16; n -= 16) {
    const vx0 = v128.load(x), vx1 = v128.load(x, 16), vx2 = v128.load(x, 32), vx3 = v128.load(x, 48);
    v128.store(y, f32x4.pmax(vx0, vzero));
    v128.store(y, f32x4.pmax(vx1, vzero), 16);
    v128.store(y, f32x4.pmax(vx2, vzero), 32);
    v128.store(y, f32x4.pmax(vx3, vzero), 48);
    x += 64; y += 64;
  }
  for (; n >= 4; n -= 4) {
    v128.store(y, f32x4.pmax(v128.load(x), vzero));
    x += 16; y += 16;
  }
  for (; n > 0; n--) {
    const v = load<f32>(x);
    store<f32>(y, v < 0 ? 0 : v);
    x += 4; y += 4;
  }
}

export function relu_f32_backward(dx: usize, dy: usize, y: usize, count: i32): void {
  assert(count >= 1);
  const vzero = f32x4.splat(0);
  let n = count;
  for (; n >= 16; n -= 16) {
    const vy0 = v128.load(y), vy1 = v128.load(y, 16), vy2 = v128.load(y, 32), vy3 = v128.load(y, 48);
    const vdy0 = v128.load(dy), vdy1 = v128.load(dy, 16), vdy2 = v128.load(dy, 32), vdy3 = v128.load(dy, 48);
    v128.store(dx, v128.and(vdy0, f32x4.gt(vy0, vzero)));
    v128.store(dx, v128.and(vdy1, f32x4.gt(vy1, vzero)), 16);
    v128.store(dx, v128.and(vdy2, f32x4.gt(vy2, vzero)), 32);
    v128.store(dx, v128.and(vdy3, f32x4.gt(vy3, vzero)), 48);
    dx += 64; dy += 64; y += 64;
  }
  for (; n >= 4; n -= 4) {
    v128.store(dx, v128.and(v128.load(dy), f32x4.gt(v128.load(y), vzero)));
    dx += 16; dy += 16; y += 16;
  }
  for (; n > 0; n--) {
    store<f32>(dx, load<f32>(y) > 0 ? load<f32>(dy) : 0);
    dx += 4; dy += 4; y += 4;
  }
}
