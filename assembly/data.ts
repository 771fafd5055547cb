// Batch assembly from the u8 dataset held in wasm memory, and row-wise argmax for predictions.
//
// Contract (byte addresses; sizes ≥ 1; no alignment required; outputs alias no input):
//   gather_batch_u8_f32(inputs [batchSize, pixels] f32, targets [batchSize, classes] f32 (0 = skip),
//                       images [N, pixels] u8, labels [N] u8, indices [batchSize] i32,
//                       batchSize, pixels, classes)
//       inputs[b, p] = images[indices[b], p] / 255 (f32 division: correctly rounded, identical to
//       the paper's X / 255.0 rounded to f32). targets[b, :] = one-hot(labels[indices[b]]).
//       Overwrites inputs and (unless targets is 0) targets. Indices must lie in 0..N−1 (the kernel
//       does not know N). A label ≥ classes is a caller bug: the debug build traps on it, the release
//       build leaves that target row all zeros and never writes outside targets.
//   argmax_f32_rows(out [rows] i32, x [rows, cols] f32, rows, cols)
//       out[r] = the smallest c with x[r, c] equal to the row maximum (−0 and +0 are equal). A row
//       holding NaN gives the index of its first NaN (NaN ranks above every number, as in NumPy).
// Loops: 16 pixels (one v128 of bytes) per iteration, then 4, then scalar.

// @ts-ignore: decorator
@inline function u8x4_to_f32x4_div255(vb: v128, v255: v128): v128 {
  // Lanes 0..3 of the bytes, zero-extended to i32, converted (exact, < 2^24) and divided.
  return f32x4.div(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(vb))), v255);
}

export function gather_batch_u8_f32(inputs: usize, targets: usize, images: usize, labels: usize, indices: usize,
  batch_size: i32, pixels: i32, classes: i32): void {
  assert(batch_size >= 1 && pixels >= 1 && classes >= 1);
  const v255 = f32x4.splat(255);
  const vzero = f32x4.splat(0);
  for (let b = 0; b < batch_size; b++) {
    const index = load<i32>(indices + ((<usize>b) << 2));
    assert(index >= 0);
    let src = images + <usize>index * <usize>pixels;
    let dst = inputs + (<usize>b * <usize>pixels << 2);
    let n = pixels;
    for (; n >= 16; n -= 16) {
      const vb = v128.load(src);
      const vw_lo = i16x8.extend_low_i8x16_u(vb);
      const vw_hi = i16x8.extend_high_i8x16_u(vb);
      const vf0 = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(vw_lo));
      const vf1 = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(vw_lo));
      const vf2 = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(vw_hi));
      const vf3 = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(vw_hi));
      v128.store(dst, f32x4.div(vf0, v255));
      v128.store(dst, f32x4.div(vf1, v255), 16);
      v128.store(dst, f32x4.div(vf2, v255), 32);
      v128.store(dst, f32x4.div(vf3, v255), 48);
      src += 16; dst += 64;
    }
    for (; n >= 4; n -= 4) {
      v128.store(dst, u8x4_to_f32x4_div255(v128.load32_zero(src), v255));
      src += 4; dst += 16;
    }
    for (; n > 0; n--) {
      store<f32>(dst, <f32>load<u8>(src) / 255);
      src += 1; dst += 4;
    }

    if (targets != 0) {
      const row = targets + (<usize>b * <usize>classes << 2);
      let pt = row;
      let c = classes;
      for (; c >= 4; c -= 4) {
        v128.store(pt, vzero);
        pt += 16;
      }
      for (; c > 0; c--) {
        store<f32>(pt, 0);
        pt += 4;
      }
      const label = <i32>load<u8>(labels + <usize>index);
      assert(label < classes);
      if (label < classes) store<f32>(row + ((<usize>label) << 2), 1);
    }
  }
}

// Augmented gather: gather_batch_u8_f32 with a random shift and an optional horizontal flip per
// image, drawn in the kernel so augmentation costs no extra pass over the batch.
//   gather_batch_augment_u8_f32(inputs, targets, images, labels, indices, batchSize, height, width,
//                               classes, maxShift, flip, seed)
//       For image b (index = indices[b]) the draw h = lowbias32((index · 0x9E3779B9) ^ seed) gives
//       dy = (h & 0xff) mod (2·maxShift + 1) − maxShift, dx = ((h >>> 8) & 0xff) mod (…) − maxShift and,
//       when flip ≠ 0, mirrored = (h >>> 31) == 1. Then inputs[b, y, x] = images[index, y − dy, x' − dx] / 255
//       with x' = width − 1 − x when mirrored (else x), and 0 where that pixel lies outside the image.
//       The draw depends on (seed, index) only, so any split of the batch gives the same batch; the
//       caller passes a fresh seed per step. maxShift = 0 and flip = 0 give gather_batch_u8_f32's output.
//       targets as gather_batch_u8_f32. Pixels are converted one by one (28 per row: the row is too
//       short and, when mirrored, reversed, for the vector path to pay).

