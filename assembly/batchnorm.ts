// Batch normalization (Ioffe & Szegedy 2015; Keras' BatchNormalization with axis −1), over
// x [rows, cols] with the statistics per column: a Dense layer's [batch, units] or a conv layer's
// NHWC [batch·height·width, channels], so one kernel serves both.
//
// Contract (byte addresses of f32 data; rows, cols ≥ 1; no output aliases an input unless said):
//   batchnorm_f32_forward_train(y, mean, invstd, moving_mean, moving_var, x, gamma, beta,
//                               rows, cols, momentum, epsilon)
//       mean[c]   = Σ_r x[r,c] / rows                         (overwritten, [cols])
//       var[c]    = Σ_r (x[r,c] − mean[c])² / rows             (biased, as Keras' moments)
//       invstd[c] = 1 / √(var[c] + epsilon)                    (overwritten, [cols])
//       y[r,c]    = x[r,c] · scale[c] + shift[c],  scale = gamma·invstd, shift = beta − mean·scale
//       moving_mean = momentum·moving_mean + (1 − momentum)·mean, moving_var likewise with var
//       (updated in place, Keras' rule). y may alias x.
//   batchnorm_f32_forward_inference(y, x, moving_mean, moving_var, gamma, beta, rows, cols, epsilon)
//       y = x · scale + shift with scale = gamma / √(moving_var + epsilon), shift = beta − moving_mean·scale.
//       y may alias x.
//   batchnorm_f32_backward(dx, dgamma, dbeta, dy, x, mean, invstd, gamma, rows, cols)
//       x̂ = (x − mean)·invstd; dbeta[c] = Σ_r dy; dgamma[c] = Σ_r dy·x̂ (both overwritten);
//       dx = gamma·invstd·(dy − dbeta/rows − x̂·dgamma/rows) (overwritten; dx may alias dy).
// Sums run over the rows in order and in f64 (a conv layer's rows are batch·height·width, 50,176
// at batch 64 and 28x28, where an f32 running sum would lose about 3 digits); the result is
// rounded to f32 once. Columns go 4 at a time (two f64x2 accumulator pairs), then a scalar tail.
// Parts (assembly/parts.ts): each `_part` export owns a run of whole groups of 4 columns, and every
// statistic and output element depends on its own column only, so any split gives the same bits.

import { part_start, valid_part } from './parts';

// @ts-ignore: decorator
@inline function promote_high(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
}

/** out[0..4) = (the four f64 sums in vlo, vhi) · scale, each rounded once to f32. */
// @ts-ignore: decorator
@inline function store_scaled_4(out: usize, vlo: v128, vhi: v128, scale: f64): void {
  const vscale = f64x2.splat(scale);
  vlo = f64x2.mul(vlo, vscale);
  vhi = f64x2.mul(vhi, vscale);
  store<f32>(out, <f32>f64x2.extract_lane(vlo, 0));
  store<f32>(out, <f32>f64x2.extract_lane(vlo, 1), 4);
  store<f32>(out, <f32>f64x2.extract_lane(vhi, 0), 8);
  store<f32>(out, <f32>f64x2.extract_lane(vhi, 1), 12);
}

/** sums[c] (f64 in a register pair per 4 columns) = Σ_r x[r, c]: stored as f32 (÷ rows) in out. */
function column_means(out: usize, x: usize, rows: i32, ld: usize, c0: i32, c1: i32): void {
  const inv = 1.0 / <f64>rows;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    let vlo = f64x2.splat(0);
    let vhi = f64x2.splat(0);
    let p = x + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(p);
      vlo = f64x2.add(vlo, f64x2.promote_low_f32x4(v));
      vhi = f64x2.add(vhi, promote_high(v));
      p += ld;
    }
    store_scaled_4(out + (<usize>c << 2), vlo, vhi, inv);
  }
  for (; c < c1; c++) {
    let sum = 0.0;
    let p = x + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      sum += <f64>load<f32>(p);
      p += ld;
    }
    store<f32>(out + (<usize>c << 2), <f32>(sum * inv));
  }
}

