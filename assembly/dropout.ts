// Inverted dropout (Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks from
// Overfitting"; Keras' Dropout): training keeps each element with probability 1 − rate and scales
// the kept ones by 1 / (1 − rate), so inference is the identity and needs no kernel.
//
// Contract (byte addresses of f32 data; count ≥ 1; 0 ≤ rate < 1):
//   dropout_f32_forward(y [count], mask [count], x [count], count, rate, seed)
//       mask[i] = keep(seed, i) ? 1 / (1 − rate) : 0      (overwritten; the backward reads it)
//       y[i]    = x[i] · mask[i]                            (overwritten; y may alias x)
//   dropout_f32_backward(dx [count], dy [count], mask [count], count)
//       dx[i] = dy[i] · mask[i]                             (overwritten; dx may alias dy)
// keep(seed, i): h = lowbias32((i · 0x9E3779B9) ^ seed) (Chris Wellons' integer hash, "Prospecting
// for Hash Functions", 2018); keep when (h >>> 8) ≥ round(rate · 2^24). The draw depends on (seed, i)
// only, never on the loop structure: the vector body and the scalar tail compute the same bits, so
// the mask is identical for any count split and on any runtime. The caller draws a fresh seed per
// step from its seeded generator.
// Loops: 4 elements per vector step (the hash is integer-bound), then a scalar tail.

const GOLDEN: u32 = 0x9e3779b9;
const MUL1: u32 = 0x7feb352d;
const MUL2: u32 = 0x846ca68b;

// @ts-ignore: decorator
@inline function lowbias32(x: u32): u32 {
  x ^= x >>> 16;
  x *= MUL1;
  x ^= x >>> 15;
  x *= MUL2;
  x ^= x >>> 16;
  return x;
}

// @ts-ignore: decorator
@inline function vlowbias32(vx: v128): v128 {
  vx = v128.xor(vx, i32x4.shr_u(vx, 16));
  vx = i32x4.mul(vx, i32x4.splat(MUL1));
  vx = v128.xor(vx, i32x4.shr_u(vx, 15));
  vx = i32x4.mul(vx, i32x4.splat(MUL2));
  return v128.xor(vx, i32x4.shr_u(vx, 16));
}

/** round(rate · 2^24), clamped to the 24-bit range: the keep threshold. */
// @ts-ignore: decorator
@inline function keep_threshold(rate: f32): u32 {
  const t = Math.round(<f64>rate * 16777216.0);
  return t <= 0 ? 0 : t >= 16777216.0 ? 16777216 : <u32>t;
}

export function dropout_f32_forward(y: usize, mask: usize, x: usize, count: i32, rate: f32, seed: u32): void {
  assert(count >= 1 && rate >= 0 && rate < 1, 'dropout: count ≥ 1 and 0 ≤ rate < 1');
  const scale: f32 = <f32>1 / (<f32>1 - rate);
  const threshold = keep_threshold(rate);
  const vscale = f32x4.splat(scale);
  const vthreshold = i32x4.splat(threshold);
  const vseed = i32x4.splat(seed);
  const vgolden = i32x4.splat(GOLDEN);
  let vindex = i32x4(0, 1, 2, 3);
  const vfour = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const vh = vlowbias32(v128.xor(i32x4.mul(vindex, vgolden), vseed));
    // i32x4.ge_u of (h >>> 8) and the threshold: all ones where kept, then AND with the scale's bits.
    const vkeep = i32x4.ge_u(i32x4.shr_u(vh, 8), vthreshold);
    const vmask = v128.and(vkeep, vscale);
    v128.store(mask, vmask);
    v128.store(y, f32x4.mul(v128.load(x), vmask));
    x += 16; y += 16; mask += 16;
    vindex = i32x4.add(vindex, vfour);
  }
  for (; i < count; i++) {
    const h = lowbias32((<u32>i * GOLDEN) ^ seed);
    const m: f32 = (h >>> 8) >= threshold ? scale : 0;
    store<f32>(mask, m);
    store<f32>(y, load<f32>(x) * m);
    x += 4; y += 4; mask += 4;
  }
}

export function dropout_f32_backward(dx: usize, dy: usize, mask: usize, count: i32): void {
  assert(count >= 1, 'dropout: count ≥ 1');
  let n = count;
  for (; n >= 16; n -= 16) {
    v128.store(dx, f32x4.mul(v128.load(dy), v128.load(mask)));
    v128.store(dx, f32x4.mul(v128.load(dy, 16), v128.load(mask, 16)), 16);
    v128.store(dx, f32x4.mul(v128.load(dy, 32), v128.load(mask, 32)), 32);
    v128.store(dx, f32x4.mul(v128.load(dy, 48), v128.load(mask, 48)), 48);
    dx += 64; dy += 64; mask += 64;
  }
  for (; n >= 4; n -= 4) {
    v128.store(dx, f32x4.mul(v128.load(dy), v128.load(mask)));
    dx += 16; dy += 16; mask += 16;
  }
  for (; n > 0; n--) {
    store<f32>(dx, load<f32>(dy) * load<f32>(mask));
    dx += 4; dy += 4; mask += 4;
  }
}
