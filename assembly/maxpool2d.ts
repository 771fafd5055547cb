// 2-D max-pooling, NHWC, square `size` x `size` windows moved by `stride`, Keras' 'valid'
// windows (floor): out_h = floor((height − size) / stride) + 1, out_w likewise. Requires
// 1 ≤ size ≤ height, width and stride ≥ 1 (the debug build asserts it; the release build then
// writes nothing in the forward and only the zeros in the backward).
//
// Shapes (element counts; pointers are byte addresses, any 4-byte alignment):
//   input    f32 [batch, height, width, channels]
//   output   f32 [batch, out_h, out_w, channels]
//   argmax   i32 [batch, out_h, out_w, channels]: flat index into the whole input tensor
//            ((b·height + iy)·width + ix)·channels + c of the window's maximum
//   dinput   f32 like input; doutput f32 like output
//
// maxpool2d_f32_nhwc_forward overwrites output and argmax. Ties go to the first maximum in
// row-major window order (a strict > replaces the running max, as in TF's MaxPoolWithArgmax).
// A NaN in the window's first position propagates; a NaN elsewhere is skipped (it never
// compares greater).
// maxpool2d_f32_nhwc_backward overwrites dinput: dinput = 0, then dinput[argmax[i]] += doutput[i]
// for every output i, so overlapping windows (stride < size) add up. argmax is trusted: every
// entry must lie in [0, batch·height·width·channels).
// No output may alias an input.
// Parts (assembly/parts.ts): both `_part` exports own a run of batch samples; the backward then
// needs each argmax entry inside its own sample (the forward's always are).
//
// The forward keeps the running max and its index in vectors over 4 channels (8 per step):
// f32x4.gt gives a lane mask and v128.bitselect moves value and index together. The backward is
// a scatter, which SIMD128 has no instruction for; it runs scalar, 4 per step, after a vector fill.

import { part_start, valid_part } from './parts';
import { zero_f32 } from './simd';

// @ts-ignore: decorator
@inline function pool_out(size: i32, window: i32, stride: i32): i32 {
  return (size - window) / stride + 1;
}

export function maxpool2d_f32_nhwc_forward(output: usize, argmax: usize, input: usize,
    batch: i32, height: i32, width: i32, channels: i32, size: i32, stride: i32): void {
  maxpool2d_f32_nhwc_forward_part(output, argmax, input, batch, height, width, channels, size, stride, 0, 1);
}