/** out[c] = Σ_r (x[r,c] − mean[c])² / rows, summed in f64 as column_means. */
function column_variances(out: usize, x: usize, mean: usize, rows: i32, ld: usize, c0: i32, c1: i32): void {
  const inv = 1.0 / <f64>rows;
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const vm = v128.load(mean + (<usize>c << 2));
    const vmlo = f64x2.promote_low_f32x4(vm);
    const vmhi = promote_high(vm);
    let vlo = f64x2.splat(0);
    let vhi = f64x2.splat(0);
    let p = x + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(p);
      const dlo = f64x2.sub(f64x2.promote_low_f32x4(v), vmlo);
      const dhi = f64x2.sub(promote_high(v), vmhi);
      vlo = f64x2.add(vlo, f64x2.mul(dlo, dlo));
      vhi = f64x2.add(vhi, f64x2.mul(dhi, dhi));
      p += ld;
    }
    store_scaled_4(out + (<usize>c << 2), vlo, vhi, inv);
  }
  for (; c < c1; c++) {
    const m = <f64>load<f32>(mean + (<usize>c << 2));
    let sum = 0.0;
    let p = x + (<usize>c << 2);
    for (let r = 0; r < rows; r++) {
      const d = <f64>load<f32>(p) - m;
      sum += d * d;
      p += ld;
    }
    store<f32>(out + (<usize>c << 2), <f32>(sum * inv));
  }
}

/** y[r, c] = x[r, c] · scale[c] + shift[c] for columns c0..c1, row by row (y may alias x). */
function scale_shift_rows(y: usize, x: usize, scale: usize, shift: usize, rows: i32, ld: usize, c0: i32, c1: i32): void {
  const first = <usize>c0 << 2;
  for (let r = 0; r < rows; r++) {
    let c = c0;
    let px = x + <usize>r * ld + first;
    let py = y + <usize>r * ld + first;
    let ps = scale + first;
    let pt = shift + first;
    for (; c + 4 <= c1; c += 4) {
      v128.store(py, f32x4.add(f32x4.mul(v128.load(px), v128.load(ps)), v128.load(pt)));
      px += 16; py += 16; ps += 16; pt += 16;
    }
    for (; c < c1; c++) {
      store<f32>(py, load<f32>(px) * load<f32>(ps) + load<f32>(pt));
      px += 4; py += 4; ps += 4; pt += 4;
    }
  }
}

/**
 * scale[c] = gamma[c] / √(var[c] + ε) and shift[c] = beta[c] − mean[c]·scale[c], written over
 * var (→ scale) and into shift; with invstd ≠ 0 the 1/√(var + ε) is stored there too.
 */
function scale_and_shift(scale: usize, shift: usize, invstd: usize, mean: usize, variance: usize,
    gamma: usize, beta: usize, c0: i32, c1: i32, epsilon: f32): void {
  for (let c = c0; c < c1; c++) {
    const o = <usize>c << 2;
    const inv: f32 = <f32>1 / Mathf.sqrt(load<f32>(variance + o) + epsilon);
    if (invstd) store<f32>(invstd + o, inv);
    const s = load<f32>(gamma + o) * inv;
    store<f32>(scale + o, s);
    store<f32>(shift + o, load<f32>(beta + o) - load<f32>(mean + o) * s);
  }
}

/** moving = momentum·moving + (1 − momentum)·value, per column. */
function update_moving(moving: usize, value: usize, c0: i32, c1: i32, momentum: f32): void {
  const keep = momentum;
  const take: f32 = <f32>1 - momentum;
  for (let c = c0; c < c1; c++) {
    const o = <usize>c << 2;
    store<f32>(moving + o, load<f32>(moving + o) * keep + load<f32>(value + o) * take);
  }
}

/**
 * Columns c0..c1 of part `part` of `parts`: runs of whole groups of 4 columns (the SIMD body), so
 * every column takes the code path of the unsplit call and the last part keeps the scalar tail.
 * Every statistic and output element depends on its own column only (assembly/parts.ts).
 */
// @ts-ignore: decorator
@inline function part_columns_start(cols: i32, part: i32, parts: i32): i32 {
  return min(part_start((cols + 3) >> 2, part, parts) << 2, cols);
}