// @ts-ignore: decorator
@inline function lowbias32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x7feb352d;
  x ^= x >>> 15;
  x *= 0x846ca68b;
  x ^= x >>> 16;
  return x;
}

export function gather_batch_augment_u8_f32(inputs: usize, targets: usize, images: usize, labels: usize, indices: usize,
  batch_size: i32, height: i32, width: i32, classes: i32, max_shift: i32, flip: i32, seed: u32): void {
  assert(batch_size >= 1 && height >= 1 && width >= 1 && classes >= 1 && max_shift >= 0);
  const pixels = height * width;
  const span = <u32>(2 * max_shift + 1);
  for (let b = 0; b < batch_size; b++) {
    const index = load<i32>(indices + ((<usize>b) << 2));
    assert(index >= 0);
    const h = lowbias32((<u32>index * 0x9e3779b9) ^ seed);
    const dy = <i32>((h & 0xff) % span) - max_shift;
    const dx = <i32>(((h >>> 8) & 0xff) % span) - max_shift;
    const mirrored = flip != 0 && (h >>> 31) == 1;
    const src = images + <usize>index * <usize>pixels;
    let dst = inputs + (<usize>b * <usize>pixels << 2);
    for (let y = 0; y < height; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= height) {
        memory.fill(dst, 0, <usize>width << 2);
        dst += <usize>width << 2;
        continue;
      }
      const row = src + <usize>(sy * width);
      for (let x = 0; x < width; x++) {
        const sx = (mirrored ? width - 1 - x : x) - dx;
        store<f32>(dst, sx >= 0 && sx < width ? <f32>load<u8>(row + <usize>sx) / 255 : 0);
        dst += 4;
      }
    }
    if (targets != 0) {
      const target = targets + (<usize>b * <usize>classes << 2);
      memory.fill(target, 0, <usize>classes << 2);
      const label = <i32>load<u8>(labels + <usize>index);
      assert(label < classes);
      if (label < classes) store<f32>(target + ((<usize>label) << 2), 1);
    }
  }
}

export function argmax_f32_rows(out: usize, x: usize, rows: i32, cols: i32): void {
  assert(rows >= 1 && cols >= 1);
  const rowBytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    // Pass 1: the row maximum (f32x4.max propagates NaN, so a NaN anywhere makes max NaN).
    let vmax = f32x4.splat(-Infinity);
    let p = x;
    let n = cols;
    for (; n >= 16; n -= 16) {
      vmax = f32x4.max(vmax, f32x4.max(f32x4.max(v128.load(p), v128.load(p, 16)), f32x4.max(v128.load(p, 32), v128.load(p, 48))));
      p += 64;
    }
    for (; n >= 4; n -= 4) {
      vmax = f32x4.max(vmax, v128.load(p));
      p += 16;
    }
    let max = f32x4.extract_lane(vmax, 0);
    max = Mathf.max(max, f32x4.extract_lane(vmax, 1));
    max = Mathf.max(max, f32x4.extract_lane(vmax, 2));
    max = Mathf.max(max, f32x4.extract_lane(vmax, 3));
    for (; n > 0; n--) {
      max = Mathf.max(max, load<f32>(p));
      p += 4;
    }
    // Pass 2: the first lane equal to max (or, when max is NaN, the first NaN).
    const hasNaN = max != max;
    const vm = f32x4.splat(max);
    let found = -1;
    let c = 0;
    p = x;
    for (; c + 4 <= cols; c += 4) {
      const vx = v128.load(p);
      const mask = i32x4.bitmask(hasNaN ? f32x4.ne(vx, vx) : f32x4.eq(vx, vm));
      if (mask != 0) {
        found = c + ctz(mask);
        break;
      }
      p += 16;
    }
    if (found < 0) {
      for (; c < cols; c++) {
        const s = load<f32>(p);
        if (hasNaN ? s != s : s == max) {
          found = c;
          break;
        }
        p += 4;
      }
    }
    assert(found >= 0);
    store<i32>(out + ((<usize>r) << 2), found);
    x += rowBytes;
  }
}