/** Part `part` of `parts` of maxpool2d_f32_nhwc_forward: output and argmax of its run of samples. */
export function maxpool2d_f32_nhwc_forward_part(output: usize, argmax: usize, input: usize,
    batch: i32, height: i32, width: i32, channels: i32, size: i32, stride: i32, part: i32, parts: i32): void {
  assert(batch >= 1 && channels >= 1 && size >= 1 && stride >= 1 && size <= height && size <= width);
  assert(valid_part(part, parts), 'need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  if (batch < 1 || channels < 1 || size < 1 || stride < 1 || size > height || size > width) return;
  const out_h = pool_out(height, size, stride);
  const out_w = pool_out(width, size, stride);
  const viota = i32x4(0, 1, 2, 3);
  const vfour = i32x4.splat(4);
  const row_step = width * channels; // input elements between window rows
  const b0 = part_start(batch, part, parts);
  const b1 = part_start(batch, part + 1, parts);
  const sample_bytes = <usize>(out_h * out_w * channels) << 2;
  let out = output + <usize>b0 * sample_bytes;
  let arg = argmax + <usize>b0 * sample_bytes;
  for (let b = b0; b < b1; b++) {
    for (let oy = 0; oy < out_h; oy++) {
      for (let ox = 0; ox < out_w; ox++) {
        // flat input index of the window's top-left element, channel 0
        const base = ((b * height + oy * stride) * width + ox * stride) * channels;
        let c = 0;
        for (; c + 8 <= channels; c += 8) {
          const first = base + c;
          let vmax0 = v128.load(input + (<usize>first << 2));
          let vmax1 = v128.load(input + (<usize>first << 2), 16);
          let varg0 = i32x4.add(i32x4.splat(first), viota);
          let varg1 = i32x4.add(varg0, vfour);
          for (let wy = 0; wy < size; wy++) {
            for (let wx = wy == 0 ? 1 : 0; wx < size; wx++) {
              const idx = first + wy * row_step + wx * channels;
              const p = input + (<usize>idx << 2);
              const v0 = v128.load(p);
              const v1 = v128.load(p, 16);
              const vi0 = i32x4.add(i32x4.splat(idx), viota);
              const vm0 = f32x4.gt(v0, vmax0);
              const vm1 = f32x4.gt(v1, vmax1);
              vmax0 = v128.bitselect(v0, vmax0, vm0);
              vmax1 = v128.bitselect(v1, vmax1, vm1);
              varg0 = v128.bitselect(vi0, varg0, vm0);
              varg1 = v128.bitselect(i32x4.add(vi0, vfour), varg1, vm1);
            }
          }
          v128.store(out, vmax0);
          v128.store(out, vmax1, 16);
          v128.store(arg, varg0);
          v128.store(arg, varg1, 16);
          out += 32; arg += 32;
        }
        for (; c + 4 <= channels; c += 4) {
          const first = base + c;
          let vmax = v128.load(input + (<usize>first << 2));
          let varg = i32x4.add(i32x4.splat(first), viota);
          for (let wy = 0; wy < size; wy++) {
            for (let wx = wy == 0 ? 1 : 0; wx < size; wx++) {
              const idx = first + wy * row_step + wx * channels;
              const v = v128.load(input + (<usize>idx << 2));
              const vm = f32x4.gt(v, vmax);
              vmax = v128.bitselect(v, vmax, vm);
              varg = v128.bitselect(i32x4.add(i32x4.splat(idx), viota), varg, vm);
            }
          }
          v128.store(out, vmax);
          v128.store(arg, varg);
          out += 16; arg += 16;
        }
        for (; c < channels; c++) {
          const first = base + c;
          let max = load<f32>(input + (<usize>first << 2));
          let best = first;
          for (let wy = 0; wy < size; wy++) {
            for (let wx = wy == 0 ? 1 : 0; wx < size; wx++) {
              const idx = first + wy * row_step + wx * channels;
              const v = load<f32>(input + (<usize>idx << 2));
              if (v > max) { max = v; best = idx; }
            }
          }
          store<f32>(out, max);
          store<i32>(arg, best);
          out += 4; arg += 4;
        }
      }
    }
  }
}

export function maxpool2d_f32_nhwc_backward(dinput: usize, doutput: usize, argmax: usize,
    batch: i32, height: i32, width: i32, channels: i32, size: i32, stride: i32): void {
  maxpool2d_f32_nhwc_backward_part(dinput, doutput, argmax, batch, height, width, channels, size, stride, 0, 1);
}

/**
 * Part `part` of `parts` of maxpool2d_f32_nhwc_backward: dinput of its run of samples, from the
 * outputs of those samples. With parts > 1 every argmax entry must point into its own sample (as
 * the forward's do), or two parts could write the same dinput element.
 */
export function maxpool2d_f32_nhwc_backward_part(dinput: usize, doutput: usize, argmax: usize,
    batch: i32, height: i32, width: i32, channels: i32, size: i32, stride: i32, part: i32, parts: i32): void {
  assert(batch >= 1 && channels >= 1 && size >= 1 && stride >= 1 && size <= height && size <= width);
  assert(valid_part(part, parts), 'need 0 <= part < parts');
  if (!valid_part(part, parts)) return;
  const valid = batch >= 1 && channels >= 1 && size >= 1 && stride >= 1 && size <= height && size <= width;
  const sample_out = valid ? pool_out(height, size, stride) * pool_out(width, size, stride) * channels : 0;
  const sample_in = batch >= 1 && channels >= 1 && height >= 1 && width >= 1 ? height * width * channels : 0;
  const b0 = part_start(batch, part, parts);
  const b1 = part_start(batch, part + 1, parts);
  if (b0 >= b1) return;
  zero_f32(dinput + (<usize>(b0 * sample_in) << 2), (b1 - b0) * sample_in);
  const count = b1 * sample_out;
  let i = b0 * sample_out;
  for (; i + 4 <= count; i += 4) {
    const off = <usize>i << 2;
    const vidx = v128.load(argmax + off);
    const vd = v128.load(doutput + off);
    const p0 = dinput + (<usize>i32x4.extract_lane(vidx, 0) << 2);
    store<f32>(p0, load<f32>(p0) + f32x4.extract_lane(vd, 0));
    const p1 = dinput + (<usize>i32x4.extract_lane(vidx, 1) << 2);
    store<f32>(p1, load<f32>(p1) + f32x4.extract_lane(vd, 1));
    const p2 = dinput + (<usize>i32x4.extract_lane(vidx, 2) << 2);
    store<f32>(p2, load<f32>(p2) + f32x4.extract_lane(vd, 2));
    const p3 = dinput + (<usize>i32x4.extract_lane(vidx, 3) << 2);
    store<f32>(p3, load<f32>(p3) + f32x4.extract_lane(vd, 3));
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    const q = dinput + (<usize>load<i32>(argmax + off) << 2);
    store<f32>(q, load<f32>(q) + load<f32>(doutput + off));
  }
}