/** The forwards' workspace: `cols` f32 (rounded up to a vector) of scale (or variance), then the shift. */
// @ts-ignore: decorator
@inline function shift_of(workspace: usize, cols: i32): usize {
  return workspace + (<usize>(cols + 3 & ~3) << 2);
}

/**
 * Training forward. `workspace` holds 2·cols f32 (the variance, then scale, and the shift),
 * 16-byte aligned: batchnorm_f32_workspace_bytes(cols).
 */
export function batchnorm_f32_forward_train(y: usize, mean: usize, invstd: usize, moving_mean: usize, moving_var: usize,
    x: usize, gamma: usize, beta: usize, workspace: usize, rows: i32, cols: i32, momentum: f32, epsilon: f32): void {
  batchnorm_f32_forward_train_part(y, mean, invstd, moving_mean, moving_var, x, gamma, beta, workspace, rows, cols,
    momentum, epsilon, 0, 1);
}

/** Part `part` of `parts` of batchnorm_f32_forward_train: its run of columns. */
export function batchnorm_f32_forward_train_part(y: usize, mean: usize, invstd: usize, moving_mean: usize, moving_var: usize,
    x: usize, gamma: usize, beta: usize, workspace: usize, rows: i32, cols: i32, momentum: f32, epsilon: f32,
    part: i32, parts: i32): void {
  assert(rows >= 1 && cols >= 1, 'batchnorm: rows and cols must be at least 1');
  assert(valid_part(part, parts), 'batchnorm: need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  const c0 = part_columns_start(cols, part, parts);
  const c1 = part_columns_start(cols, part + 1, parts);
  const ld = <usize>cols << 2;
  const variance = workspace;
  const shift = shift_of(workspace, cols);
  column_means(mean, x, rows, ld, c0, c1);
  column_variances(variance, x, mean, rows, ld, c0, c1);
  update_moving(moving_mean, mean, c0, c1, momentum);
  update_moving(moving_var, variance, c0, c1, momentum);
  scale_and_shift(variance, shift, invstd, mean, variance, gamma, beta, c0, c1, epsilon);
  scale_shift_rows(y, x, variance, shift, rows, ld, c0, c1);
}

export function batchnorm_f32_forward_inference(y: usize, x: usize, moving_mean: usize, moving_var: usize,
    gamma: usize, beta: usize, workspace: usize, rows: i32, cols: i32, epsilon: f32): void {
  batchnorm_f32_forward_inference_part(y, x, moving_mean, moving_var, gamma, beta, workspace, rows, cols, epsilon, 0, 1);
}

/** Part `part` of `parts` of batchnorm_f32_forward_inference: its run of columns. */
export function batchnorm_f32_forward_inference_part(y: usize, x: usize, moving_mean: usize, moving_var: usize,
    gamma: usize, beta: usize, workspace: usize, rows: i32, cols: i32, epsilon: f32, part: i32, parts: i32): void {
  assert(rows >= 1 && cols >= 1, 'batchnorm: rows and cols must be at least 1');
  assert(valid_part(part, parts), 'batchnorm: need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  const c0 = part_columns_start(cols, part, parts);
  const c1 = part_columns_start(cols, part + 1, parts);
  const scale = workspace;
  const shift = shift_of(workspace, cols);
  scale_and_shift(scale, shift, 0, moving_mean, moving_var, gamma, beta, c0, c1, epsilon);
  scale_shift_rows(y, x, scale, shift, rows, <usize>cols << 2, c0, c1);
}

/** Workspace bytes of the two forward kernels for `cols` columns. */
export function batchnorm_f32_workspace_bytes(cols: i32): i32 {
  return ((cols + 3) & ~3) << 3;
}

export function batchnorm_f32_backward(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize,
    mean: usize, invstd: usize, gamma: usize, rows: i32, cols: i32): void {
  batchnorm_f32_backward_part(dx, dgamma, dbeta, dy, x, mean, invstd, gamma, rows, cols, 0, 1);
}

/** Part `part` of `parts` of batchnorm_f32_backward: its run of columns (dx may alias dy: same columns). */
export function batchnorm_f32_backward_part(dx: usize, dgamma: usize, dbeta: usize, dy: usize, x: usize,
    mean: usize, invstd: usize, gamma: usize, rows: i32, cols: i32, part: i32, parts: i32): void {
  assert(rows >= 1 && cols >= 1, 'batchnorm: rows and cols must be at least 1');
  assert(valid_part(part, parts), 'batchnorm: need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  const c0 = part_columns_start(cols, part, parts);
  const c1 = part_columns_start(cols, part + 1, parts);
  const ld = <usize>cols << 2;
  // dbeta = Σ dy and dgamma = Σ dy·x̂, per column, in f64 (as the forward's sums); 4 columns per
  // pass as column_means (a column at a time re-read every cache line of x and dy per column).
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const o = <usize>c << 2;
    const vm = v128.load(mean + o);
    const vinv = v128.load(invstd + o);
    let blo = f64x2.splat(0);
    let bhi = f64x2.splat(0);
    let glo = f64x2.splat(0);
    let ghi = f64x2.splat(0);
    let px = x + o;
    let pd = dy + o;
    for (let r = 0; r < rows; r++) {
      const vd = v128.load(pd);
      const vxhat = f32x4.mul(f32x4.sub(v128.load(px), vm), vinv);
      const dlo = f64x2.promote_low_f32x4(vd);
      const dhi = promote_high(vd);
      blo = f64x2.add(blo, dlo);
      bhi = f64x2.add(bhi, dhi);
      glo = f64x2.add(glo, f64x2.mul(dlo, f64x2.promote_low_f32x4(vxhat)));
      ghi = f64x2.add(ghi, f64x2.mul(dhi, promote_high(vxhat)));
      px += ld; pd += ld;
    }
    store_scaled_4(dbeta + o, blo, bhi, 1.0);
    store_scaled_4(dgamma + o, glo, ghi, 1.0);
  }
  for (; c < c1; c++) {
    const o = <usize>c << 2;
    const m = load<f32>(mean + o);
    const inv = load<f32>(invstd + o);
    let sb = 0.0;
    let sg = 0.0;
    let px = x + o;
    let pd = dy + o;
    for (let r = 0; r < rows; r++) {
      const d = <f64>load<f32>(pd);
      sb += d;
      sg += d * <f64>((load<f32>(px) - m) * inv);
      px += ld; pd += ld;
    }
    store<f32>(dbeta + o, <f32>sb);
    store<f32>(dgamma + o, <f32>sg);
  }
  // dx = k·(dy − dbeta/N − x̂·dgamma/N), k = gamma·invstd; row by row, 4 columns per vector.
  const invRows: f32 = <f32>1 / <f32>rows;
  const first = <usize>c0 << 2;
  for (let r = 0; r < rows; r++) {
    let px = x + <usize>r * ld + first;
    let pd = dy + <usize>r * ld + first;
    let pdx = dx + <usize>r * ld + first;
    let c = c0;
    for (; c + 4 <= c1; c += 4) {
      const o = <usize>c << 2;
      const vinv = v128.load(invstd + o);
      const vxhat = f32x4.mul(f32x4.sub(v128.load(px), v128.load(mean + o)), vinv);
      const vk = f32x4.mul(v128.load(gamma + o), vinv);
      const vmb = f32x4.mul(v128.load(dbeta + o), f32x4.splat(invRows));
      const vmg = f32x4.mul(v128.load(dgamma + o), f32x4.splat(invRows));
      const vd = f32x4.sub(f32x4.sub(v128.load(pd), vmb), f32x4.mul(vxhat, vmg));
      v128.store(pdx, f32x4.mul(vk, vd));
      px += 16; pd += 16; pdx += 16;
    }
    for (; c < c1; c++) {
      const o = <usize>c << 2;
      const inv = load<f32>(invstd + o);
      const xhat = (load<f32>(px) - load<f32>(mean + o)) * inv;
      const k = load<f32>(gamma + o) * inv;
      const d = load<f32>(pd) - load<f32>(dbeta + o) * invRows - xhat * (load<f32>(dgamma + o) * invRows);
      store<f32>(pdx, k * d);
      px += 4; pd += 4; pdx += 4;
    }
  }
}
